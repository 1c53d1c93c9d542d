"""Table rows and narrative records checked against rows of each plan, written out by hand."""

import pytest

from retrieval.config import ROOT
from retrieval.corpus import load_corpus
from retrieval.normalize import fold


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOT / "corpus")


def _record(corpus, plan, line):
    recs = [r for r in corpus.plans[plan].records if r.line_start <= line <= r.line_end]
    assert recs, f"no record covers {plan}:{line}"
    return recs[0]


def test_vinh_phuc_appendix_i_row(corpus):
    # 1.1 | 100% thủ tục hành chính ... mức độ 4 | Văn phòng UBND tỉnh | Các sở, ban, ngành, địa phương | 2025
    rec = _record(corpus, "vinh-phuc-2022-2025", 1375)
    assert rec.source == "table"
    assert rec.lead == "Văn phòng UBND tỉnh"
    assert rec.cooperating == ["Các sở, ban, ngành, địa phương"]
    # its last cell, "2025", is the deadline: Phụ lục I has no budget column
    assert rec.deadline == "2025" and rec.budget is None


def test_vinh_phuc_appendix_ii_row(corpus):
    # 2 | Nghị quyết về việc thúc đẩy dịch vụ công trực tuyến mức độ 4 | Nghị quyết của HĐND tỉnh |
    #   Sở Thông tin và Truyền thông | 2022-2023
    line = next(ln.number for ln in corpus.plans["vinh-phuc-2022-2025"].lines
                if ln.text.startswith("2 Nghị quyết về việc thúc đẩy dịch vụ công"))
    rec = _record(corpus, "vinh-phuc-2022-2025", line)
    assert rec.lead == "Sở Thông tin và Truyền thông"
    assert rec.deadline == "2022-2023"


def test_a_lone_year_is_a_deadline_not_an_amount(corpus):
    # 8 | Quy chế quản lý, vận hành ... Trung tâm Giám sát, điều hành đô thị thông minh | ... | 2022
    line = next(ln.number for ln in corpus.plans["vinh-phuc-2022-2025"].lines
                if ln.text.startswith("Quy chế quản lý, vận hành và sử dụng Trung tâm Giám sát"))
    rec = _record(corpus, "vinh-phuc-2022-2025", line)
    assert rec.deadline == "2022" and rec.budget is None


def test_nong_thon_moi_row(corpus):
    # 3 | Tổ chức các hội nghị, các đợt tập huấn ... | Sở Nông nghiệp và PTNT |
    #   Sở Thông tin và Truyền thông; UBND các huyện ... | Hằng năm
    rec = _record(corpus, "phu-tho-nong-thon-moi-2025", 690)
    assert rec.lead == "Sở Nông nghiệp và PTNT"
    assert "Sở Thông tin và Truyền thông" in rec.cooperating
    assert rec.deadline == "Hằng năm"


def test_narrative_record_phu_tho_2022(corpus):
    recs = [r for r in corpus.plans["phu-tho-2022"].records if "hoa don dien tu" in fold(r.raw) and r.lead]
    assert any(r.lead == "Cục Thuế tỉnh" and "Sở Thông tin và Truyền thông" in r.cooperating for r in recs)


def test_heading_bullets_take_the_agency_of_their_heading(corpus):
    # Gia Lai "5. Sở Giáo dục và Đào tạo" / "- Chủ trì triển khai các nhiệm vụ ..."
    recs = corpus.plans["gia-lai-2021-2025"].records
    assert any(r.lead == "Sở Giáo dục và Đào tạo" for r in recs)


def test_ocr_row_agency_repaired_to_proper_vietnamese(corpus):
    recs = [r for r in corpus.plans["phu-tho-2026-ocr"].records if r.source == "table" and r.lead]
    leads = {r.lead for r in recs}
    assert "Sở Khoa học và Công nghệ" in leads
    assert "Văn phòng UBND tỉnh" in leads


def test_ocr_deadline_read_from_row(corpus):
    recs = corpus.plans["phu-tho-2026-ocr"].records
    assert any(r.deadline and fold(r.deadline).startswith("thang") for r in recs)


def test_every_record_has_valid_provenance(corpus):
    for plan in corpus.plans.values():
        n = len(plan.lines)
        for r in plan.records:
            assert 1 <= r.line_start <= r.line_end <= n
            assert r.plan == plan.meta.id


def test_cell_wrapped_inside_a_province_name_stays_one_name(corpus):
    # "... tổ chức đoàn thể; Báo Phú" | "Thọ, Đài PT và TH tỉnh": the line broke inside "Phú Thọ"
    line = next(ln.number for ln in corpus.plans["phu-tho-nong-thon-moi-2025"].lines
                if ln.text.startswith("Tiếp tục tổ chức quán triệt, tuyên truyền, phổ biến nội dung"))
    rec = _record(corpus, "phu-tho-nong-thon-moi-2025", line)
    assert "Báo Phú Thọ" in rec.cooperating and "Báo Phú" not in rec.cooperating


def test_subjectless_bullet_takes_its_heading_agency_on_the_ocr_plan(corpus):
    # "2. Sở Khoa học và Công nghệ" / "- Là cơ quan thường trực Ban Chỉ đạo ..., chủ trì tham mưu"
    plan = corpus.plans["phu-tho-2026-ocr"]
    line = next(ln.number for ln in plan.lines if ln.text.startswith("- La co quan thuong tryc Ban Chi dao"))
    recs = [r for r in plan.records if r.source == "narrative" and r.line_start <= line <= r.line_end]
    assert len(recs) == 1 and recs[0].lead == "Sở Khoa học và Công nghệ"
