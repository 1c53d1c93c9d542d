"""The API contract over real HTTP (uvicorn on a loopback port) with a small fake engine:
validation, errors, CORS, admin auth, uploads, the viewer, rate limiting.  Fast; the same
endpoints run on the real engine in test_service_e2e.py."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import pytest
from fake_engine import LINES, FakeEngine
from svc_helpers import thread_server, wait_ready

from retrieval.config import Settings
from retrieval.service import create_app
from retrieval.service.schemas import AnswerOut, AskRequest, SearchOut, clean_text
from retrieval.service.uploads import plan_id_from

KEY = "unit-admin-key"
PLANS_YAML = "# comment kept\nthu-nghiem-2024:\n  title: \"Kế hoạch thử\"\n  province: Thử\n  period: '2024'\n  year: 2024\n"


def _settings(tmp_path: Path, **kw) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "plans.yaml").write_text(PLANS_YAML, encoding="utf-8")
    (corpus / "thu-nghiem-2024.txt").write_text("\n".join(LINES), encoding="utf-8")
    base = dict(corpus_dir=corpus, data_dir=tmp_path / "data", admin_api_key=KEY,
                rate_limit_per_minute=0, cors_origins=["http://chat.example"])
    return Settings(**{**base, **kw})


class Builds:
    """A fake index.build that records its calls and can be slowed down."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay

    def __call__(self, settings, force):
        self.calls += 1
        time.sleep(self.delay)
        return settings.data_dir / f"index-{self.calls}"


@pytest.fixture
def service(tmp_path):
    settings = _settings(tmp_path)
    builds = Builds()
    app = create_app(settings, loader=lambda s, b: FakeEngine(), builder=builds)
    with thread_server(app) as base:
        wait_ready(base, 10)
        with httpx.Client(base_url=base, timeout=10) as client:
            client.app = app
            client.builds = builds
            client.settings = settings
            yield client


