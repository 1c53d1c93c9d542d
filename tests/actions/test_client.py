"""RetrievalClient against a real loopback HTTP server: success, 4xx, 5xx, timeouts, refused."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from actions.client import RetrievalClient, RetrievalRejected, RetrievalUnavailable

ANSWER = {"answer": "Cục Thuế tỉnh chủ trì.", "answered": True, "kind": "lead", "plan": "phu-tho-2022",
          "citations": [], "records": [], "lang": "vi"}


# The service's error body (retrieval/service/errors.py).
TOO_LONG = {"error": {"code": "question_too_long",
                      "message_vi": "Câu hỏi quá dài (3000 ký tự; tối đa 2000).",
                      "message_en": "The question is too long (3000 characters; the limit is 2000)."}}


class Handler(BaseHTTPRequestHandler):
    mode = "ok"
    seen: list = []
    headers_seen: list = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: object) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.seen.append(body)
        Handler.headers_seen.append(dict(self.headers))
        if Handler.mode == "slow":
            time.sleep(1.0)
        if Handler.mode == "500":
            return self._send(500, {"detail": "boom"})
        if Handler.mode == "422":
            return self._send(422, TOO_LONG)
        if Handler.mode == "422-unknown-shape":
            return self._send(422, {"detail": [{"msg": "field required"}]})
        if Handler.mode == "garbage":
            return self._send(200, b"<html>")
        return self._send(200, ANSWER)

    def do_GET(self):
        self._send(200, {"count": 1, "plans": [{"id": "phu-tho-2022", "title": "KH", "province": "Phú Thọ"}]})


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.mode, Handler.seen, Handler.headers_seen = "ok", [], []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def ask(client: RetrievalClient, question: str = "Ai chủ trì?") -> dict:
    return asyncio.run(client.ask(question, ["trước đó"], "phu-tho-2022"))


def test_ask_posts_the_contract(server):
    assert ask(RetrievalClient(server)) == ANSWER
    assert Handler.seen == [{"question": "Ai chủ trì?", "history": ["trước đó"], "plan": "phu-tho-2022"}]


def test_plans_listing(server):
    plans = asyncio.run(RetrievalClient(server).plans())
    assert plans[0]["id"] == "phu-tho-2022"


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_server_failure_is_unavailable(server, mode):
    Handler.mode = mode
    with pytest.raises(RetrievalUnavailable):
        ask(RetrievalClient(server))


def test_timeout_is_unavailable(server):
    Handler.mode = "slow"
    with pytest.raises(RetrievalUnavailable):
        ask(RetrievalClient(server, timeout=0.2))


def test_refused_connection_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(RetrievalUnavailable):
        ask(RetrievalClient(f"http://127.0.0.1:{port}", timeout=1))


def test_client_error_carries_the_service_message(server):
    Handler.mode = "422"
    with pytest.raises(RetrievalRejected) as info:
        ask(RetrievalClient(server))
    err = info.value
    assert (err.status, err.code) == (422, "question_too_long")
    assert err.message == TOO_LONG["error"]["message_vi"]
    assert err.message_for("vi") == TOO_LONG["error"]["message_vi"]
    assert err.message_for("en") == TOO_LONG["error"]["message_en"]


def test_client_error_of_another_shape_gets_a_generic_message(server):
    Handler.mode = "422-unknown-shape"
    with pytest.raises(RetrievalRejected) as info:
        ask(RetrievalClient(server))
    assert info.value.message == "Câu hỏi không hợp lệ."


def test_sender_id_goes_out_as_client_id_header(server):
    client = RetrievalClient(server)
    asyncio.run(client.ask("Ai chủ trì?", [], None, client_id="zalo-user-42"))
    asyncio.run(client.ask("Ai chủ trì?", [], None))
    first, second = ({k.lower(): v for k, v in h.items()} for h in Handler.headers_seen)
    assert first["x-client-id"] == "zalo-user-42"
    assert "x-client-id" not in second


def test_one_connection_pool_for_many_questions(server):
    client = RetrievalClient(server)

    async def three() -> set[int]:
        pools = set()
        for _ in range(3):
            await client.ask("Ai chủ trì?", [], None)
            pools.add(id(client._http()))
        return pools

    assert len(asyncio.run(three())) == 1
