from retrieval.config import ROOT
from retrieval.corpus import load_corpus
from retrieval.normalize import OcrRepair, fold, is_noise, nfc, normalize_lines


def test_fold_examples():
    assert fold("Sở Y tế") == "so y te"
    assert fold("Đổi mới") == "doi moi"
    assert fold("Tỷ lệ 100%, đạt!") == "ty le 100% dat"
    assert fold("hóa đơn điện tử") == fold("hoá đơn điện tử")      # old and new tone placement


def test_nfc_and_control_characters():
    decomposed = "Thu\u0309 tu\u0323c"
    assert nfc(decomposed) == "Thủ tục"
    assert nfc("a\x00b\u200bc") == "abc"


def test_noise_lines_blanked_but_numbering_kept():
    raw = "Kế hoạch\nKý số văn bản bởi: X\nhttps://example.vn/abc\nPHIÊN BẢN THỬ NGHIỆM\nSở Y tế chủ trì"
    lines = normalize_lines(raw)
    assert [ln.number for ln in lines] == [1, 2, 3, 4, 5]
    assert [ln.text for ln in lines] == ["Kế hoạch", "", "", "", "Sở Y tế chủ trì"]
    assert is_noise("Ủy ban nhân dân tỉnh Phú Thọ<phutho@chinhphu.vn> đã ký lên văn bản này!")


def _repair() -> OcrRepair:
    corpus = ROOT / "corpus"
    clean = [p.read_text(encoding="utf-8") for p in corpus.glob("*.txt") if "ocr" not in p.name]
    ocr = [p.read_text(encoding="utf-8") for p in corpus.glob("*ocr*.txt")]
    return OcrRepair.learn(clean, ocr)


def test_ocr_folding_meets_clean_vocabulary():
    r = _repair()
    assert r.fold("S& Khoa hoc va Cong nghé") == fold("Sở Khoa học và Công nghệ")
    assert r.fold("Chuyén d6i s6") == fold("Chuyển đổi số")
    assert r.fold("Ty 1€ hd so truc tuyén") == fold("Tỷ lệ hồ sơ trực tuyến")
    assert r.fold("Vin phong UBND tinh") == fold("Văn phòng UBND tỉnh")


def test_ocr_confusions_are_learned_not_listed():
    r = _repair()
    assert r.confusions[("6", "o")] > 0.3      # "s6" -> "so"
    assert r.confusions[("€", "e")] > 0.3      # "1€" -> "le"
    assert r.restore("so khoa hoc va cong nghe") == "sở khoa học và công nghệ"


def test_corpus_loads_every_plan_of_plans_yaml():
    corpus = load_corpus(ROOT / "corpus")
    assert set(corpus.plans) == {"phu-tho-2022", "phu-tho-2026-ocr", "phu-tho-nong-thon-moi-2025",
                                 "vinh-phuc-2022-2025", "gia-lai-2021-2025"}
    assert corpus.plans["phu-tho-2026-ocr"].meta.ocr
