"""The three real services on free loopback ports: retrieval service, action server, Rasa.

Used by tests/e2e/test_conversation.py and bench/rasa_roundtrip.py.  Logs go to
artifacts/logs/e2e-*.log so a failure can be read after the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PY = ROOT / ".venv" / "bin" / "python"
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
LOGS = ROOT / "artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trained_model() -> Path:
    """The model for the current bot/ (scripts/train_model.sh trains only when bot/ changed)."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "train_model.sh")], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=3600)
    return Path(out.stdout.strip().splitlines()[-1])


class Service:
    def __init__(self, name: str, args: list[str], cwd: Path, env: dict[str, str], ready_url: str) -> None:
        self.name, self.args, self.cwd, self.env, self.ready_url = name, args, cwd, env, ready_url
        self.proc: subprocess.Popen | None = None
        self.log = LOGS / f"e2e-{name}.log"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(self.log, "a") as fh:
            self.proc = subprocess.Popen(self.args, cwd=self.cwd, env={**os.environ, **self.env}, stdout=fh,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc and self.proc.returncode}); "
                                   f"log {self.log}:\n{self.tail()}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s ({self.ready_url}); log:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class RasaStack:
    """Start with `start()`, talk with `say()`, always `stop()` (a context manager does it)."""

    def __init__(self, model: Path | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cds-e2e-"))
        self.model = model
        ports = [free_port() for _ in range(3)]
        self.service_url, self.action_url, self.rasa_url = (f"http://127.0.0.1:{p}" for p in ports)
        self.feedback_db = self.tmp / "feedback.sqlite"
        self.tracker_db = self.tmp / "tracker.sqlite"
        self.retrieval = Service(
            "retrieval", [str(PY), "-m", "retrieval", "serve", "--host", "127.0.0.1", "--port", str(ports[0])],
            ROOT, {"CDS_PUBLIC_URL": self.service_url, "CDS_RASA_URL": self.rasa_url,
                   "CDS_RATE_LIMIT_PER_MINUTE": "100000"},
            f"{self.service_url}/readyz")
        self.actions = Service(
            "actions", [str(RASA_PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(ports[1])],
            ROOT, {"SANIC_HOST": "127.0.0.1", "CDS_RETRIEVAL_URL": self.service_url,
                   "CDS_PUBLIC_URL": self.service_url, "CDS_FEEDBACK_DB": str(self.feedback_db)},
            f"{self.action_url}/health")
        self.rasa: Service | None = None
        self.ports = ports

    def _rasa_service(self) -> Service:
        return Service(
            "rasa", [str(RASA_PY), "-m", "rasa", "run", "--model", str(self.model), "--endpoints", "endpoints.yml",
                     "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(self.ports[2]),
                     "--cors", self.service_url],
            ROOT / "bot",
            {"CDS_ACTION_URL": f"{self.action_url}/webhook", "CDS_TRACKER_DIALECT": "sqlite",
             "CDS_TRACKER_DB": str(self.tracker_db), "CDS_TRACKER_URL": ""},
            f"{self.rasa_url}/")

    def start(self) -> RasaStack:
        if self.model is None:
            self.model = trained_model()
        self.rasa = self._rasa_service()
        for service in (self.retrieval, self.actions, self.rasa):
            service.start()
        self.retrieval.wait_ready(900)
        self.actions.wait_ready(180)
        self.rasa.wait_ready(600)
        return self

    def restart_rasa(self) -> None:
        assert self.rasa is not None
        self.rasa.stop()
        self.rasa.start()
        self.rasa.wait_ready(600)

    def stop(self) -> None:
        for service in (self.rasa, self.actions, self.retrieval):
            if service is not None:
                service.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> RasaStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def say(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        """One user message through Rasa's REST channel; the bot's messages in order."""
        r = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                       timeout=timeout)
        r.raise_for_status()
        return r.json()


def new_sender(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


def card(messages: list[dict]) -> dict | None:
    for m in messages:
        custom = m.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "answer":
            return custom
    return None
