"""Load test for POST /ask: N concurrent clients for D seconds over the dev questions.

    .venv/bin/python bench/load_ask.py                       # starts its own service (rate limit off)
    .venv/bin/python bench/load_ask.py --url http://127.0.0.1:8000   # an already running one

Prints requests/s, p50/p95/p99 latency and the error count.  Target on the dev machine:
zero errors, p95 <= 150 ms with 20 clients.  A running service keeps its own rate limit, so
start it with CDS_RATE_LIMIT_PER_MINUTE=0 when pointing --url at it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def load_questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"question": r["question"], "history": r.get("history") or []} for r in rows]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


async def run(url: str, questions: list[dict], clients: int, duration: float, warmup: int,
              cache: bool = True) -> dict:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {} if cache else {"Cache-Control": "no-cache"}
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=headers) as client:
        for q in questions[:warmup]:
            with contextlib.suppress(httpx.HTTPError):
                await client.post("/ask", json=q)
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        answered = 0
        cache_hits = 0
        counter = iter(range(10**9))
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal answered, cache_hits
            while time.perf_counter() < deadline:
                q = questions[next(counter) % len(questions)]
                t0 = time.perf_counter()
                try:
                    r = await client.post("/ask", json=q)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                cache_hits += r.headers.get("x-cache") == "hit"
                if r.status_code != 200:
                    errors[f"HTTP {r.status_code}"] += 1
                elif r.json().get("answered"):
                    answered += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies) + sum(errors.values()),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies, default=0), 1),
        "errors": sum(errors.values()), "error_kinds": dict(errors),
        "answered": round(answered / max(1, len(latencies)), 3),
        "cache_hits": round(cache_hits / max(1, len(latencies)), 3),
    }


def wait_ready(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the service exited with {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} was not ready after {timeout}s")
        time.sleep(0.3)


@contextlib.contextmanager
def own_service(timeout: float = 600):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CDS_RATE_LIMIT_PER_MINUTE": "0", "CDS_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "retrieval.service", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, timeout, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running service; default: start one on a free loopback port")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "dev.jsonl")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-cache", action="store_true",
                        help="send Cache-Control: no-cache so every request runs the engine (cold latency)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(own_service())
        wait_ready(url.rstrip("/"), 600)
        result = asyncio.run(run(url.rstrip("/"), questions, args.clients, args.duration, args.warmup,
                                 cache=not args.no_cache))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"POST /ask  {result['clients']} clients x {result['seconds']} s  ({len(questions)} dev questions)")
    print(f"  requests/s : {result['rps']}")
    print(f"  latency ms : p50 {result['p50_ms']}  p95 {result['p95_ms']}  p99 {result['p99_ms']}  "
          f"max {result['max_ms']}")
    print(f"  errors     : {result['errors']} {result['error_kinds'] or ''}")
    print(f"  answered   : {result['answered']:.0%}   answer-cache hits: {result['cache_hits']:.0%}"
          f"{'  (cache bypassed)' if args.no_cache else ''}")
    if result["errors"] or result["p95_ms"] > 150:
        print("  target (0 errors, p95 <= 150 ms): MISSED")


if __name__ == "__main__":
    main()
