"""IndexManager's readiness work: the engine answers once before it serves (warm_up), and
its objects are frozen out of the cyclic collector when it goes live (freeze_heap)."""

from __future__ import annotations

import gc

import pytest
from fake_engine import FakeEngine

from retrieval.config import Settings
from retrieval.service import state


def test_warm_up_asks_once_before_serving():
    engine = FakeEngine()
    state.warm_up(engine)
    assert [c[:2] for c in engine.calls] == [("ask", state.WARM_UP_QUESTION)]


def test_a_failing_warm_up_is_logged_not_raised(caplog):
    class Broken(FakeEngine):
        def ask(self, question, history=(), plan=None):
            raise RuntimeError("segmenter model missing")

    with caplog.at_level("WARNING", logger="retrieval.service"):
        state.warm_up(Broken())
    assert "event=warm_up_failed" in caplog.text


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_live_engine_is_frozen_out_of_the_collector(tmp_path, unfrozen):
    manager = state.IndexManager(Settings(corpus_dir=tmp_path, data_dir=tmp_path / "data"),
                                 loader=lambda s, b: FakeEngine())
    assert gc.get_freeze_count() == 0
    manager.load_now()
    assert manager.engine is not None
    assert gc.get_freeze_count() > 0
    # a collection no longer walks the engine's objects
    assert not any(o is manager.engine for o in gc.get_objects())
