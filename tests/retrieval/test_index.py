"""Index persistence: staleness, embedding cache, atomic swap, damage detection."""

import json
import os

import pytest

from retrieval import index as idx

from .conftest import HashEmbedder


def test_build_is_skipped_when_fresh_and_reembeds_only_changed(small_settings):
    emb = HashEmbedder()
    first = idx.build(small_settings, embedder=emb)
    assert idx.staleness(small_settings) is None or idx.staleness(small_settings) == "embedder changed"
    calls = emb.calls
    assert calls > 0
    # change one line of the plan: the corpus hash changes, only touched passages are embedded again
    plan = small_settings.corpus_dir / "phu-tho-2022.txt"
    text = plan.read_text(encoding="utf-8").replace("Cục Thuế tỉnh chủ trì", "Cục Thuế tỉnh chủ trì (sửa)", 1)
    plan.write_text(text, encoding="utf-8")
    second = idx.build(small_settings, embedder=emb, force=True)
    assert second != first
    assert 0 < emb.calls - calls < 10
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["embedder"] == emb.id and manifest["passages"] > 50


def test_crash_mid_build_leaves_previous_index_serving(small_settings, monkeypatch):
    emb = HashEmbedder()
    good = idx.build(small_settings, embedder=emb, force=True)

    def boom(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(idx, "_write", boom)
    with pytest.raises(RuntimeError):
        idx.build(small_settings, embedder=emb, force=True)
    assert (small_settings.data_dir / "current").resolve() == good
    assert not list(small_settings.data_dir.glob(".build-*"))
    loaded = idx.load(small_settings)
    assert loaded.dir == good


def test_damaged_index_is_reported_with_the_fix(small_settings):
    emb = HashEmbedder()
    live = idx.build(small_settings, embedder=emb, force=True)
    (live / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(idx.IndexError_, match="rebuild"):
        idx.load(small_settings)


def test_missing_index_says_how_to_build(small_settings):
    with pytest.raises(idx.IndexError_, match="python -m retrieval build"):
        idx.load(small_settings)


def test_swap_is_a_symlink_replace(small_settings):
    emb = HashEmbedder()
    live = idx.build(small_settings, embedder=emb, force=True)
    link = small_settings.data_dir / "current"
    assert link.is_symlink() and os.readlink(link) == live.name
