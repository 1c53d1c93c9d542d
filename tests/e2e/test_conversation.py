"""Conversations through Rasa's REST channel with the three real services on loopback:
retrieval service, action server and Rasa running the trained model (issue 5, "Must hold").

The tests share one stack (module scope) and run in file order: the last one stops the
retrieval service.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.stack import RASA_PY, Stack, card, new_sender, texts

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not RASA_PY.exists(), reason="needs .venv-rasa: make venv-rasa"),
]

E_INVOICE_VI = "Cơ quan nào chủ trì phổ cập hóa đơn điện tử trong kế hoạch chuyển đổi số Phú Thọ năm 2022?"
FOLLOWUP = "Còn thời hạn thì sao?"
UNREACHABLE_VI = "dịch vụ tra cứu kế hoạch hiện không phản hồi"


@pytest.fixture(scope="module")
def stack():
    with Stack() as s:
        yield s


def assert_cited(msgs: list[dict], plan: str) -> dict:
    payload = card(msgs)
    assert payload is not None, f"no answer card in {msgs}"
    assert payload["answered"] is True, payload
    assert payload["citations"], payload
    first = payload["citations"][0]
    assert first["plan"] == plan
    assert f"/plans/{plan}/view?lines={first['line_start']}-{first['line_end']}" in first["url"]
    assert len(first["snippet"]) <= 301
    assert first["url"] in texts(msgs)  # the text-only channels get the link too
    return payload


def test_greeting_says_what_is_covered(stack):
    reply = texts(stack.say(new_sender(), "xin chào"))
    assert "kế hoạch chuyển đổi số" in reply
    english = texts(stack.say(new_sender(), "hello"))
    assert "digital transformation plans" in english


def test_e_invoice_lead_answered_with_citation(stack):
    msgs = stack.say(new_sender(), E_INVOICE_VI)
    assert "Cục Thuế tỉnh" in texts(msgs)
    assert_cited(msgs, "phu-tho-2022")


def assert_same_task(first: dict, follow: dict) -> None:
    """The follow-up cites the task the first answer was about (same plan and section; the
    engine may quote another line of it): context carried over."""
    a, b = first["citations"][0], follow["citations"][0]
    assert (b["plan"], b["section"]) == (a["plan"], a["section"]), (a, b)
    assert a["section"], a


def test_follow_up_answered_from_context(stack):
    sender = new_sender()
    first = stack.say(sender, E_INVOICE_VI)
    assert "Cục Thuế tỉnh" in texts(first)
    msgs = stack.say(sender, FOLLOWUP)
    assert "hóa đơn điện tử" in texts(msgs)
    assert_same_task(assert_cited(first, "phu-tho-2022"), assert_cited(msgs, "phu-tho-2022"))


def test_unaccented_question(stack):
    msgs = stack.say(new_sender(), "co quan nao chu tri pho cap hoa don dien tu trong ke hoach chuyen doi so phu tho nam 2022")
    assert "Cục Thuế" in texts(msgs)
    assert_cited(msgs, "phu-tho-2022")


def test_english_question(stack):
    msgs = stack.say(new_sender(), "Which agency is in charge of promoting e-invoices in Phu Tho's 2022 plan?")
    reply = texts(msgs)
    assert "Cục Thuế" in reply
    assert "Sources:" in reply
    assert_cited(msgs, "phu-tho-2022")


def test_out_of_corpus_province_declined(stack):
    msgs = stack.say(new_sender(), "Trong kế hoạch chuyển đổi số của tỉnh Lào Cai, cơ quan nào chủ trì phổ cập hóa đơn điện tử?")
    payload = card(msgs)
    assert payload is not None and payload["answered"] is False, msgs
    assert "Cục Thuế" not in texts(msgs)
    with sqlite3.connect(stack.feedback_db) as db:
        declined = db.execute("SELECT question FROM feedback WHERE kind = 'declined'").fetchall()
    assert any("Lào Cai" in q for (q,) in declined)


def test_feedback_is_recorded(stack):
    sender = new_sender()
    stack.say(sender, E_INVOICE_VI)
    reply = texts(stack.say(sender, "câu trả lời rất hữu ích"))
    assert "Cảm ơn" in reply
    with sqlite3.connect(stack.feedback_db) as db:
        rows = db.execute("SELECT question, answer, useful FROM feedback WHERE kind = 'feedback' AND sender_id = ?",
                          (sender,)).fetchall()
    assert rows and rows[-1][0] == E_INVOICE_VI and "Cục Thuế tỉnh" in rows[-1][1] and rows[-1][2] == 1


def test_start_over_forgets_the_context(stack):
    sender = new_sender()
    stack.say(sender, E_INVOICE_VI)
    assert "bắt đầu lại" in texts(stack.say(sender, "bắt đầu lại")).lower()
    with sqlite3.connect(stack.tracker_db) as db:
        events = [e for (e,) in db.execute("SELECT type_name FROM events WHERE sender_id = ?", (sender,))]
    assert "restart" in events


def test_rasa_restart_keeps_the_conversation(stack):
    sender = new_sender()
    first = stack.say(sender, E_INVOICE_VI)
    assert "Cục Thuế tỉnh" in texts(first)
    stack.restart_rasa()
    msgs = stack.say(sender, FOLLOWUP)
    assert_same_task(assert_cited(first, "phu-tho-2022"), assert_cited(msgs, "phu-tho-2022"))
    with sqlite3.connect(stack.tracker_db) as db:
        users = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
                           (sender,)).fetchone()[0]
    assert users == 2


def test_retrieval_service_down_gives_the_unreachable_message(stack):
    sender = new_sender()
    stack.retrieval.stop()
    reply = texts(stack.say(sender, E_INVOICE_VI))
    assert UNREACHABLE_VI in reply
    assert "Traceback" not in reply and "Exception" not in reply
    english = texts(stack.say(sender, "Who leads the e-invoice work in Phu Tho's 2022 plan?"))
    assert "not reachable" in english
