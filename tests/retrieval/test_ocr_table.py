"""OCR table rows of phu-tho-2026-ocr, checked against the printed plan read by a person.

The line numbers are where a phrase of the task sits in the OCR text; each test finds the
record covering that line and compares its lead, cooperating units and deadline with what
the scanned table says."""

import pytest

from retrieval.config import ROOT
from retrieval.corpus import load_corpus
from retrieval.glossary import expand_abbreviations
from retrieval.ocr_table import edit1, find_deadline, split_ocr_rows
from retrieval.rerank import year_fit

PLAN = "phu-tho-2026-ocr"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOT / "corpus")


def _row(corpus, phrase: str):
    """The table record whose text holds a phrase of the raw OCR line."""
    plan = corpus.plans[PLAN]
    line = next(ln.number for ln in plan.lines if phrase in ln.text)
    recs = [r for r in plan.records if r.source == "table" and r.line_start <= line <= r.line_end]
    assert recs, f"no table row covers line {line} ({phrase!r})"
    return recs[0]


@pytest.mark.parametrize("phrase, lead, deadline", [
    # Phụ lục 02: task | lead | cooperating | result | deadline, columns interleaved
    ("Nang cap Trung tam dir li¢u tinh Phu Tho", "Sở Khoa học và Công nghệ", "2026"),
    ("nguoi va phuong tién ra vao cong, tu dong mé barie", "Công an tỉnh", "2026-2030"),
    ("5 trién khai thi diém mo6 hinh nhé may thong minh", "Sở Khoa học và Công nghệ", "Quý III/2026"),
    ("Phat trién, trién khai cdc img dung so phuc vu phat trién", "Sở Công Thương", "Quý IV/2026"),
])
def test_task_rows(corpus, phrase, lead, deadline):
    rec = _row(corpus, phrase)
    assert rec.lead is not None and rec.lead.lower() == lead.lower()
    assert rec.deadline == deadline


@pytest.mark.parametrize("phrase, lead", [
    # Phụ lục 01: indicator | agency that follows it, the agency cell centred on the row
    ("Ty I¢ giao dich khong dung tién mat dat to1 thiéu 70%", "Ngân hàng Nhà nước"),
    ("Ty 1€ doanh nghi¢p str dung hop dong dién tur", "Sở Tài chính"),
    ("nhat k¥ ning s6 co ban dat téi thiéu 80%", "Sở Nội vụ"),
])
def test_indicator_rows(corpus, phrase, lead):
    rec = _row(corpus, phrase)
    assert rec.lead is not None and rec.lead.startswith(lead)


def test_cooperating_units_follow_the_lead(corpus):
    rec = _row(corpus, "Nang cép, mo rong Nén tang dich vu tich hop")
    assert rec.lead == "Sở Khoa học và Công nghệ"
    assert "Các sở, ban, ngành" in rec.cooperating


def test_rows_start_at_task_cells_not_at_numbers(corpus):
    plan = corpus.plans[PLAN]
    table = next(t for t in plan.tables if t.line_start <= 1230 <= t.line_end)
    rows = split_ocr_rows(plan.lines, table.line_start, table.line_end)
    camera = next(r for r in rows if r.start <= 1230 <= r.end)
    # "Nghién cuu trién khai hé théng Camera" (1228) starts the row numbered "7." on 1230
    assert camera.start == 1228 and camera.number == "7"


@pytest.mark.parametrize("first_line, number", [
    # first words split by stray marks ("X,ay dựng", "T;iển khai")
    ("X,ay dAur.lg N huong trm{l. dao tao ky nang", "4"),
    ("T;ién khai cac hoat dong boi dudng, tip huin ky nang", "5"),
])
def test_rows_start_at_garbled_first_words(corpus, first_line, number):
    plan = corpus.plans[PLAN]
    line = next(ln.number for ln in plan.lines if ln.text.startswith(first_line))
    table = next(t for t in plan.tables if t.line_start <= line <= t.line_end)
    row = next(r for r in split_ocr_rows(plan.lines, table.line_start, table.line_end) if r.start <= line <= r.end)
    assert row.start == line and row.number == number


@pytest.mark.parametrize("folded, want", [
    ("bao cao thuc hien quy 111 2026", "Quý III/2026"),
    ("hoach cua ubnd quy 12026", "Quý I/2026"),
    ("ke hoach cua thane 11 2026", "Tháng 11/2026"),
    ("hoan thanh khai 2026 2030", "2026-2030"),
    ("bao cao thuc hien thuong xuyen", "Thường xuyên"),
    ("thoi ky 2026 2030 quyet dinh theang 6 2026", "Tháng 6/2026"),
    ("khong co thoi han", None),
])
def test_deadlines_read_through_ocr(folded, want):
    assert find_deadline(folded) == want


def test_edit_distance_one():
    assert edit1("tue", "tu") and edit1("truong", "trong") and edit1("nuoc", "nuoe")
    assert not edit1("nuoc", "nudce") and not edit1("so", "te")


def test_abbreviations_expanded():
    assert expand_abbreviations("Sở KH&CN phối hợp với Sở NN&PTNT") == \
        "Sở Khoa học và Công nghệ phối hợp với Sở Nông nghiệp và Phát triển nông thôn"
    assert expand_abbreviations("TTHC cấp xã") == "thủ tục hành chính cấp xã"
    assert expand_abbreviations("KHCNX") == "KHCNX"


def test_year_named_in_question_is_a_hint():
    assert year_fit({"2025"}, "muc tieu den nam 2025 80% dich vu") > 0
    assert year_fit({"2025"}, "muc tieu den nam 2030 100% dich vu") < 0
    assert year_fit({"2025"}, "muc tieu khong co nam") == 0
    assert year_fit(set(), "nam 2030") == 0


def test_topic_pairs_match_through_one_letter_on_ocr_text():
    from retrieval.rerank import Idf, lexical
    idf = Idf({}, 1.0)
    query = ["nguoi", "dung", "dau"]
    ocr = "quyet dinh cho nguoi ding dau cac co quan"
    assert lexical(query, ocr, idf, fuzzy=True) > lexical(query, "nguoi dau tu dung", idf, fuzzy=True)
    assert lexical(query, ocr, idf, fuzzy=False) < lexical(query, ocr, idf, fuzzy=True)
