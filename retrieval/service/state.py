"""The engine the service answers from, and the background job that rebuilds and swaps it.

Requests take `manager.engine` once and use that object to the end, so a swap in the middle
of a request is invisible; the new Engine is fully loaded before the reference changes (a
single attribute assignment, atomic under the GIL)."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from retrieval.config import Settings

from .cache import AnswerCache

log = logging.getLogger("retrieval.service")

Loader = Callable[[Settings, bool], Any]          # (settings, build_if_stale) -> Engine
Builder = Callable[[Settings, bool], Path]        # (settings, force) -> live index dir


# Asked once before an engine serves (see warm_up).
WARM_UP_QUESTION = "Ai chủ trì thúc đẩy sử dụng hóa đơn điện tử?"


def _default_load(settings: Settings, build_if_stale: bool) -> Any:
    from retrieval.engine import Engine

    engine = Engine.load(settings, build_if_stale=build_if_stale)
    warm_up(engine)
    return engine


def warm_up(engine: Any) -> None:
    """Answer one question before the engine serves.  The first answer loads the word
    segmenter's model (underthesea imports and unpickles its CRF: 0.9 s idle, 1-3 s on a busy
    machine); paid by a request, it stalls every request arriving meanwhile, so /readyz only
    says ready once it is paid.  A failure here is logged and left to the first real request."""
    started = time.monotonic()
    try:
        engine.ask(WARM_UP_QUESTION)
    except Exception:
        log.warning("event=warm_up_failed", exc_info=True)
        return
    log.info("event=engine_warm seconds=%.2f", time.monotonic() - started)


def _default_build(settings: Settings, force: bool) -> Path:
    from retrieval import index

    return index.build(settings, force=force)


@dataclass
class RebuildStatus:
    status: str = "idle"              # idle | running | done | failed
    reason: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    index_dir: str | None = None
    generation: int = 0
    pending: bool = False


def freeze_heap() -> None:
    """Move every live object (the engine's index: ~75k containers) out of the cyclic
    collector's reach.  Full collections are rare once serving, but each one walks the whole
    index: 60-80 ms with the GIL held on the dev index, a stall for every request in flight.
    The previous engine, frozen at its own load, is unfrozen first so that, once the last
    request using it is done, its cycles are collected as usual."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class IndexManager:
    def __init__(self, settings: Settings, loader: Loader | None = None, builder: Builder | None = None) -> None:
        self.settings = settings
        self._load = loader or _default_load
        self._build = builder or _default_build
        self._live: tuple[Any, AnswerCache] = (None, AnswerCache())
        self.loading = False
        self.load_error: str | None = None
        self._lock = threading.Lock()
        self._status = RebuildStatus()
        self._pending: tuple[str, bool] | None = None
        self._worker: threading.Thread | None = None

    @property
    def engine(self) -> Any:
        return self._live[0]

    @engine.setter
    def engine(self, engine: Any) -> None:
        # One assignment swaps the engine and its cache together.
        self._live = (engine, AnswerCache())
        if engine is not None:
            freeze_heap()

    @property
    def live(self) -> tuple[Any, AnswerCache]:
        """The engine and its answer cache, taken together by a request."""
        return self._live

    # -- initial load -------------------------------------------------------------------------
    def start(self) -> None:
        """Load (building if stale) in the background so /healthz answers at once."""
        with self._lock:
            self.loading = True
            self._worker = threading.Thread(target=self._initial_load, name="engine-load", daemon=True)
            self._worker.start()

    def load_now(self) -> None:
        self.loading = True
        self._initial_load()

    def _initial_load(self) -> None:
        started = time.monotonic()
        try:
            engine = self._first_engine()
        except Exception as exc:
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.exception("event=engine_load_failed data_dir=%s", self.settings.data_dir)
        else:
            self.engine = engine
            self.load_error = None
            log.info("event=engine_loaded plans=%d seconds=%.1f", len(engine.plans), time.monotonic() - started)
        finally:
            with self._lock:
                self.loading = False
                pending = self._pending
                self._pending = None
            if pending:
                self.trigger(*pending)

    def _first_engine(self) -> Any:
        """The engine to serve at start.  A complete index on disk serves at once even when the
        corpus changed (a rebuild is queued instead: after a crash mid-rebuild the previous
        index answers while the new one builds); a damaged one is reported in one log line and
        rebuilt from the corpus; with none, the first build runs before anything is served."""
        from retrieval import index

        if not (index.live_dir(self.settings) / "manifest.json").exists():
            return self._load(self.settings, True)
        try:
            engine = self._load(self.settings, False)
        except index.IndexError_ as exc:
            log.error("event=index_damaged action=rebuild error=%s", exc)
            self._build(self.settings, True)
            return self._load(self.settings, False)
        stale = index.staleness(self.settings)
        if stale:
            log.info("event=index_stale_at_start reason=%s action=serve_then_rebuild", stale)
            with self._lock:
                self._pending = (f"stale at start: {stale}", False)
                self._status.pending = True
        return engine

    # -- rebuild ------------------------------------------------------------------------------
    def status(self) -> dict:
        with self._lock:
            return asdict(self._status)

    def trigger(self, reason: str, force: bool = False) -> dict:
        """Start a rebuild, or queue one if a build or the first load is running (several
        uploads in a row coalesce into one more build)."""
        with self._lock:
            if self.loading or self._status.status == "running":
                self._pending = (reason, force or bool(self._pending and self._pending[1]))
                self._status.pending = True
                return asdict(self._status)
            self._start_locked(reason, force)
            return asdict(self._status)

    def _start_locked(self, reason: str, force: bool) -> None:
        self._status = RebuildStatus(status="running", reason=reason, started_at=time.time(),
                                     generation=self._status.generation)
        self._worker = threading.Thread(target=self._rebuild, args=(force,), name="index-rebuild", daemon=True)
        self._worker.start()

    def _rebuild(self, force: bool) -> None:
        log.info("event=rebuild_started reason=%s force=%s", self._status.reason, force)
        try:
            index_dir = self._build(self.settings, force)
            engine = self._load(self.settings, False)
        except Exception as exc:
            log.exception("event=rebuild_failed")
            with self._lock:
                self._status.status = "failed"
                self._status.error = f"{type(exc).__name__}: {exc}"
                self._status.finished_at = time.time()
        else:
            self.engine = engine           # the swap: readers holding the old engine finish on it
            self.load_error = None
            with self._lock:
                self._status.status = "done"
                self._status.index_dir = str(index_dir)
                self._status.generation += 1
                self._status.finished_at = time.time()
            log.info("event=rebuild_done plans=%d seconds=%.1f", len(engine.plans),
                     self._status.finished_at - (self._status.started_at or 0))
        with self._lock:
            pending, self._pending = self._pending, None
            self._status.pending = False
            if pending:
                self._start_locked(*pending)

    def join(self, timeout: float | None = None) -> None:
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
