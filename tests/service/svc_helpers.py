"""Running the real service on a free loopback port: in a thread (an app object, for the fake
engine tests) or in a subprocess (`python -m retrieval.service`, Settings from CDS_* env)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "test-admin-key-8f1c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, timeout: float, path: str = "/readyz", proc: subprocess.Popen | None = None) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}")
        try:
            r = httpx.get(base + path, timeout=2)
            last = r
            if r.status_code == 200:
                return r.json()
            if r.status_code == 503 and r.json().get("status") == "failed":
                raise RuntimeError(f"service failed to load: {r.text}")
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base}{path} not ready after {timeout}s (last: {last and last.text[:300]})")


@contextlib.contextmanager
def thread_server(app, timeout: float = 30) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def subprocess_server(env: dict[str, str], timeout: float = 240, log_path: Path | None = None) -> Iterator[str]:
    port = free_port()
    full_env = {**os.environ, **env, "CDS_HOST": "127.0.0.1", "CDS_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "retrieval.service", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_path:
            log.close()