def _err(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert set(body) >= {"code", "message_vi", "message_en"}
    assert body["message_vi"] and body["message_en"]
    if code:
        assert body["code"] == code, body
    return body


# ------------------------------------------------------------------------------- happy paths

def test_health_and_ready(service):
    assert service.get("/healthz").json() == {"status": "ok"}
    ready = service.get("/readyz").json()
    assert ready["status"] == "ready" and ready["plans"] == 1 and ready["manifest"]["corpus_hash"] == "fake"


def test_ask_returns_the_answer_contract(service):
    r = service.post("/ask", json={"question": "  Ai chủ trì\u0000 thương mại điện tử? ", "history": ["x", "  "]})
    assert r.status_code == 200, r.text
    body = r.json()
    AnswerOut.model_validate(body)
    assert set(body) == {"answer", "answered", "kind", "plan", "citations", "records", "lang"}
    cit = body["citations"][0]
    assert cit["line_start"] == 7 and cit["url"].endswith("/plans/thu-nghiem-2024/view?lines=7-7")
    engine = service.app.state.index.engine
    # cleaned before it reaches the engine: control char gone, blank history turns dropped
    assert engine.calls[-1] == ("ask", "Ai chủ trì thương mại điện tử?", ["x"], None)


def test_ask_normalises_to_nfc(service):
    decomposed = "Ai chu\u0309 tri\u0300?"          # "Ai chủ trì?" typed with combining marks
    service.post("/ask", json={"question": decomposed})
    assert service.app.state.index.engine.calls[-1][1] == "Ai chủ trì?"


def test_answers_are_cached_per_engine(service):
    q = {"question": "Câu hỏi lặp lại về thương mại điện tử?"}
    first = service.post("/ask", json=q)
    second = service.post("/ask", json=q)
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.json() == second.json()
    calls = [c for c in service.app.state.index.engine.calls if c[1] == q["question"]]
    assert len(calls) == 1
    assert service.post("/ask", json=q, headers={"Cache-Control": "no-cache"}).headers["x-cache"] == "miss"
    service.post("/admin/rebuild", headers=_auth())
    _wait_rebuild(service, 1)
    assert service.post("/ask", json=q).headers["x-cache"] == "miss"     # a new engine starts empty


def test_search(service):
    r = service.post("/search", json={"query": "thương mại điện tử", "plan": "thu-nghiem-2024", "k": 3})
    assert r.status_code == 200, r.text
    body = SearchOut.model_validate(r.json())
    assert body.hits[0].line_start == 7 and body.hits[0].scores == {"bm25": 1.5}


def test_plans_and_plan_detail(service):
    plans = service.get("/plans").json()
    assert plans["count"] == 1 and plans["plans"][0]["id"] == "thu-nghiem-2024"
    detail = service.get("/plans/thu-nghiem-2024").json()
    assert detail["lines"] == len(LINES)
    assert detail["records"][0]["lead"] == "Sở Công Thương" and detail["records"][0]["id"]


def test_viewer_escapes_and_highlights(service):
    r = service.get("/plans/thu-nghiem-2024/view", params={"lines": "6-7"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp;" in page
    assert '<html lang="vi">' in page and "<title>Kế hoạch Chuyển đổi số tỉnh Thử Nghiệm năm 2024 — dòng 6–7" in page
    assert 'class="ln h hl" id="L6"' in page and 'class="ln hl" id="L7"' in page and 'class="ln" id="L5"' not in page
    assert 'href="#L3">I. MỤC TIÊU</a>' in page                     # sections listed
    assert 'getElementById("L6")' in page and "nonce-" in r.headers["content-security-policy"]


def test_viewer_without_lines_and_bad_lines(service):
    assert service.get("/plans/thu-nghiem-2024/view").status_code == 200
    _err(service.get("/plans/thu-nghiem-2024/view", params={"lines": "abc"}), 422, "invalid_lines")
    _err(service.get("/plans/thu-nghiem-2024/view", params={"lines": "500-510"}), 422, "lines_out_of_range")
    assert service.get("/plans/thu-nghiem-2024/view", params={"lines": "7-999"}).status_code == 200
    _err(service.get("/plans/khong-co/view"), 404, "unknown_plan")


def test_openapi_has_vietnamese_examples(service):
    spec = service.get("/openapi.json").json()
    text = json.dumps(spec, ensure_ascii=False)
    assert "Ai chủ trì thúc đẩy sử dụng hóa đơn điện tử" in text
    assert spec["paths"]["/ask"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert service.get("/docs").status_code == 200


# ------------------------------------------------------------------------------ validation

@pytest.mark.parametrize("payload,code", [
    ({"question": ""}, "empty_question"),
    ({"question": "   \t\n "}, "empty_question"),
    ({"question": "\u0000\u0001\u200b"}, "empty_question"),
    ({"question": "x" * 2001}, "question_too_long"),
    ({"question": "hỏi", "history": ["a"] * 21}, "history_too_long"),
    ({"question": "hỏi", "history": ["a" * 2001]}, "history_turn_too_long"),
    ({}, "invalid_request"),
    ({"question": 5}, "invalid_request"),
    ({"question": "hỏi", "history": "không phải danh sách"}, "invalid_request"),
    ([1, 2], "invalid_request"),
])
def test_ask_validation(service, payload, code):
    body = _err(service.post("/ask", json=payload), 422, code)
    if code == "question_too_long":
        assert "2000" in body["message_vi"]


def test_limits_at_the_boundary_are_accepted(service):
    r = service.post("/ask", json={"question": "x" * 2000, "history": ["a"] * 20})
    assert r.status_code == 200, r.text


def test_unknown_plan_lists_known_plans(service):
    body = _err(service.post("/ask", json={"question": "hỏi", "plan": "abc"}), 422, "unknown_plan")
    assert "thu-nghiem-2024" in body["message_vi"] and "Không tìm thấy kế hoạch 'abc'" in body["message_vi"]
    _err(service.post("/search", json={"query": "x", "plan": "abc"}), 422, "unknown_plan")
    _err(service.get("/plans/abc"), 404, "unknown_plan")


def test_malformed_json_and_content_type(service):
    _err(service.post("/ask", content=b'{"question": "a",', headers={"content-type": "application/json"}),
         400, "malformed_json")
    _err(service.post("/ask", content=b"question=a", headers={"content-type": "text/plain"}),
         415, "unsupported_media_type")
    _err(service.post("/ask", content=b"question=a"), 415, "unsupported_media_type")
    _err(service.post("/ask", data={"question": "a"}), 415, "unsupported_media_type")


def test_invalid_utf8_and_lone_surrogates(service):
    r = service.post("/ask", content=b'{"question": "ai ch\xff\xfe tr\xc3"}', headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in r.json()
    r = service.post("/ask", content=b'{"question": "ai \\ud800 chu tri"}', headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert service.app.state.index.engine.calls[-1][1] == "ai chu tri"
    assert service.get("/healthz").status_code == 200      # the worker survived


def test_search_validation(service):
    _err(service.post("/search", json={"query": "  "}), 422, "empty_query")
    _err(service.post("/search", json={"query": "x", "k": 0}), 422, "invalid_request")
    _err(service.post("/search", json={"query": "x", "k": 1000}), 422, "invalid_request")


def test_unknown_route_and_method(service):
    _err(service.get("/khong-ton-tai"), 404, "not_found")
    _err(service.get("/ask"), 405, "method_not_allowed")


def test_oversized_body_is_refused(service):
    big = json.dumps({"question": "x" * (2 * 1024 * 1024)})
    _err(service.post("/ask", content=big, headers={"content-type": "application/json"}), 413, "payload_too_large")


def test_cors_only_for_configured_origins(service):
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = service.options("/ask", headers={"Origin": "http://chat.example", **pre})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://chat.example"
    bad = service.options("/ask", headers={"Origin": "http://evil.example", **pre})
    assert "access-control-allow-origin" not in bad.headers
    r = service.post("/ask", json={"question": "hỏi"}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


# ---------------------------------------------------------------------------------- admin

def _auth(key: str = KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_admin_auth(service):
    _err(service.get("/admin/rebuild"), 401, "unauthorized")
    _err(service.get("/admin/rebuild", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    _err(service.get("/admin/rebuild", headers=_auth("wrong")), 403, "forbidden")
    _err(service.delete("/admin/plans/thu-nghiem-2024", headers=_auth("wrong")), 403, "forbidden")
    _err(service.post("/admin/rebuild"), 401, "unauthorized")
    assert service.get("/admin/rebuild", headers=_auth()).json()["status"] == "idle"


def test_admin_disabled_without_key(tmp_path):
    app = create_app(_settings(tmp_path, admin_api_key=None), loader=lambda s, b: FakeEngine())
    with thread_server(app) as base:
        for method, path in (("GET", "/admin/rebuild"), ("POST", "/admin/rebuild"), ("DELETE", "/admin/plans/x")):
            r = httpx.request(method, base + path, headers=_auth())
            body = _err(r, 404, "admin_disabled")
            assert "CDS_ADMIN_API_KEY" in body["message_vi"]


PLAN_TEXT = ("KẾ HOẠCH\nChuyển đổi số tỉnh Mẫu năm 2024\nI. MỤC TIÊU\n"
             + "Phát triển chính quyền số, kinh tế số và xã hội số trên địa bàn tỉnh.\n" * 5)


def _upload(client, name="Kế hoạch mới.txt", data: bytes | None = None, **fields):
    form = {"title": "Kế hoạch Chuyển đổi số tỉnh Mẫu năm 2024", "province": "Mẫu", "period": "2024", "year": "2024"}
    form.update(fields)
    data = PLAN_TEXT.encode() if data is None else data
    return client.post("/admin/plans", headers=_auth(), data=form, files={"file": (name, data, "text/plain")})


def _wait_rebuild(client, generation: int, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/admin/rebuild", headers=_auth()).json()
        if status["status"] in ("done", "failed") and status["generation"] >= generation and not status["pending"]:
            return status
        time.sleep(0.05)
    raise TimeoutError(status)


def test_upload_writes_corpus_and_rebuilds(service):
    corpus = service.settings.corpus_dir
    r = _upload(service, name="../../Kế hoạch Mẫu 2024.txt")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["plan"]["id"] == "ke-hoach-mau-2024" and body["file"] == "ke-hoach-mau-2024.txt"
    assert (corpus / "ke-hoach-mau-2024.txt").read_text(encoding="utf-8").startswith("KẾ HOẠCH")
    assert not (corpus.parent / "Kế hoạch Mẫu 2024.txt").exists()
    yaml_text = (corpus / "plans.yaml").read_text(encoding="utf-8")
    assert yaml_text.startswith("# comment kept") and "ke-hoach-mau-2024:" in yaml_text
    assert "Kế hoạch Chuyển đổi số tỉnh Mẫu năm 2024" in yaml_text       # unicode kept readable
    assert _wait_rebuild(service, 1)["status"] == "done" and service.builds.calls >= 1
    _err(_upload(service, name="Kế hoạch Mẫu 2024.txt"), 409, "plan_exists")
    # delete
    r = service.delete("/admin/plans/ke-hoach-mau-2024", headers=_auth())
    assert r.status_code == 202 and not (corpus / "ke-hoach-mau-2024.txt").exists()
    yaml_after = (corpus / "plans.yaml").read_text(encoding="utf-8")
    assert yaml_after == PLANS_YAML
    _err(service.delete("/admin/plans/ke-hoach-mau-2024", headers=_auth()), 404, "unknown_plan")


def _corpus_state(corpus: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(corpus.iterdir())}


@pytest.mark.parametrize("name,data,status,code", [
    ("evil.exe", b"MZ" + b"x" * 500, 415, "unsupported_file_type"),
    ("noext", PLAN_TEXT.encode(), 415, "unsupported_file_type"),
    ("bad.txt", "Kế hoạch".encode("cp1258", errors="replace") + b"\xff\xfe\xfa" * 100, 422, "invalid_encoding"),
    ("short.txt", "Kế hoạch ngắn".encode(), 422, "no_text"),
    ("empty.txt", b"", 422, "empty_file"),
    ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100, 422, None),
    ("fake.pdf", PLAN_TEXT.encode(), 422, "broken_file"),
    ("broken.docx", b"PK\x03\x04" + b"garbage" * 100, 422, "broken_file"),
    ("binary.txt", b"\x00\x01" * 300, 422, "broken_file"),
])
def test_bad_uploads_leave_corpus_untouched(service, name, data, status, code):
    before = _corpus_state(service.settings.corpus_dir)
    _err(_upload(service, name=name, data=data), status, code)
    assert _corpus_state(service.settings.corpus_dir) == before
    assert service.builds.calls == 0


def test_upload_too_large(tmp_path):
    settings = _settings(tmp_path, max_upload_bytes=1000)
    app = create_app(settings, loader=lambda s, b: FakeEngine(), builder=Builds())
    with thread_server(app) as base, httpx.Client(base_url=base) as client:
        wait_ready(base, 10)
        _err(_upload(client, data=PLAN_TEXT.encode() * 10), 413, "file_too_large")
        big = b"x" * (400 * 1024)                       # over the declared-length limit too
        _err(_upload(client, data=big), 413, "payload_too_large")


def test_upload_metadata_validation(service):
    _err(_upload(service, title="   "), 422, "invalid_metadata")
    _err(_upload(service, year="năm ngoái"), 422, "invalid_request")
    _err(_upload(service, year="1800"), 422, "invalid_request")
    r = service.post("/admin/plans", headers=_auth(), data={"title": "x"},
                     files={"file": ("a.txt", PLAN_TEXT.encode(), "text/plain")})
    _err(r, 422, "invalid_request")


def test_upload_docx(service):
    import docx

    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH Chuyển đổi số tỉnh Mẫu")
    for _ in range(5):
        document.add_paragraph("Sở Công Thương chủ trì, phối hợp với Sở Tài chính phát triển thương mại điện tử.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Nhiệm vụ A"
    table.rows[0].cells[1].text = "Sở Y tế"
    buf = io.BytesIO()
    document.save(buf)
    r = _upload(service, name="mau.docx", data=buf.getvalue())
    assert r.status_code == 202, r.text
    text = (service.settings.corpus_dir / "mau.txt").read_text(encoding="utf-8")
    assert "Sở Công Thương chủ trì" in text and "Nhiệm vụ A\nSở Y tế" in text


def test_rebuilds_coalesce(tmp_path):
    builds = Builds(delay=0.3)
    app = create_app(_settings(tmp_path), loader=lambda s, b: FakeEngine(), builder=builds)
    with thread_server(app) as base, httpx.Client(base_url=base) as client:
        wait_ready(base, 10)
        first = client.post("/admin/rebuild", headers=_auth()).json()
        assert first["status"] == "running"
        for _ in range(3):
            assert client.post("/admin/rebuild", headers=_auth()).json()["pending"] is True
        status = _wait_rebuild(client, 2)
        assert status["status"] == "done" and builds.calls == 2


def test_rate_limit(tmp_path):
    app = create_app(_settings(tmp_path, rate_limit_per_minute=3), loader=lambda s, b: FakeEngine())
    with thread_server(app) as base, httpx.Client(base_url=base) as client:
        wait_ready(base, 10)
        codes = [client.post("/ask", json={"question": "hỏi"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.post("/ask", json={"question": "hỏi"})
        body = _err(r, 429, "rate_limited")
        assert "vui lòng đợi" in body["message_vi"] and int(r.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200      # health is never limited
        # a local caller speaking for several users (the action server) names them
        assert client.post("/ask", json={"question": "hỏi"}, headers={"X-Client-Id": "user-a"}).status_code == 200
        assert client.post("/ask", json={"question": "hỏi"}, headers={"X-Client-Id": "user-b"}).status_code == 200


def test_not_ready_is_503(tmp_path):
    def failing(settings, build_if_stale):
        raise FileNotFoundError("no index in data dir")

    app = create_app(_settings(tmp_path), loader=failing)
    with thread_server(app) as base:
        time.sleep(0.3)
        ready = httpx.get(base + "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "failed"
        _err(httpx.post(base + "/ask", json={"question": "hỏi"}), 503, "index_unavailable")


# --------------------------------------------------------------------------- shared schemas

def test_schemas_are_built_from_the_records():
    from dataclasses import fields

    from retrieval.models import Answer, Citation
    from retrieval.service.schemas import CitationOut

    assert set(AnswerOut.model_fields) == {f.name for f in fields(Answer)}
    assert set(CitationOut.model_fields) == {f.name for f in fields(Citation)} | {"url"}
    assert AskRequest(question=" a ").question == "a"
    assert clean_text("a\x1b[31m b\u202e") == "a [31m b"


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\win.ini", "win"),
    ("Kế hoạch Đắk Lắk 2024.txt", "ke-hoach-dak-lak-2024"),
    ("/abs/path/x.y.z.txt", "x-y-z"),
])
def test_plan_id_sanitised(name, expected):
    assert plan_id_from(name) == expected


def test_token_bucket_refills():
    from retrieval.service.ratelimit import TokenBucket

    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])           # one token a second, burst 60
    assert all(bucket.take("a") == 0 for _ in range(60))
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0                              # buckets are per client
    now[0] += 2.0
    assert bucket.take("a") == 0 and bucket.take("a") == 0 and bucket.take("a") > 0
    assert TokenBucket(0).take("a") == 0                      # 0 turns the limiter off


@pytest.mark.parametrize("host,header,expected", [
    ("127.0.0.1", "user-a", "127.0.0.1/user-a"),
    ("10.0.0.5", "user-a", "10.0.0.5"),                       # not trusted: the header is ignored
    ("127.0.0.1", "", "127.0.0.1"),
])
def test_client_key_trusts_x_client_id_only_locally(host, header, expected):
    from starlette.requests import Request

    from retrieval.service.ratelimit import client_key

    headers = [(b"x-client-id", header.encode())] if header else []
    request = Request({"type": "http", "client": (host, 5000), "headers": headers})
    assert client_key(request) == expected
