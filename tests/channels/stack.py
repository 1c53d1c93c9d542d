"""The real services the channel tests talk to, started once per test process on free
loopback ports: the retrieval service, the action server and Rasa (trained model, rest +
socketio + Zalo + Slack channels), with the outside APIs (Zalo OA, Slack Web API) played
by the loopback stand-ins in standins.py.

`Stack.get()` starts everything on first use; an atexit hook stops it.  Logs go to
artifacts/logs/ so a failure can be read after the run.
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
from pathlib import Path

import httpx
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from channel_credentials import build as build_credentials  # noqa: E402
from standins import StandIn, World  # noqa: E402

RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
PY = ROOT / ".venv" / "bin" / "python"
LOGS = ROOT / "artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float, log: Path, ok=(200,)) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}; see {log}\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(url, timeout=2).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s; see {log}\n" + log.read_text(errors="replace")[-3000:])


def trained_model() -> Path:
    """The model for the current bot/ (trained by scripts/train_model.sh only if bot/ changed)."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "train_model.sh")], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=3600)
    return Path(out.stdout.strip().splitlines()[-1])


class Stack:
    _instance: Stack | None = None

    @classmethod
    def get(cls) -> Stack:
        if cls._instance is None:
            stack = cls()
            try:
                stack.start()
            except BaseException:
                stack.stop()
                raise
            cls._instance = stack
            atexit.register(stack.stop)
        return cls._instance

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cds-channels-"))
        self.procs: list[subprocess.Popen] = []
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
        self.service_port, self.action_port, self.rasa_port = free_port(), free_port(), free_port()
        self.service_url = f"http://127.0.0.1:{self.service_port}"
        self.action_url = f"http://127.0.0.1:{self.action_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"

    def _spawn(self, name: str, args: list[str], cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"{name}.log"
        fh = open(log, "w")  # noqa: SIM115 (lives as long as the process)
        proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc, log

    def rasa_env(self) -> dict[str, str]:
        return {
            "CDS_ACTION_URL": f"{self.action_url}/webhook",
            "CDS_TRACKER_DIALECT": "sqlite",
            "CDS_TRACKER_DB": str(self.tmp / "tracker.sqlite"),
            "CDS_TRACKER_URL": "",
            "CDS_PUBLIC_URL": self.service_url,
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
        }

    def write_credentials(self, env: dict[str, str]) -> Path:
        base_path = ROOT / "bot" / "credentials.yml"
        base = yaml.safe_load(base_path.read_text(encoding="utf-8")) if base_path.exists() else {}
        template = yaml.safe_load((ROOT / "bot" / "credentials.channels.yml").read_text(encoding="utf-8"))
        merged, enabled, skipped = build_credentials(base, template, env)
        wanted = {"channels.zalo.ZaloInput", "channels.slack.SlackInput"}
        assert wanted <= set(enabled), f"channels left out of the test credentials: {skipped}"
        # The page needs socket.io with session persistence; REST is what the other e2e tests use.
        merged.setdefault("rest", None)
        if "socketio" not in merged and "channels.socketio.SocketIOInput" not in merged:
            merged["channels.socketio.SocketIOInput"] = {
                "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
        path = self.tmp / "credentials.yml"
        path.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def start(self) -> None:
        self.standin.start()
        model = trained_model()

        service_env = {"CDS_HOST": "127.0.0.1", "CDS_PORT": str(self.service_port),
                       "CDS_PUBLIC_URL": self.service_url, "CDS_RASA_URL": self.rasa_url,
                       "CDS_CORS_ORIGINS": f'["{self.service_url}"]'}
        service, service_log = self._spawn(
            "service", [str(PY), "-m", "retrieval", "serve", "--host", "127.0.0.1", "--port", str(self.service_port)],
            ROOT, service_env)

        action_env = {"CDS_RETRIEVAL_URL": self.service_url, "CDS_PUBLIC_URL": self.service_url,
                      "CDS_FEEDBACK_DB": str(self.tmp / "feedback.sqlite")}
        actions, actions_log = self._spawn(
            "actions", [str(RASA_PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)],
            ROOT, action_env)

        env = self.rasa_env()
        credentials = self.write_credentials(env)
        rasa, rasa_log = self._spawn(
            "rasa", [str(RASA_PY), "-m", "rasa", "run", "--model", str(model), "--port", str(self.rasa_port),
                     "--interface", "127.0.0.1", "--credentials", str(credentials),
                     "--endpoints", "endpoints.yml", "--cors", self.service_url],
            ROOT / "bot", env)

        wait_http(f"{self.service_url}/readyz", service, 900, service_log)
        # The first question after start-up loads lazy parts of the engine and can outlast the
        # action server's /ask timeout; one question first keeps that out of the tests.
        httpx.post(f"{self.service_url}/ask", json={"question": "Kế hoạch chuyển đổi số tỉnh Gia Lai"},
                   timeout=300)
        wait_http(f"{self.action_url}/health", actions, 180, actions_log)
        wait_http(f"{self.rasa_url}/webhooks/zalo/", rasa, 600, rasa_log)
        self.wait_rasa_model(rasa, rasa_log)

    def wait_rasa_model(self, proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
        """Rasa serves HTTP before its model is loaded and ignores messages until then: wait
        until a REST message gets an answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"Rasa exited with {proc.returncode}; see {log}")
            try:
                r = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook",
                               json={"sender": "readiness-probe", "message": "xin chào"}, timeout=30)
                if r.status_code == 200 and r.json():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError(f"Rasa model not loaded after {timeout:.0f}s; see {log}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()
        try:
            self.standin.stop()
        except Exception:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)
