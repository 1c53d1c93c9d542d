"""Soak: N concurrent conversations through Rasa's REST channel for a fixed time, with an
admin-triggered forced rebuild of the index in the middle, on the three real services
(tests/stack.py starts them on loopback, over a copy of corpus/ and data/ so the project's
own index is never touched).

    .venv/bin/python bench/soak.py                          # 50 conversations, 120 s, rebuild at 60 s
    .venv/bin/python bench/soak.py --users 10 --duration 30 --json /tmp/soak.json

Each conversation is a sender that asks the questions of eval/dev.jsonl (with their follow-up
history turns) in a random order, waiting for each reply and a short think time (--think mean,
exponential) before the next.  An error is an HTTP failure, a timeout, an empty reply or the
"service unreachable" message.  Prints total messages, errors by kind, p50/p95/p99 latency, the
rebuild's outcome and the resident memory (RSS, the process and its children) of the retrieval
service, the action server and Rasa at start and end.  Targets: zero errors, memory growth
under 20%.  Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stack import Stack  # noqa: E402

ADMIN_KEY = "soak-" + uuid.uuid4().hex
UNREACHABLE = ("không phản hồi", "not reachable")


def rss_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, from /proc (KiB)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total


def conversations(path: Path) -> list[dict]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [{"question": r["question"], "history": r.get("history") or []} for r in rows]


class Soak:
    def __init__(self, rasa_url: str, service_url: str, items: list[dict], users: int, duration: float,
                 think: float, rebuild_at: float | None, timeout: float) -> None:
        self.webhook = f"{rasa_url}/webhooks/rest/webhook"
        self.service_url = service_url
        self.items, self.users, self.duration = items, users, duration
        self.think, self.rebuild_at, self.timeout = think, rebuild_at, timeout
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.rebuild: dict = {}

    async def _send(self, client: httpx.AsyncClient, sender: str, text: str) -> None:
        started = time.perf_counter()
        kind = None
        try:
            r = await client.post(self.webhook, json={"sender": sender, "message": text})
            if r.status_code != 200:
                kind, detail = f"http {r.status_code}", r.text[:200]
            else:
                reply = " ".join(m.get("text", "") for m in r.json() if m.get("text"))
                if not reply:
                    kind, detail = "empty reply", text
                elif any(u in reply for u in UNREACHABLE):
                    kind, detail = "unreachable reply", text
        except httpx.HTTPError as exc:
            kind, detail = type(exc).__name__, str(exc)[:200]
        self.latencies.append((time.perf_counter() - started) * 1000)
        if kind:
            self.errors[kind] += 1
            self.examples.setdefault(kind, detail)

    async def _user(self, n: int, stop_at: float) -> None:
        rng = random.Random(n)
        order = self.items[:]
        rng.shuffle(order)
        sender = f"soak-{n}-{uuid.uuid4().hex[:6]}"
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            i = 0
            while time.monotonic() < stop_at:
                item = order[i % len(order)]
                for text in [*item["history"], item["question"]]:
                    if time.monotonic() >= stop_at:
                        return
                    await self._send(client, sender, text)
                    await asyncio.sleep(rng.expovariate(1 / self.think) if self.think > 0 else 0)
                i += 1

    async def _rebuild(self, at: float) -> None:
        await asyncio.sleep(at)
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        async with httpx.AsyncClient(base_url=self.service_url, timeout=30) as client:
            started = time.monotonic()
            r = await client.post("/admin/rebuild", params={"force": "true"}, headers=auth)
            self.rebuild = {"triggered_at_s": round(at, 1), "http": r.status_code}
            while True:
                status = (await client.get("/admin/rebuild", headers=auth)).json()
                if status["status"] in ("done", "failed") and not status["pending"]:
                    break
                await asyncio.sleep(0.5)
            self.rebuild.update(status=status["status"], seconds=round(time.monotonic() - started, 1),
                                error=status.get("error"))

    async def run(self) -> float:
        started = time.monotonic()
        stop_at = started + self.duration
        tasks = [asyncio.create_task(self._user(n, stop_at)) for n in range(self.users)]
        if self.rebuild_at is not None:
            tasks.append(asyncio.create_task(self._rebuild(self.rebuild_at)))
        await asyncio.gather(*tasks)
        return time.monotonic() - started


def copy_data(tmp: Path) -> tuple[Path, Path]:
    corpus, data = tmp / "corpus", tmp / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    if (ROOT / "data").is_dir():
        shutil.copytree(ROOT / "data", data, symlinks=True, ignore=shutil.ignore_patterns("logs", "*.sqlite*"))
    return corpus, data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=50, help="concurrent conversations (default 50)")
    ap.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between messages, s (default 1)")
    ap.add_argument("--rebuild-at", type=float, default=None,
                    help="seconds into the run to force a rebuild (default: half way; <0 for none)")
    ap.add_argument("--timeout", type=float, default=60, help="per-message timeout, s (default 60)")
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "dev.jsonl")
    ap.add_argument("--keep-alive", type=float, default=30,
                    help="SANIC_KEEP_ALIVE_TIMEOUT for Rasa and the action server, s (default 30; Sanic's own "
                         "default 5 closes connections a busy Rasa has opened but not written to yet)")
    ap.add_argument("--warmup", type=float, default=20,
                    help="seconds of load before the 'start' memory sample (default 20: imports, caches)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    rebuild_at = args.duration / 2 if args.rebuild_at is None else (None if args.rebuild_at < 0 else args.rebuild_at)

    tmp = Path(tempfile.mkdtemp(prefix="cds-soak-"))
    corpus, data = copy_data(tmp)
    stack = Stack(prefix="soak")
    if args.keep_alive > 0:
        # Sanic reads SANIC_* from the environment: the action server and Rasa both inherit it
        os.environ["SANIC_KEEP_ALIVE_TIMEOUT"] = str(int(args.keep_alive))
    stack.retrieval.env.update({"CDS_ADMIN_API_KEY": ADMIN_KEY, "CDS_CORPUS_DIR": str(corpus),
                                "CDS_DATA_DIR": str(data), "CDS_RATE_LIMIT_PER_MINUTE": "0"})
    print("starting the stack (logs: artifacts/logs/soak-*.log) ...", file=sys.stderr)
    try:
        stack.start()
        procs = {"retrieval service": stack.retrieval, "action server": stack.actions, "rasa": stack.rasa}
        rss_ready = {name: rss_kib(s.proc.pid) for name, s in procs.items()}
        soak = Soak(stack.rasa_url, stack.service_url, conversations(args.questions), args.users, args.duration,
                    args.think, rebuild_at, args.timeout)
        print(f"soak: {args.users} conversations for {args.duration:.0f} s, rebuild at "
              f"{'-' if rebuild_at is None else f'{rebuild_at:.0f} s'} ...", file=sys.stderr)
        rss_start: dict[str, int] = {}

        async def sample_after_warmup() -> None:
            await asyncio.sleep(min(args.warmup, args.duration))
            rss_start.update({name: rss_kib(s.proc.pid) for name, s in procs.items()})

        async def run_all() -> float:
            sampler = asyncio.create_task(sample_after_warmup())
            elapsed = await soak.run()
            await sampler
            return elapsed

        elapsed = asyncio.run(run_all())
        alive = {name: s.proc is not None and s.proc.poll() is None for name, s in procs.items()}
        rss_end = {name: rss_kib(s.proc.pid) if alive[name] else 0 for name, s in procs.items()}
    finally:
        stack.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    total = len(soak.latencies)
    errors = sum(soak.errors.values())
    growth = {n: (rss_end[n] - rss_start[n]) / rss_start[n] * 100 if rss_start[n] else float("nan") for n in procs}
    figures = {
        "users": args.users, "duration_s": round(elapsed, 1), "messages": total, "errors": errors,
        "errors_by_kind": dict(soak.errors), "error_examples": soak.examples,
        "throughput_msg_s": round(total / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(percentile(soak.latencies, 0.50), 1), "p95_ms": round(percentile(soak.latencies, 0.95), 1),
        "p99_ms": round(percentile(soak.latencies, 0.99), 1), "max_ms": round(max(soak.latencies, default=0), 1),
        "rebuild": soak.rebuild, "alive_at_end": alive,
        "rss_mib": {n: {"ready": round(rss_ready[n] / 1024, 1), "start": round(rss_start[n] / 1024, 1),
                        "end": round(rss_end[n] / 1024, 1), "growth_pct": round(growth[n], 1)} for n in procs},
    }
    print(f"messages {total} in {elapsed:.0f} s ({figures['throughput_msg_s']}/s), errors {errors} "
          f"{dict(soak.errors) or ''}")
    print(f"latency ms: p50 {figures['p50_ms']}  p95 {figures['p95_ms']}  p99 {figures['p99_ms']}  "
          f"max {figures['max_ms']}")
    print(f"rebuild: {soak.rebuild or 'not triggered'}")
    for n in procs:
        r = figures["rss_mib"][n]
        print(f"RSS {n:17s} ready {r['ready']:7.1f}  start (after {args.warmup:.0f} s) {r['start']:7.1f}  "
              f"end {r['end']:7.1f} MiB  (start->end {r['growth_pct']:+.1f}%)"
              f"{'' if alive[n] else '  DIED'}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    ok = errors == 0 and all(alive.values()) and all(g <= 20 for g in growth.values()) \
        and (rebuild_at is None or soak.rebuild.get("status") == "done")
    print("targets met" if ok else "targets MISSED (zero errors, everything alive, RSS growth <= 20%, rebuild done)")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
