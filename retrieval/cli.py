"""Command line: build | search | ask | answer | eval | serve."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import Settings, get_settings


def _settings(args) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "corpus_dir", None):
        overrides["corpus_dir"] = Path(args.corpus_dir)
    return Settings(**overrides) if overrides else get_settings()


def cmd_build(args) -> int:
    from .index import build, staleness
    settings = _settings(args)
    reason = "forced" if args.force else staleness(settings)
    if reason is None:
        print(f"index is up to date: {(settings.data_dir / 'current').resolve()}")
        return 0
    print(f"building index ({reason}) ...", file=sys.stderr)
    path = build(settings, force=args.force, progress=True)
    manifest = json.loads((path / "manifest.json").read_text())
    print(f"built {manifest['passages']} passages from {len(manifest['plans'])} plans in "
          f"{manifest['build_seconds']} s ({manifest['embedded']} embedded) -> {path}")
    return 0


def _engine(args):
    from .engine import Engine
    return Engine.load(_settings(args), progress=True)


def cmd_search(args) -> int:
    engine = _engine(args)
    hits = engine.search(args.query, plan=args.plan, k=args.k)
    if args.json:
        print(json.dumps([h.citation().to_dict() for h in hits], ensure_ascii=False, indent=1))
        return 0
    for rank, h in enumerate(hits, 1):
        p = h.passage
        print(f"{rank}. [{p.plan} dòng {p.line_start}-{p.line_end}] {p.section}  (score {h.score:.4f})")
        print("   " + " ".join(p.text.split())[:300])
    if not hits:
        print("Không tìm thấy đoạn nào phù hợp.")
    return 0


def cmd_ask(args) -> int:
    engine = _engine(args)
    ans = engine.ask(args.question, history=args.history or [], plan=args.plan)
    if args.json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(ans.answer)
    for c in ans.citations[:3]:
        print(f"  - {c.title} | {c.section} | dòng {c.line_start}-{c.line_end}")
    return 0


def cmd_answer(args) -> int:
    engine = _engine(args)
    out = open(args.output, "w", encoding="utf-8") if args.output != "-" else sys.stdout
    n = 0
    with open(args.input, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            item = json.loads(line)
            ans = engine.ask(item["question"], history=item.get("history") or [])
            out.write(json.dumps({"id": item.get("id"), **ans.to_dict()}, ensure_ascii=False) + "\n")
            n += 1
    if out is not sys.stdout:
        out.close()
    print(f"answered {n} questions -> {args.output}", file=sys.stderr)
    return 0


def cmd_eval(args) -> int:
    from .evaluate import evaluate, print_report
    engine = _engine(args)
    report = evaluate(engine, Path(args.gold), baselines=not args.no_baselines)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_report(report)
    return 0


def cmd_serve(args) -> int:
    from .service.app import serve
    settings = _settings(args)
    settings = settings.model_copy(update={"host": args.host, "port": args.port})
    serve(settings)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description=__doc__)
    parser.add_argument("--data-dir", help="index directory (default: $CDS_DATA_DIR or ./data)")
    parser.add_argument("--corpus-dir", help="corpus directory (default: $CDS_CORPUS_DIR or ./corpus)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("build", help="build the index if stale")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("search", help="ranked passages for a query")
    p.add_argument("query")
    p.add_argument("--plan")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question")
    p.add_argument("question")
    p.add_argument("--history", action="append", help="an earlier user turn (repeat, oldest first)")
    p.add_argument("--plan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("answer", help="answer every question of a gold-format JSONL file")
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.set_defaults(func=cmd_answer)

    p = sub.add_parser("eval", help="hit@1/hit@5 and answer accuracy with baselines")
    p.add_argument("--gold", default="eval/dev.jsonl")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-baselines", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default=get_settings().host)
    p.add_argument("--port", type=int, default=get_settings().port)
    p.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    from .engine import UnknownPlanError
    try:
        return args.func(args)
    except UnknownPlanError as exc:
        print(str(exc), file=sys.stderr)
        return 2
