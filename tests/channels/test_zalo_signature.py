"""Zalo webhook signature, replay window and reply packing: pure functions."""

import hashlib
import time

import pytest
from channels.zalo_signature import is_fresh, sign, verify_signature
from channels.zalo_text import pack_messages, render_bot_messages, render_citations, split_sentences

APP_ID = "4318822373981523456"
SECRET = "oa-secret-Đ"
BODY = (
    '{"app_id":"4318822373981523456","event_name":"user_send_text","timestamp":"1700000000000",'
    '"sender":{"id":"2468"},"recipient":{"id":"1357"},"message":{"text":"Xin chào","msg_id":"m1"}}'
).encode()
TS = "1700000000000"


class TestSignature:
    def test_matches_documented_formula(self):
        expected = hashlib.sha256((APP_ID + BODY.decode() + TS + SECRET).encode()).hexdigest()
        assert sign(APP_ID, BODY, TS, SECRET) == expected

    def test_valid_header_accepted(self):
        assert verify_signature(APP_ID, BODY, TS, SECRET, "mac=" + sign(APP_ID, BODY, TS, SECRET))

    def test_header_case_and_spaces_tolerated(self):
        mac = sign(APP_ID, BODY, TS, SECRET).upper()
        assert verify_signature(APP_ID, BODY, TS, SECRET, f"  MAC={mac} ")

    @pytest.mark.parametrize("header", [None, "", "mac=", "mac=00", "sha256=abc", "mac=" + "0" * 64])
    def test_missing_or_malformed_rejected(self, header):
        assert not verify_signature(APP_ID, BODY, TS, SECRET, header)

    def test_tampered_body_rejected(self):
        header = "mac=" + sign(APP_ID, BODY, TS, SECRET)
        tampered = BODY.replace(b"Xin ch", b"Xin CH")
        assert not verify_signature(APP_ID, tampered, TS, SECRET, header)

    def test_other_timestamp_app_or_secret_rejected(self):
        header = "mac=" + sign(APP_ID, BODY, TS, SECRET)
        assert not verify_signature(APP_ID, BODY, "1700000000001", SECRET, header)
        assert not verify_signature("1" + APP_ID, BODY, TS, SECRET, header)
        assert not verify_signature(APP_ID, BODY, TS, SECRET + "x", header)

    def test_empty_secret_never_verifies(self):
        assert not verify_signature(APP_ID, BODY, TS, "", "mac=" + sign(APP_ID, BODY, TS, ""))


class TestFreshness:
    def test_recent_accepted(self):
        now = time.time()
        assert is_fresh(str(int((now - 10) * 1000)), now=now)

    def test_older_than_five_minutes_rejected(self):
        now = time.time()
        assert not is_fresh(str(int((now - 301) * 1000)), now=now)
        assert is_fresh(str(int((now - 299) * 1000)), now=now)

    def test_far_future_rejected(self):
        now = time.time()
        assert not is_fresh(str(int((now + 600) * 1000)), now=now)

    @pytest.mark.parametrize("ts", ["", "abc", None])
    def test_garbage_rejected(self, ts):
        assert not is_fresh(ts)


CITATIONS = [
    {"plan": "phu-tho-2022", "title": "Kế hoạch chuyển đổi số tỉnh Phú Thọ năm 2022",
     "section": "II.3 Phát triển kinh tế số", "line_start": 120, "line_end": 124,
     "text": "Phổ cập hóa đơn điện tử: Cục Thuế tỉnh chủ trì, phối hợp với các sở, ngành."},
]


class TestPacking:
    def test_short_pieces_share_one_message(self):
        assert pack_messages(["Một.", "Hai.", "Ba."]) == ["Một.\n\nHai.\n\nBa."]

    def test_never_exceeds_limit_and_keeps_all_text(self):
        pieces = [f"Câu số {i} nói về chuyển đổi số." for i in range(200)]
        out = pack_messages(pieces, limit=500)
        assert all(len(m) <= 500 for m in out)
        assert " ".join(out).split() == " ".join(pieces).split()
        # greedy: no two neighbours could have been merged
        assert all(len(a) + 2 + len(b) > 500 for a, b in zip(out, out[1:], strict=False))

    def test_long_paragraph_split_at_sentence_boundaries(self):
        sentences = [f"Câu thứ {i} có nội dung dài vừa phải về hạ tầng số." for i in range(80)]
        out = pack_messages([" ".join(sentences)], limit=400)
        assert len(out) > 1 and all(len(m) <= 400 for m in out)
        for message in out:
            assert message.endswith("."), message[-30:]
            assert set(split_sentences(message)) <= set(sentences)

    def test_one_sentence_over_limit_cut_between_words(self):
        word_run = "dữ liệu " * 400
        out = pack_messages([word_run], limit=300)
        assert all(len(m) <= 300 for m in out)
        assert " ".join(out).split() == word_run.split()

    def test_citations_rendered_with_viewer_link(self):
        text = render_citations(CITATIONS, "http://127.0.0.1:8000/")
        assert "Kế hoạch chuyển đổi số tỉnh Phú Thọ năm 2022 — II.3 Phát triển kinh tế số" in text
        assert "“Phổ cập hóa đơn điện tử: Cục Thuế tỉnh chủ trì" in text
        assert "http://127.0.0.1:8000/plans/phu-tho-2022/view?lines=120-124" in text

    def test_snippet_shortened(self):
        long = dict(CITATIONS[0], text="rất dài " * 100)
        line = render_citations([long], "http://x")
        assert len(line) < 400 and "…" in line

    def test_bot_messages_answer_and_citations_in_one_message(self):
        collected = [
            {"recipient_id": "u", "text": "Cục Thuế tỉnh chủ trì.\n\nCác sở phối hợp."},
            {"recipient_id": "u", "custom": {"data": {"citations": CITATIONS}}},
        ]
        out = pack_messages(render_bot_messages(collected, "http://h"))
        assert len(out) == 1
        assert out[0].startswith("Cục Thuế tỉnh chủ trì.") and "Nguồn:" in out[0]
