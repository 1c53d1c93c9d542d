"""A real retrieval service (`python -m retrieval.service`) in its own process on a free
loopback port, over a small corpus (one real plan, seeded embedding cache, so it builds in
seconds): the fuzz and fault tests need a process they can watch, kill -9 and restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "fuzz-admin-key-5b7e0c1d9a"
PLAN = "phu-tho-2022"
VI_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def small_corpus(base: Path, plans: tuple[str, ...] = (PLAN,)) -> tuple[Path, Path]:
    """(corpus_dir, data_dir): `plans` copied from corpus/, the embedding cache seeded from
    data/embcache when the project has one (then a build embeds nothing)."""
    corpus, data = base / "corpus", base / "data"
    corpus.mkdir(parents=True)
    meta = yaml.safe_load((ROOT / "corpus" / "plans.yaml").read_text(encoding="utf-8"))
    for pid in plans:
        shutil.copy(ROOT / "corpus" / f"{pid}.txt", corpus / f"{pid}.txt")
    (corpus / "plans.yaml").write_text(yaml.safe_dump({p: meta[p] for p in plans}, allow_unicode=True,
                                                      sort_keys=False), encoding="utf-8")
    cache = ROOT / "data" / "embcache"
    if cache.is_dir():
        shutil.copytree(cache, data / "embcache")
    else:
        data.mkdir()
    return corpus, data


def error_ok(r: httpx.Response) -> str | None:
    """Why a refusal is not a clear 4xx with a bilingual JSON error, or None when it is."""
    if not 400 <= r.status_code < 500:
        return f"status {r.status_code}"
    try:
        err = r.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"not a JSON error body: {r.text[:200]!r}"
    if not (isinstance(err, dict) and err.get("code") and err.get("message_vi") and err.get("message_en")):
        return f"error without code/message_vi/message_en: {err!r}"
    if not VI_LETTERS & set(err["message_vi"].lower()):
        return f"message_vi is not Vietnamese: {err['message_vi']!r}"
    return None


class LiveService:
    """The service as a child process.  `kill()` is SIGKILL (no clean-up runs), `stop()` is
    SIGTERM; `start()` again reuses the same port, corpus and data dir."""

    def __init__(self, corpus: Path, data: Path, log: Path, **env: str) -> None:
        self.corpus, self.data, self.log_path = corpus, data, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {"CDS_CORPUS_DIR": str(corpus), "CDS_DATA_DIR": str(data), "CDS_ADMIN_API_KEY": ADMIN_KEY,
                    "CDS_RATE_LIMIT_PER_MINUTE": "0", "CDS_LOG_LEVEL": "INFO", **env}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: str | None = "ready", timeout: float = 180) -> LiveService:
        env = {**os.environ, **self.env, "CDS_HOST": "127.0.0.1", "CDS_PORT": str(self.port),
               "PYTHONUNBUFFERED": "1"}
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen([sys.executable, "-m", "retrieval.service", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        if wait:
            self.wait(wait, timeout)
        return self

    def wait(self, what: str = "ready", timeout: float = 180) -> dict:
        """Until /readyz says `what` ("ready" or "failed"); the body."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"service exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                r = httpx.get(self.base + "/readyz", timeout=2)
                last = r.json()
                if last.get("status") == what:
                    return last
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"/readyz never said {what!r} (last {last}):\n{self.log()[-3000:]}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.alive:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=kw.pop("timeout", 60), **kw)
