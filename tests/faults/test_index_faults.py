"""Faults of the retrieval service and its index on disk, on the real service process over a
small corpus (tests/fuzz/fuzz_helpers.py):

- kill -9 in the middle of a rebuild: on restart the previous complete index serves at once,
  the half-written build directory is never loaded, and the rebuild completes;
- an index file corrupted, truncated or missing: detected at start, reported in one clear
  log line (no traceback), rebuilt from the corpus, then served.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest
from fuzz_helpers import ADMIN_KEY, PLAN, ROOT, LiveService, small_corpus

from tests.stack import copy_corpus_and_index

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
NEW_ID = "lam-vien-2025"
QUESTION = "Ai chủ trì phổ cập hóa đơn điện tử ở Phú Thọ năm 2022?"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A small corpus with its index built once; each test works on a copy."""
    base = tmp_path_factory.mktemp("faults-built")
    corpus, data = small_corpus(base)
    service = LiveService(corpus, data, base / "build.log").start(timeout=300)
    service.stop()
    return corpus, data


@pytest.fixture
def copy(built, tmp_path) -> tuple[Path, Path]:
    return copy_corpus_and_index(*built, tmp_path)


def _live_index(data: Path) -> Path:
    return (data / "current").resolve()


def _plans(client: httpx.Client) -> set[str]:
    return {p["id"] for p in client.get("/plans").json()["plans"]}


def _wait_rebuild(client: httpx.Client, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/admin/rebuild", headers=AUTH).json()
        if status["status"] in ("done", "failed") and not status["pending"]:
            return status
        time.sleep(0.5)
    raise TimeoutError(status)


def _start_slow_rebuild(service: LiveService, client: httpx.Client) -> Path:
    """Upload a plan whose passages are not in the embedding cache (the Gia Lai text under a new
    id and title), so the rebuild spends seconds embedding; the partial build dir it writes."""
    text = (ROOT / "corpus" / "gia-lai-2021-2025.txt").read_text(encoding="utf-8")
    text = text.replace("Gia Lai", "Lâm Viên")
    form = {"title": "Kế hoạch Chuyển đổi số tỉnh Lâm Viên năm 2025", "province": "Lâm Viên", "period": "2025",
            "year": "2025", "plan_id": NEW_ID}
    r = client.post("/admin/plans", headers=AUTH, data=form,
                    files={"file": ("lam-vien.txt", text.encode("utf-8"), "text/plain")})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partial = list(service.data.glob(".build-*"))
        if partial and (partial[0] / "corpus").is_dir():
            return partial[0]
        time.sleep(0.05)
    raise TimeoutError("the rebuild never started writing its build dir")


def test_kill_9_mid_rebuild_previous_index_serves_on_restart(copy, tmp_path):
    corpus, data = copy
    service = LiveService(corpus, data, tmp_path / "service.log").start()
    try:
        before = _live_index(data)
        with service.client() as c:
            partial = _start_slow_rebuild(service, c)
            assert c.get("/admin/rebuild", headers=AUTH).json()["status"] == "running"
        service.kill()                                             # SIGKILL: no clean-up of any kind
        assert partial.exists(), "the build finished before the kill: the test proves nothing"
        assert _live_index(data) == before                        # the swap never happened
        assert json.loads((before / "manifest.json").read_text())["plans"] == [PLAN]

        service.start(wait=None)
        ready = service.wait("ready", timeout=60)                  # serves without waiting for a build
        assert ready["manifest"]["plans"] == [PLAN] and _live_index(data) == before
        with service.client() as c:
            r = c.post("/ask", json={"question": QUESTION})
            assert r.status_code == 200 and r.json()["answered"], r.text
            assert r.json()["citations"][0]["plan"] == PLAN
            # the corpus changed under the old index: the restart queued the rebuild itself
            status = _wait_rebuild(c)
            assert status["status"] == "done", status
            assert _plans(c) == {PLAN, NEW_ID}
        assert _live_index(data) != before and not str(_live_index(data).name).startswith(".build")
        assert "Traceback" not in service.log()
    finally:
        service.stop()


def test_dead_builds_partial_dir_is_cleaned_by_the_next_build(copy, tmp_path):
    corpus, data = copy
    # what a build killed by SIGKILL leaves: .build-<stamp>-<pid>-<ns> of a process that is gone
    dead = data / f".build-{time.strftime('%Y%m%dT%H%M%S')}-{2**22 + 12345}-42"
    (dead / "corpus").mkdir(parents=True)
    (dead / "passages.jsonl").write_text('{"half": ')
    service = LiveService(corpus, data, tmp_path / "service.log").start()
    try:
        with service.client() as c:
            assert c.post("/admin/rebuild", params={"force": "true"}, headers=AUTH).status_code == 202
            assert _wait_rebuild(c)["status"] == "done"
        assert not dead.exists(), f"{dead.name} left behind"
    finally:
        service.stop()


def _corrupt(target: Path, how: str) -> None:
    live = target.resolve()
    if how == "faiss-garbage":
        (live / "vectors.faiss").write_bytes(b"\x00garbage" * 100)
    elif how == "passages-truncated":
        p = live / "passages.jsonl"
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    elif how == "bm25-missing":
        shutil.rmtree(live / "bm25_word")
    elif how == "manifest-garbage":
        (live / "manifest.json").write_text("{not json")
    elif how == "current-dangling":
        shutil.rmtree(live)


@pytest.mark.parametrize("how", ["faiss-garbage", "passages-truncated", "bm25-missing", "current-dangling"])
def test_damaged_index_detected_rebuilt_and_served(copy, tmp_path, how):
    corpus, data = copy
    _corrupt(data / "current", how)
    service = LiveService(corpus, data, tmp_path / "service.log").start(wait=None)
    try:
        ready = service.wait("ready", timeout=240)
        assert ready["plans"] == 1
        with service.client() as c:
            r = c.post("/ask", json={"question": QUESTION})
            assert r.status_code == 200 and r.json()["answered"], r.text
        log = service.log()
        assert "Traceback" not in log, log[-3000:]
        if how in ("faiss-garbage", "passages-truncated", "bm25-missing"):
            line = next(ln for ln in log.splitlines() if "event=index_damaged" in ln)
            assert "rebuild" in line and str(data) in line, line
        assert os.path.isfile(data / "current" / "manifest.json")
    finally:
        service.stop()
