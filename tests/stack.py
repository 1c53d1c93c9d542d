"""The three real services on free loopback ports: the retrieval service, the action server and
Rasa running the trained model, every one bound to 127.0.0.1.

    with Stack() as stack:                 # a stack of its own (tests/e2e: restarts Rasa, stops the service)
        stack.say(sender, "xin chào")
    stack = Stack.shared()                 # one per test process, with the messaging channels
                                           # (tests/channels, tests/web); stopped at exit

With `channels=True` Rasa also serves the Zalo, Slack and Mattermost channels, their outside
APIs played by the loopback stand-ins of tests/channels/standins.py.  Used by tests/e2e,
tests/channels, tests/web and bench/rasa_roundtrip.py.  Logs go to artifacts/logs/<prefix>-*.log
so a failure can be read after the run.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
PY = ROOT / ".venv" / "bin" / "python"
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
LOGS = ROOT / "artifacts" / "logs"
HOST = "127.0.0.1"
# Sanic closes idle connections after 5 s by default; a busy Rasa then writes to a closing
# connection of the action server (bench/soak.py found it). Same value as scripts/run.sh.
KEEP_ALIVE = "30"

# A question that runs the whole answer path; asked once before the stack counts as ready.
WARM_UP_QUESTION = "Kế hoạch chuyển đổi số tỉnh Gia Lai"


def copy_corpus_and_index(corpus: Path, data: Path, dest: Path) -> tuple[Path, Path]:
    """A private (corpus_dir, data_dir) copy of a built index under `dest`, for tests that
    change the corpus or damage the index; the `current` symlink stays a symlink."""
    shutil.copytree(corpus, dest / "corpus")
    shutil.copytree(data, dest / "data", symlinks=True)
    return dest / "corpus", dest / "data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def trained_model() -> Path:
    """The model for the current bot/ (scripts/train_model.sh trains only when bot/ changed)."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "train_model.sh")], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=3600)
    return Path(out.stdout.strip().splitlines()[-1])


def rest_reply(rasa_url: str, sender: str, text: str, timeout: float = 30) -> list[dict]:
    """One user message through Rasa's REST channel; the bot's messages in order."""
    r = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout)
    r.raise_for_status()
    return r.json()


class Service:
    """One process: started in its own session, logged to a file, ready when `probe()` is true."""

    def __init__(self, name: str, args: list[str], cwd: Path, env: dict[str, str],
                 probe: Callable[[], bool]) -> None:
        self.name, self.args, self.cwd, self.env, self.probe = name, args, cwd, env, probe
        self.proc: subprocess.Popen | None = None
        self.log = LOGS / f"{name}.log"

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
                if self.probe():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; log {self.log}:\n{self.tail()}")

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


def _http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=2).status_code == 200


