"""The chat page in headless Chromium (Debian's /usr/bin/chromium via Playwright): ask the
e-invoice question over Rasa's socket.io channel, see the answer and a citation card,
open the source viewer from the card, reload and keep the conversation; screenshots at
desktop and phone widths go to artifacts/."""

from __future__ import annotations

from contextlib import contextmanager

import httpx
import pytest

from tests.stack import ROOT, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = ROOT / "artifacts"
QUESTION = "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?"
ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def stack() -> Stack:
    stack = Stack.shared()
    config = httpx.get(f"{stack.service_url}/chat/config.js", timeout=10)
    assert config.status_code == 200, "the service does not serve /chat/: include routes.chat in app.py"
    assert stack.rasa_url in config.text, (
        "the chat page is not pointed at the test's Rasa: Settings needs `rasa_url` (CDS_RASA_URL)")
    return stack


def new_page(browser, width: int, height: int, mobile: bool = False):
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile,
                                  has_touch=mobile, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


@contextmanager
def chat_page(stack: Stack, browser, width: int = 1280, height: int = 800, mobile: bool = False):
    """The chat page, connected to Rasa; fails if the page raised a script error."""
    from playwright.sync_api import expect

    context, page, errors = new_page(browser, width, height, mobile)
    try:
        page.goto(f"{stack.service_url}/chat/")
        expect(page.locator("#status")).to_have_text("Đã kết nối", timeout=30_000)
        yield context, page
        assert not errors, errors
    finally:
        context.close()


def ask(page, question: str) -> None:
    page.fill("#question", question)
    page.click("#send")


def assert_answer_shown_once(page) -> None:
    """One answer: its text in one bubble, its sources as one set of cards (nothing repeated as
    text: the page gets the answer as a single card payload)."""
    page.wait_for_timeout(1000)  # a duplicate would arrive right behind the first message
    bot_texts = page.locator(".bubble-bot:not(.typing)").all_inner_texts()
    assert sum("Cục Thuế tỉnh" in t for t in bot_texts) == 1, bot_texts
    assert not any(t.lstrip().startswith(("Nguồn:", "Sources:")) for t in bot_texts), bot_texts
    assert page.locator(".citations").count() == 1
    titles = page.locator(".citation-card .citation-index").all_text_contents()
    assert titles == [f"Nguồn {i}" for i in range(1, len(titles) + 1)] and 1 <= len(titles) <= 3, titles


@pytest.mark.parametrize("name,width,height,mobile", [("desktop", 1280, 800, False), ("phone", 390, 844, True)])
def test_ask_see_answer_card_and_source(stack, browser, name, width, height, mobile):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with chat_page(stack, browser, width, height, mobile) as (context, page):
        suggestions = page.locator("#suggestions .suggestion")
        assert suggestions.count() >= 3
        expect(suggestions.first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"chat-{name}-empty.png"), full_page=True)

        ask(page, QUESTION)
        expect(page.locator(".bubble-user").last).to_have_text(QUESTION)
        expect(page.locator(".bubble-bot", has_text="Cục Thuế tỉnh").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        card = page.locator(".citation-card").first
        expect(card).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        assert_answer_shown_once(page)
        expect(card.locator(".citation-title")).not_to_be_empty()
        expect(card.locator(".citation-snippet")).not_to_be_empty()
        if mobile:  # usable at phone width: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            box = card.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.screenshot(path=str(ARTIFACTS / f"chat-{name}-answer.png"), full_page=True)

        link = card.locator("a.citation-link")
        href = link.get_attribute("href")
        assert href and "/plans/" in href and "view?lines=" in href
        with context.expect_page() as opened:
            link.click()
        viewer = opened.value
        viewer.wait_for_load_state()
        highlighted = viewer.locator(".hl")  # the viewer's highlighted lines (viewer_template.py)
        expect(highlighted.first).to_be_visible(timeout=15_000)
        expect(viewer.locator(".hl", has_text="Cục Thuế").first).to_be_visible()
        viewer.screenshot(path=str(ARTIFACTS / f"viewer-{name}.png"))


def test_conversation_kept_across_reload(stack, browser):
    from playwright.sync_api import expect

    with chat_page(stack, browser, 1280, 800) as (context, page):
        ask(page, QUESTION)
        expect(page.locator(".citation-card").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        session = page.evaluate("localStorage.getItem('cds-chat:session')")
        assert session

        page.reload()
        expect(page.locator("#status")).to_have_text("Đã kết nối", timeout=30_000)
        expect(page.locator(".bubble-user").first).to_have_text(QUESTION)
        expect(page.locator(".citation-card").first).to_be_visible()
        assert_answer_shown_once(page)
        assert page.locator("#welcome").is_hidden()
        assert page.evaluate("localStorage.getItem('cds-chat:session')") == session

        # the same Rasa conversation continues: its tracker holds the earlier question
        tracker_db_question = page.evaluate("JSON.parse(localStorage.getItem('cds-chat:log'))[0].text")
        assert tracker_db_question == QUESTION

        page.click("#new-conversation")
        expect(page.locator("#welcome")).to_be_visible()
        assert page.locator(".bubble").count() == 0
        assert page.evaluate("localStorage.getItem('cds-chat:session')") != session


def test_markup_in_a_question_is_shown_as_text(stack, browser):
    from playwright.sync_api import expect

    with chat_page(stack, browser, 1280, 800) as (context, page):
        payload = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> kế hoạch?'
        ask(page, payload)
        bubble = page.locator(".bubble-user").last
        expect(bubble).to_have_text(payload)
        expect(page.locator(".bubble-bot:not(.typing)").last).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#log script, #log img").count() == 0
