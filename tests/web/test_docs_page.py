"""The service's /docs (Swagger UI) works offline: its page and everything the browser loads
come from the service itself (Swagger UI pinned in web/package.json, installed by
scripts/web_deps.sh), and the operations show their Vietnamese examples.

Runs the real app under uvicorn on a loopback port without loading the engine (the OpenAPI
document does not need it)."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
import uvicorn

from retrieval.config import get_settings
from retrieval.service.app import SWAGGER_DIR, create_app
from tests.stack import free_port

pytestmark = [pytest.mark.e2e]

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def service_url():
    if not (SWAGGER_DIR / "swagger-ui-bundle.js").is_file():
        pytest.fail("Swagger UI is not installed: run `bash scripts/web_deps.sh`")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(get_settings(), load=False), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_docs_page_references_no_external_url(service_url):
    html = httpx.get(f"{service_url}/docs", timeout=10).text
    assert not EXTERNAL.search(html), html
    assert "/docs/static/swagger-ui-bundle.js" in html and "/docs/static/swagger-ui.css" in html
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert httpx.get(f"{service_url}/docs/static/{name}", timeout=10).status_code == 200
    # only those files: nothing else of node_modules is reachable
    assert httpx.get(f"{service_url}/docs/static/package.json", timeout=10).status_code == 404
    assert httpx.get(f"{service_url}/docs/static/..%2F..%2Fpackage.json", timeout=10).status_code == 404


def test_docs_render_offline_with_vietnamese_examples(service_url, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    outside: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(service_url) or route.request.url.startswith("data:"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{service_url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Trợ lý kế hoạch chuyển đổi số",
                                                                          timeout=20_000)
        ask = page.locator(".opblock-post", has_text="/ask").first
        ask.locator(".opblock-summary").click()
        expect(ask.locator(".body-param__example, .example, .microlight").first).to_contain_text(
            "hóa đơn điện tử", timeout=10_000)
        assert outside == [], f"the page tried to load from outside: {outside}"
        assert not errors, errors
    finally:
        context.close()