class Stack:
    """Start with `start()` (or `with`), talk with `say()`, always `stop()`."""

    _shared: Stack | None = None

    @classmethod
    def shared(cls) -> Stack:
        """The process-wide stack with the messaging channels, started on first use."""
        if cls._shared is None:
            stack = cls(channels=True, prefix="channels")
            stack.start()
            cls._shared = stack
            atexit.register(stack.stop)
        return cls._shared

    def __init__(self, model: Path | None = None, *, channels: bool = False, prefix: str = "e2e",
                 rate_limit_per_minute: int = 100_000) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix=f"cds-{prefix}-"))
        self.model = model
        self.prefix = prefix
        self.service_port, self.action_port, self.rasa_port = free_port(), free_port(), free_port()
        self.service_url = f"http://{HOST}:{self.service_port}"
        self.action_url = f"http://{HOST}:{self.action_port}"
        self.rasa_url = f"http://{HOST}:{self.rasa_port}"
        self.feedback_db = self.tmp / "feedback.sqlite"
        self.tracker_db = self.tmp / "tracker.sqlite"
        self.channels = channels
        if channels:
            self._init_channels()
        self.retrieval = Service(
            f"{prefix}-retrieval",
            [str(PY), "-m", "retrieval", "serve", "--host", HOST, "--port", str(self.service_port)], ROOT,
            {"CDS_HOST": HOST, "CDS_PORT": str(self.service_port), "CDS_PUBLIC_URL": self.service_url,
             "CDS_RASA_URL": self.rasa_url, "CDS_CORS_ORIGINS": f'["{self.service_url}"]',
             "CDS_RATE_LIMIT_PER_MINUTE": str(rate_limit_per_minute)},
            _http_ok(f"{self.service_url}/readyz"))
        self.actions = Service(
            f"{prefix}-actions",
            [str(RASA_PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)], ROOT,
            {"SANIC_HOST": HOST, "SANIC_KEEP_ALIVE_TIMEOUT": KEEP_ALIVE, "CDS_RETRIEVAL_URL": self.service_url, "CDS_PUBLIC_URL": self.service_url,
             "CDS_FEEDBACK_DB": str(self.feedback_db)},
            _http_ok(f"{self.action_url}/health"))
        self.rasa: Service | None = None

    # -- the messaging channels -------------------------------------------------------------
    def _init_channels(self) -> None:
        sys.path.insert(0, str(ROOT / "tests" / "channels"))
        from standins import StandIn, World

        self.world = World(
            zalo_app_id="4318822373981523456",
            zalo_app_secret="app-secret-" + secrets.token_hex(4),
            zalo_access_token="at-" + secrets.token_hex(8),
            zalo_refresh_token="rt-" + secrets.token_hex(8),
            slack_token="xoxb-" + secrets.token_hex(8),
        )
        self.zalo_oa_secret = "oa-secret-" + secrets.token_hex(8)
        self.slack_signing_secret = secrets.token_hex(16)
        self.zalo_state_db = self.tmp / "zalo_state.sqlite"
        self.standin = StandIn(self.world)
        self.mattermost_token = ""

    def mattermost_login(self) -> str:
        """The bot's session token, the way docs/channels.md gets it: POST /api/v4/users/login."""
        r = httpx.post(f"{self.standin.url}/api/v4/users/login",
                       json={"login_id": self.world.mattermost_login, "password": self.world.mattermost_password},
                       timeout=10)
        r.raise_for_status()
        return r.headers["Token"]

    def channel_env(self) -> dict[str, str]:
        return {
            "ZALO_APP_ID": self.world.zalo_app_id,
            "ZALO_OA_SECRET_KEY": self.zalo_oa_secret,
            "ZALO_APP_SECRET_KEY": self.world.zalo_app_secret,
            "ZALO_ACCESS_TOKEN": self.world.zalo_access_token,
            "ZALO_REFRESH_TOKEN": self.world.zalo_refresh_token,
            "ZALO_API_BASE": self.standin.url,
            "ZALO_OAUTH_BASE": self.standin.url,
            "ZALO_STATE_DB": str(self.zalo_state_db),
            "SLACK_BOT_TOKEN": self.world.slack_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_API_BASE_URL": self.standin.url + "/api/",
            "MATTERMOST_URL": self.standin.url + "/api/v4",
            "MATTERMOST_TOKEN": self.mattermost_token,
            "MATTERMOST_WEBHOOK_URL": f"{self.rasa_url}/webhooks/mattermost/webhook",
        }

    def write_credentials(self, env: dict[str, str]) -> Path:
        sys.path.insert(0, str(ROOT / "scripts"))
        from channel_credentials import build

        base = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text(encoding="utf-8")) or {}
        template = yaml.safe_load((ROOT / "bot" / "credentials.channels.yml").read_text(encoding="utf-8"))
        merged, enabled, skipped = build(base, template, env)
        wanted = {"channels.zalo.ZaloInput", "channels.slack.SlackInput", "mattermost"}
        assert wanted <= set(enabled), f"channels left out of the test credentials: {skipped}"
        path = self.tmp / "credentials.yml"
        path.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    # -- life cycle ---------------------------------------------------------------------------
    def _rasa_service(self) -> Service:
        env = {"SANIC_KEEP_ALIVE_TIMEOUT": KEEP_ALIVE,
               "CDS_ACTION_URL": f"{self.action_url}/webhook", "CDS_TRACKER_DIALECT": "sqlite",
               "CDS_TRACKER_DB": str(self.tracker_db), "CDS_TRACKER_URL": "", "CDS_PUBLIC_URL": self.service_url}
        credentials = "credentials.yml"
        if self.channels:
            env.update(self.channel_env())
            credentials = str(self.write_credentials(env))
        return Service(
            f"{self.prefix}-rasa",
            [str(RASA_PY), "-m", "rasa", "run", "--model", str(self.model), "--endpoints", "endpoints.yml",
             "--credentials", credentials, "--interface", HOST, "--port", str(self.rasa_port),
             "--cors", self.service_url],
            ROOT / "bot", env, self._rasa_answers)

    def _rasa_answers(self) -> bool:
        """Rasa serves HTTP before its model is loaded and drops messages until then: ready
        once a REST message gets a reply through the model."""
        return bool(rest_reply(self.rasa_url, "readiness-probe", "xin chào", timeout=30))

    def start(self) -> Stack:
        try:
            if self.channels:
                self.standin.start()
                self.mattermost_token = self.mattermost_login()
            if self.model is None:
                self.model = trained_model()
            self.rasa = self._rasa_service()
            for service in (self.retrieval, self.actions, self.rasa):
                service.start()
            self.retrieval.wait_ready(900)
            # The first question after start-up loads lazy parts of the engine and can outlast
            # the action server's /ask timeout; one question first keeps that out of the tests.
            httpx.post(f"{self.service_url}/ask", json={"question": WARM_UP_QUESTION}, timeout=300)
            self.actions.wait_ready(180)
            self.rasa.wait_ready(600)
        except BaseException:
            self.stop()
            raise
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
        if self.channels:
            try:
                self.standin.stop()
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def say(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        return rest_reply(self.rasa_url, sender, text, timeout)


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
