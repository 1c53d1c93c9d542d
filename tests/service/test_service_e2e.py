"""The real service (`python -m retrieval.service` under uvicorn, on a free loopback port)
over the real index built from a copy of corpus/: every endpoint, validation on the live
engine, upload-then-ask, delete, and a rebuild while /ask is being hammered."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from html import unescape
from pathlib import Path

import httpx
import pytest
from svc_helpers import ADMIN_KEY, subprocess_server

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.e2e]
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _env(corpus: Path, data: Path, **extra: str) -> dict[str, str]:
    return {"CDS_CORPUS_DIR": str(corpus), "CDS_DATA_DIR": str(data), "CDS_ADMIN_API_KEY": ADMIN_KEY,
            "CDS_RATE_LIMIT_PER_MINUTE": "0", "CDS_LOG_LEVEL": "INFO", **extra}


@pytest.fixture(scope="module")
def live(built_index, tmp_path_factory):
    corpus, data = built_index
    log = tmp_path_factory.mktemp("logs") / "service.log"
    with subprocess_server(_env(corpus, data), log_path=log) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def _dev(n: int | None = None) -> list[dict]:
    rows = [json.loads(x) for x in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return rows[:n] if n else rows


def _contains_any(text: str, names: list[str]) -> bool:
    low = text.lower()
    return any(n.lower() in low for n in names)


def test_health_ready_plans(live):
    assert live.get("/healthz").json() == {"status": "ok"}
    ready = live.get("/readyz").json()
    assert ready["status"] == "ready" and ready["plans"] == 5
    assert ready["manifest"]["corpus_hash"] and ready["manifest"]["embedder"]
    plans = live.get("/plans").json()
    ids = {p["id"] for p in plans["plans"]}
    assert ids == {"phu-tho-2022", "phu-tho-2026-ocr", "phu-tho-nong-thon-moi-2025", "vinh-phuc-2022-2025",
                   "gia-lai-2021-2025"}
    detail = live.get("/plans/phu-tho-2022").json()
    assert detail["plan"]["province"] == "Phú Thọ" and detail["lines"] > 900
    assert any(r["lead"] and "Cục Thuế" in r["lead"] for r in detail["records"])


def test_ask_answers_with_citation_and_viewer(live):
    q = "Phú Thọ 2022: ai chủ trì việc kết nối, chia sẻ dữ liệu với Cơ sở dữ liệu quốc gia về dân cư?"
    r = live.post("/ask", json={"question": q, "history": [], "plan": None})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answered"] and "Công an tỉnh" in body["answer"]
    cit = body["citations"][0]
    assert cit["url"].startswith(str(live.base_url)) and f"lines={cit['line_start']}-{cit['line_end']}" in cit["url"]
    page = live.get(cit["url"])
    assert page.status_code == 200
    html = page.text
    assert f'class="ln hl" id="L{cit["line_start"]}"' in html or f'hl" id="L{cit["line_start"]}"' in html
    first_line = cit["text"].splitlines()[0].strip()
    assert first_line[:30] in unescape(html)


def test_viewer_scrolls_to_the_cited_lines_in_a_browser(live):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("needs /usr/bin/chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live.base_url}/plans/phu-tho-2022/view?lines=668-674")
            page.wait_for_function("window.scrollY > 0")
            box = page.locator("#L670").bounding_box()
            assert box and 0 <= box["y"] <= 800, box          # the cited lines are on screen
            assert page.locator(".ln.hl").count() == 7
            assert "Cục Thuế tỉnh chủ trì" in page.locator("#L670").inner_text()
            assert page.title().startswith("Kế hoạch Chuyển đổi số tỉnh Phú Thọ năm 2022")
            assert errors == []                                  # CSP let the nonce'd script/style run
        finally:
            browser.close()


def test_ask_without_diacritics_and_in_english(live):
    for row in _dev():
        if row["lang"] in ("vi-noaccent", "en") and row["kind"] == "lead":
            r = live.post("/ask", json={"question": row["question"], "history": row["history"]})
            assert r.status_code == 200, r.text
            assert r.json()["lang"] in ("vi", "en")


def test_search(live):
    r = live.post("/search", json={"query": "hóa đơn điện tử", "plan": "phu-tho-2022", "k": 3})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert 1 <= len(hits) <= 3 and all(h["plan"] == "phu-tho-2022" for h in hits)
    assert any("hóa đơn điện tử" in h["text"] for h in hits)


def test_validation_on_the_real_engine(live):
    cases = [
        ({"question": "   "}, 422, "empty_question"),
        ({"question": "a" * 2001}, 422, "question_too_long"),
        ({"question": "hỏi", "history": ["x"] * 21}, 422, "history_too_long"),
        ({"question": "hỏi", "plan": "ha-noi-2030"}, 422, "unknown_plan"),
    ]
    for payload, status, code in cases:
        r = live.post("/ask", json=payload)
        assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    msg = live.post("/ask", json={"question": "hỏi", "plan": "ha-noi-2030"}).json()["error"]["message_vi"]
    assert "phu-tho-2022" in msg and "gia-lai-2021-2025" in msg
    r = live.post("/ask", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = live.post("/ask", content="question=hỏi".encode(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = live.post("/ask", content=b'{"question": "ai ch\xc3 tr\xff"}', headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    raw = '{"question": "ai chủ trì\\u0000\\u0007 hóa đơn điện tử \\ud800?"}'.encode()
    r = live.post("/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert live.get("/plans/ha-noi-2030").status_code == 404
    assert live.get("/admin/rebuild").status_code == 401
    assert live.get("/admin/rebuild", headers={"Authorization": "Bearer nope"}).status_code == 403


NEW_PLAN = """ỦY BAN NHÂN DÂN
TỈNH LÂM VIÊN

