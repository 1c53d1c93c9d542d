"""Round-trip latency through Rasa's REST channel: user message -> NLU -> action server ->
retrieval service /ask -> reply, over the questions of eval/dev.jsonl.

    .venv/bin/python bench/rasa_roundtrip.py                       # starts the three services itself
    .venv/bin/python bench/rasa_roundtrip.py --rasa-url http://127.0.0.1:5005   # against `make run`

Each question gets its own conversation; a question's `history` turns are sent first and not timed.
Prints count, errors, p50/p95/p99 and mean in milliseconds, and the 1-minute load average before and
after the timed run (the machine is shared: a figure means little without it); target p95 <= 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(rasa_url: str, items: list[dict], warmup: int, rounds: int) -> dict:
    webhook = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
    latencies: list[float] = []
    errors = unanswered = 0
    with httpx.Client(timeout=60) as client:
        for item in items[:warmup]:
            client.post(webhook, json={"sender": f"warm-{uuid.uuid4().hex[:8]}", "message": item["question"]})
        load_before = os.getloadavg()[0]
        for _ in range(rounds):
            for item in items:
                sender = f"bench-{uuid.uuid4().hex[:10]}"
                for turn in item.get("history") or []:
                    client.post(webhook, json={"sender": sender, "message": turn})
                start = time.perf_counter()
                try:
                    r = client.post(webhook, json={"sender": sender, "message": item["question"]})
                    r.raise_for_status()
                    messages = r.json()
                except (httpx.HTTPError, ValueError):
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                if not any(m.get("text") for m in messages):
                    unanswered += 1
    return {
        "load_1m_before": round(load_before, 2), "load_1m_after": round(os.getloadavg()[0], 2),
        "count": len(latencies), "errors": errors, "empty_replies": unanswered,
        "p50_ms": round(percentile(latencies, 0.50), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


def ask_direct(retrieval_url: str, items: list[dict]) -> dict:
    """The same questions straight to /ask: what of the round trip is the retrieval service's."""
    latencies = []
    with httpx.Client(timeout=60) as client:
        for item in items:
            start = time.perf_counter()
            r = client.post(f"{retrieval_url.rstrip('/')}/ask",
                            json={"question": item["question"], "history": item.get("history") or [], "plan": None})
            if r.status_code == 200:
                latencies.append((time.perf_counter() - start) * 1000)
    return {"ask_count": len(latencies), "ask_p50_ms": round(percentile(latencies, 0.50), 1),
            "ask_p95_ms": round(percentile(latencies, 0.95), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", help="a running Rasa; default: start the three services on free ports")
    parser.add_argument("--retrieval-url", help="with --rasa-url: also time /ask directly for comparison")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "dev.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--max-p95", type=float, default=0, help="exit 1 if p95 (ms) is above this")
    args = parser.parse_args(argv)

    items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        items = items[: args.limit]
    if args.rasa_url:
        result = run(args.rasa_url, items, args.warmup, args.rounds)
        if args.retrieval_url:
            result.update(ask_direct(args.retrieval_url, items))
    else:
        from tests.stack import Stack

        with Stack(prefix="bench") as stack:
            result = run(stack.rasa_url, items, args.warmup, args.rounds)
            result.update(ask_direct(stack.service_url, items))
    print(json.dumps(result, ensure_ascii=False))
    print(f"rasa round trip over {result['count']} questions: p50 {result['p50_ms']} ms, "
          f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']} (target p95 <= 300 ms); "
          f"load average {result['load_1m_before']} -> {result['load_1m_after']}")
    if "ask_p95_ms" in result:
        print(f"  of which /ask alone: p50 {result['ask_p50_ms']} ms, p95 {result['ask_p95_ms']} ms")
    if args.max_p95 and not result["p95_ms"] <= args.max_p95:
        return 1
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
