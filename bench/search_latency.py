"""Index build time and warm search / ask latency over the dev questions.

    .venv/bin/python bench/search_latency.py [--gold eval/dev.jsonl] [--rebuild]

A benchmark, not a test: it prints numbers and never fails on them."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from retrieval.config import Settings, get_settings
from retrieval.engine import Engine
from retrieval.index import build
from retrieval.tokenize import clear_query_cache


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default="eval/dev.jsonl")
    ap.add_argument("--rebuild", action="store_true", help="also time a full build into a temporary dir "
                    "(embeddings from the shared cache: the cost of parsing, chunking and indexing)")
    args = ap.parse_args()
    settings = get_settings()
    if args.rebuild:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            (data / "embcache").mkdir(parents=True)
            for f in (settings.data_dir / "embcache").glob("*.npz"):
                (data / "embcache" / f.name).symlink_to(f)
            t0 = time.perf_counter()
            build(Settings(data_dir=data), force=True)
            print(f"index build (cached embeddings): {time.perf_counter() - t0:.1f} s")
    manifest = json.loads((settings.data_dir / "current" / "manifest.json").read_text())
    print(f"last real build: {manifest['build_seconds']} s for {manifest['passages']} passages "
          f"({manifest['embedded']} embedded)")
    engine = Engine.load(settings)
    questions = [json.loads(line)["question"] for line in Path(args.gold).read_text().splitlines() if line.strip()]
    engine.search(questions[0])
    engine.ask(questions[0])
    dense_calls = []
    plain_dense = engine.searcher.dense

    def counted_dense(query):
        dense_calls.append(query)
        return plain_dense(query)
    engine.searcher.dense = counted_dense
    print(f"dense vectors: {settings.dense} (gate {settings.dense_gate}; CDS_DENSE=always|auto|never)")
    for name, fn in (("search", lambda q: engine.search(q, k=5)), ("ask", lambda q: engine.ask(q))):
        times = []
        dense_calls.clear()
        clear_query_cache()     # each phase segments its questions afresh
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"warm {name}: n={len(times)} p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms, "
              f"max {max(times):.1f} ms; dense searched {len(dense_calls)} times")


if __name__ == "__main__":
    main()
