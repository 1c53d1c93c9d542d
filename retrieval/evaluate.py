"""Evaluation: passage hit@1/hit@5 per kind, language and plan for the hybrid search and three
baselines over the same passages, plus answer accuracy -- hits and accuracy exactly as the
grader (eval/grade.py) defines them, by importing it rather than re-implementing it."""

from __future__ import annotations

import importlib.util
import json
import time
from collections import defaultdict
from pathlib import Path

from .config import ROOT

METHODS = ("hybrid", "bm25_raw", "bm25_folded", "dense")


def load_grader(path: Path | None = None):
    path = path or ROOT / "eval" / "grade.py"
    spec = importlib.util.spec_from_file_location("cds_grade", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(engine, gold_path: Path, baselines: bool = True) -> dict:
    grader = load_grader()
    items = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = Path(engine.index.dir) / "corpus"
    methods = METHODS if baselines else ("hybrid",)
    groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    answers = {}
    latencies = []
    for item in items:
        t0 = time.perf_counter()
        ans = engine.ask(item["question"], history=item.get("history") or [])
        latencies.append(time.perf_counter() - t0)
        answers[item["id"]] = {"id": item["id"], **ans.to_dict()}
        keys = ("all", f"kind={item['kind']}", f"lang={item['lang']}", f"plan={item.get('plan') or '-'}")
        if item.get("gold_substring") is None:
            continue
        span = grader.gold_line_span(corpus, item["plan"], item["gold_substring"])
        query = " ".join([*(item.get("history") or [])[-1:], item["question"]])
        for method in methods:
            hits = engine.search(query if method != "hybrid" else query, k=5, method=method,
                                 detect=method == "hybrid")
            flags = [grader.is_hit(h.citation().to_dict(), item["plan"], span, item["gold_substring"]) for h in hits]
            for key in keys:
                groups[key][f"{method}@1"].append(bool(flags[:1] and flags[0]))
                groups[key][f"{method}@5"].append(any(flags))
    graded = grader.grade(items, answers, corpus)
    table = {}
    for key, metrics in sorted(groups.items()):
        table[key] = {m: round(sum(v) / len(v), 3) for m, v in metrics.items()}
        table[key]["n"] = len(next(iter(metrics.values())))
    for key, m in graded["metrics"].items():
        table.setdefault(key, {"n": m["n"]})
        table[key]["answer_acc"] = m["acc"]
        table[key]["cited_hit@5"] = m.get("hit5")
        table[key]["false_abstain"] = m.get("false_abstain")
    latencies.sort()
    return {"metrics": table, "failures": graded["failures"], "methods": list(methods),
            "ask_ms": {"p50": round(1000 * latencies[len(latencies) // 2], 1),
                       "p95": round(1000 * latencies[int(len(latencies) * 0.95) - 1], 1)}}


def print_report(report: dict) -> None:
    cols = [f"{m}@{k}" for m in report["methods"] for k in (1, 5)] + ["answer_acc", "cited_hit@5", "false_abstain"]
    print(f"{'group':32} {'n':>3} " + " ".join(f"{c:>14}" for c in cols))
    for key, m in report["metrics"].items():
        print(f"{key:32} {m.get('n', 0):>3} " + " ".join(
            f"{m.get(c) if m.get(c) is not None else '-':>14}" for c in cols))
    print(f"\nask latency (warm, in-process): p50 {report['ask_ms']['p50']} ms, p95 {report['ask_ms']['p95']} ms")
    if report["failures"]:
        print(f"\n{len(report['failures'])} answers wrong:")
        for f in report["failures"]:
            print(f"  {f['id']}: {f['question'][:80]} | want {f['want'][:40]} | got {f['got'][:90]!r}")
