"""HTML inside a plan never reaches the source viewer unescaped: a plan whose metadata and text
carry <script>, <img onerror> and a closing </span> is uploaded through the admin API of the
real service (small corpus, tests/fuzz/fuzz_helpers.py), rebuilt, and its viewer page opened
in headless Chromium: nothing ran, the markup shows as text, no element was injected."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
from fuzz_helpers import ADMIN_KEY, LiveService, small_corpus  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 2">'
BREAKOUT = '</span></div><iframe src="javascript:window.top.__pwned=3"></iframe>'
PLAN_ID = "html-trong-ke-hoach"
TEXT = "\n".join([
    "KẾ HOẠCH",
    f"Chuyển đổi số tỉnh Thử Nghiệm {SCRIPT}",
    f"I. MỤC TIÊU {IMG}",
    f"Sở Thông tin và Truyền thông chủ trì, phối hợp với Sở Nội vụ triển khai nền tảng số {BREAKOUT}.",
    *["Phát triển chính quyền số, kinh tế số và xã hội số trên địa bàn tỉnh." for _ in range(5)],
    "{{7*7}} ${7*7} <b>đậm</b> &amp; &lt;",
])


@pytest.fixture(scope="module")
def viewer_url(tmp_path_factory):
    import httpx

    base = tmp_path_factory.mktemp("viewer-escaping")
    corpus, data = small_corpus(base)
    service = LiveService(corpus, data, base / "service.log").start(timeout=240)
    try:
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        form = {"title": f"Kế hoạch {SCRIPT} thử", "province": f"Thử {IMG}", "period": "2025", "year": "2025",
                "number": BREAKOUT, "plan_id": PLAN_ID}
        with httpx.Client(base_url=service.base, timeout=60) as c:
            r = c.post("/admin/plans", headers=auth, data=form,
                       files={"file": ("html.txt", TEXT.encode("utf-8"), "text/plain")})
            assert r.status_code == 202, r.text
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                status = c.get("/admin/rebuild", headers=auth).json()
                if status["status"] in ("done", "failed") and not status["pending"]:
                    break
                time.sleep(0.3)
            assert status["status"] == "done", status
        yield f"{service.base}/plans/{PLAN_ID}/view?lines=2-4"
    finally:
        service.stop()


def test_plan_markup_is_shown_as_text_and_never_runs(viewer_url, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(viewer_url)
        expect(page.locator("#L2 .tx")).to_have_text(f"Chuyển đổi số tỉnh Thử Nghiệm {SCRIPT}")
        expect(page.locator("#L3 .tx")).to_have_text(f"I. MỤC TIÊU {IMG}")
        expect(page.locator("#L4")).to_have_class("ln hl")
        assert BREAKOUT in page.locator("#L4 .tx").inner_text()
        expect(page.locator("header h1")).to_have_text(f"Kế hoạch {SCRIPT} thử")
        assert IMG in page.locator("header p").inner_text()
        assert SCRIPT in page.title()
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None
        # only the viewer's own nonce'd scroll script; no element the plan's text spelled out
        assert page.locator("main script, main img, main iframe, main b, header img, nav img").count() == 0
        assert page.locator("script").count() == 1
        assert "{{7*7}} ${7*7} <b>đậm</b> &amp; &lt;" in page.locator("main").inner_text()
        assert not dialogs and not errors, (dialogs, errors)
    finally:
        context.close()
