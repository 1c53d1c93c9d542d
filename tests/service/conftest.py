"""Fixtures for the HTTP service tests.

The real-engine fixtures build the index once per session from a copy of corpus/ into a tmp
data dir (about a minute) and share it; tests that upload or delete copy it again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval.config import Settings
from tests.stack import copy_corpus_and_index

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> tuple[Path, Path]:
    """(corpus_dir, data_dir) with a built index, from a copy of the real corpus."""
    from retrieval.engine import Engine

    base = tmp_path_factory.mktemp("index")
    corpus = base / "corpus"
    data = base / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    # Passage vectors are cached by content hash: seeding the cache from the project's own
    # data dir (`make index` builds it first) turns a minutes-long embedding into a lookup.
    cache = ROOT / "data" / "embcache"
    if cache.is_dir():
        shutil.copytree(cache, data / "embcache")
    Engine.load(Settings(corpus_dir=corpus, data_dir=data), build_if_stale=True)
    return corpus, data


@pytest.fixture
def index_copy(built_index, tmp_path) -> tuple[Path, Path]:
    """A private copy of the built corpus and index, for tests that change them."""
    return copy_corpus_and_index(*built_index, tmp_path)
