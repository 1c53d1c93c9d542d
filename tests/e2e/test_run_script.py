"""scripts/run.sh (what `make run` calls): on free loopback ports it starts the three services,
declares them ready only once Rasa answers through its model and the retrieval service has
answered a question, prints the chat URL, and stops everything on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.stack import RASA_PY, ROOT, free_port, trained_model

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not RASA_PY.exists(), reason="needs .venv-rasa: make venv-rasa"),
]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_ready_means_answering_and_sigterm_stops_all(tmp_path):
    trained_model()  # train outside the timed start-up if bot/ changed
    ports = {"CDS_RETRIEVAL_PORT": free_port(), "CDS_ACTIONS_PORT": free_port(), "CDS_RASA_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "CDS_HOST": "127.0.0.1",
           "CDS_TRACKER_DB": str(tmp_path / "tracker.sqlite"), "CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite"),
           "CDS_RATE_LIMIT_PER_MINUTE": "100000"}
    for name in ("CDS_RETRIEVAL_URL", "CDS_PUBLIC_URL", "CDS_RASA_URL", "CDS_ACTION_URL", "CDS_CREDENTIALS"):
        env.pop(name, None)
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out: list[str] = []
    try:
        deadline = time.monotonic() + 900
        chat = None
        while chat is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail("run.sh ended before it was ready:\n" + "".join(out))
            out.append(line)
            chat = re.match(r"Chat: (\S+)", line)
        assert chat, "no chat URL printed:\n" + "".join(out)
        log = "".join(out)
        assert "retrieval ready: one /ask answered" in log and "rasa ready: a REST message answered" in log, log
        assert chat.group(1) == f"http://127.0.0.1:{ports['CDS_RETRIEVAL_PORT']}/chat/"

        # ready means ready: the first question is answered at once, within the action timeout
        r = httpx.post(f"http://127.0.0.1:{ports['CDS_RASA_PORT']}/webhooks/rest/webhook", timeout=30,
                       json={"sender": "run-sh", "message": "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?"})
        assert "Cục Thuế" in " ".join(m.get("text", "") for m in r.json()), r.text
        assert httpx.get(chat.group(1), timeout=10).status_code == 200

        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
        assert not any(listening(p) for p in ports.values()), "a service is still listening after SIGTERM"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
