"""bench/load_ask.py's own client against the real service (fake engine): it must read every
response in full, see the answer cache, and count errors, or its figures mean nothing."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from fake_engine import FakeEngine
from svc_helpers import ROOT, thread_server, wait_ready
from test_service_api import _settings

from retrieval.service import create_app

QUESTIONS = [{"question": "Ai chủ trì thương mại điện tử?", "history": []},
             {"question": "Còn Sở Tài chính thì sao?", "history": ["Ai chủ trì thương mại điện tử?"]}]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("load_ask")


def _serve(tmp_path, **settings):
    engine = FakeEngine()
    app = create_app(_settings(tmp_path, **settings), loader=lambda s, b: engine)
    return engine, thread_server(app)


@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_cached_phase_reads_answers_from_the_cache(bench, tmp_path, client):
    engine, server = _serve(tmp_path)
    with server as base:
        wait_ready(base, 10)
        r = asyncio.run(bench.run(base, QUESTIONS, clients=3, duration=0.5, warmup=len(QUESTIONS),
                                  cache=True, client=client))
    assert r["errors"] == 0 and r["requests"] > 10
    assert r["cache_hits"] == 1.0 and r["answered"] == 1.0
    assert len(engine.calls) == len(QUESTIONS)        # only the warm-up reached the engine
    assert r["p50_ms"] <= r["p95_ms"] <= r["max_ms"]


def test_engine_phase_bypasses_the_cache(bench, tmp_path):
    engine, server = _serve(tmp_path)
    with server as base:
        wait_ready(base, 10)
        r = asyncio.run(bench.run(base, QUESTIONS, clients=3, duration=0.5, warmup=0, cache=False))
    assert r["errors"] == 0 and r["cache_hits"] == 0.0
    assert len(engine.calls) == r["requests"]
    assert {c[1] for c in engine.calls} == {q["question"] for q in QUESTIONS}


def test_refusals_are_counted_as_errors(bench, tmp_path):
    _, server = _serve(tmp_path, rate_limit_per_minute=3)
    with server as base:
        wait_ready(base, 10)
        r = asyncio.run(bench.run(base, QUESTIONS, clients=2, duration=0.5, warmup=0))
    assert r["error_kinds"].get("HTTP 429", 0) == r["errors"] > 0
    assert any("MISSED" in line for line in bench.report(r, len(QUESTIONS)))