KẾ HOẠCH
Chuyển đổi số tỉnh Lâm Viên năm 2025

I. MỤC TIÊU
Phát triển chính quyền số, kinh tế số và xã hội số; đưa hoạt động thương mại của nông dân
lên môi trường số.

II. NHIỆM VỤ, GIẢI PHÁP
1. Phát triển kinh tế số
Sở Công Thương chủ trì, phối hợp với Sở Nông nghiệp và Phát triển nông thôn và các địa
phương xây dựng sàn giao dịch nông sản trực tuyến của tỉnh Lâm Viên, hoàn thành trong năm 2025.
2. Phát triển xã hội số
Sở Y tế chủ trì, phối hợp với Bảo hiểm xã hội tỉnh triển khai hồ sơ sức khỏe điện tử cho
người dân trên địa bàn tỉnh.

III. TỔ CHỨC THỰC HIỆN
Sở Thông tin và Truyền thông chủ trì theo dõi, đôn đốc việc thực hiện Kế hoạch này.
"""
NEW_ID = "lam-vien-2025"
NEW_Q = "Ai chủ trì xây dựng sàn giao dịch nông sản trực tuyến của tỉnh Lâm Viên?"


def _wait_rebuild(client: httpx.Client, generation: int, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    status: dict = {}
    while time.monotonic() < deadline:
        status = client.get("/admin/rebuild", headers=AUTH).json()
        if status["status"] == "failed":
            raise AssertionError(f"rebuild failed: {status}")
        if status["status"] == "done" and status["generation"] >= generation and not status["pending"]:
            return status
        time.sleep(0.5)
    raise TimeoutError(status)


def test_upload_then_ask_then_delete(index_copy, tmp_path):
    corpus, data = index_copy
    with subprocess_server(_env(corpus, data), log_path=tmp_path / "service.log") as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        before = c.post("/ask", json={"question": NEW_Q, "plan": NEW_ID})
        assert before.status_code == 422 and before.json()["error"]["code"] == "unknown_plan"
        form = {"title": "Kế hoạch Chuyển đổi số tỉnh Lâm Viên năm 2025", "province": "Lâm Viên",
                "period": "2025", "year": "2025", "plan_id": NEW_ID}
        r = c.post("/admin/plans", headers=AUTH, data=form,
                   files={"file": ("lam vien.txt", NEW_PLAN.encode("utf-8"), "text/plain")})
        assert r.status_code == 202, r.text
        assert (corpus / f"{NEW_ID}.txt").exists()
        # the old engine keeps answering while the new index builds
        assert c.post("/ask", json={"question": "Ai chủ trì thúc đẩy hóa đơn điện tử?"}).status_code == 200
        _wait_rebuild(c, 1)
        assert NEW_ID in {p["id"] for p in c.get("/plans").json()["plans"]}
        r = c.post("/ask", json={"question": NEW_Q, "plan": NEW_ID})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["answered"] and "Sở Công Thương" in body["answer"], body
        assert body["citations"] and body["citations"][0]["plan"] == NEW_ID
        view = c.get(body["citations"][0]["url"])
        assert view.status_code == 200 and "Lâm Viên" in view.text
        # unscoped, the new plan is found among the others
        r = c.post("/ask", json={"question": NEW_Q})
        assert r.status_code == 200 and "Sở Công Thương" in r.json()["answer"], r.text

        r = c.delete(f"/admin/plans/{NEW_ID}", headers=AUTH)
        assert r.status_code == 202, r.text
        _wait_rebuild(c, 2)
        assert NEW_ID not in {p["id"] for p in c.get("/plans").json()["plans"]}
        assert c.post("/ask", json={"question": NEW_Q, "plan": NEW_ID}).status_code == 422
        assert not (corpus / f"{NEW_ID}.txt").exists()


def test_broken_upload_leaves_corpus_and_index(index_copy, tmp_path):
    corpus, data = index_copy
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    with subprocess_server(_env(corpus, data), log_path=tmp_path / "service.log") as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        form = {"title": "Hỏng", "province": "X", "period": "2025", "year": "2025"}
        r = c.post("/admin/plans", headers=AUTH, data=form,
                   files={"file": ("hong.pdf", b"%PDF-1.4\n\x00\x01broken", "application/pdf")})
        assert r.status_code == 422 and r.json()["error"]["code"] in ("broken_file", "no_text"), r.text
        r = c.post("/admin/plans", headers=AUTH, data=form,
                   files={"file": ("../../../etc/cron.d/x.sh", b"echo", "text/plain")})
        assert r.status_code == 415
        assert c.get("/admin/rebuild", headers=AUTH).json()["status"] == "idle"
        assert c.get("/readyz").json()["plans"] == 5
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_rebuild_while_ask_is_hammered(index_copy, tmp_path):
    corpus, data = index_copy
    questions = [{"question": r["question"], "history": r["history"]} for r in _dev(30)]
    probe = {"question": "Phú Thọ 2022: ai chủ trì việc kết nối, chia sẻ dữ liệu với Cơ sở dữ liệu quốc gia về dân cư?"}
    with subprocess_server(_env(corpus, data), log_path=tmp_path / "service.log") as base, \
            httpx.Client(base_url=base, timeout=60) as c:
        first = c.post("/ask", json=probe).json()
        assert first["answered"] and "Công an tỉnh" in first["answer"]
        built_before = c.get("/readyz").json()["manifest"]["built_at"]

        stop = threading.Event()
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()

        def hammer(offset: int) -> None:
            # no-cache: every request runs the engine, so the old index really serves meanwhile
            with httpx.Client(base_url=base, timeout=60, headers={"Cache-Control": "no-cache"}) as own:
                i = offset
                while not stop.is_set():
                    try:
                        r = own.post("/ask", json=questions[i % len(questions)])
                        key = "ok" if r.status_code == 200 and "answer" in r.json() else f"http {r.status_code}"
                    except httpx.HTTPError as exc:
                        key = type(exc).__name__
                    with lock:
                        outcomes[key] += 1
                    i += 1

        threads = [threading.Thread(target=hammer, args=(k * 7,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            r = c.post("/admin/rebuild", params={"force": "true"}, headers=AUTH)
            assert r.status_code == 202 and r.json()["status"] == "running"
            status = _wait_rebuild(c, 1)
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert status["status"] == "done"
        assert outcomes["ok"] > 20 and set(outcomes) == {"ok"}, outcomes
        after = c.post("/ask", json=probe).json()
        assert after["answered"] and after["answer"] == first["answer"]
        manifest = c.get("/readyz").json()["manifest"]
        assert manifest["built_at"] != built_before and manifest["reason"] == "forced"
