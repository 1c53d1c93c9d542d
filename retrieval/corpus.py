"""Ingest: corpus/plans.yaml plus one text file per plan -> parsed `Plan`s.

Nothing here names a plan: adding one is dropping its file and its plans.yaml entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from .agencies import Gazetteer
from .models import PlanMeta
from .normalize import OcrRepair, normalize_lines
from .structure import Plan, learn_gazetteer, parse_plan

SUFFIXES = (".txt",)


class CorpusError(ValueError):
    """The corpus directory is not usable; the message says what to fix."""


@dataclass
class Corpus:
    plans: dict[str, Plan]
    gazetteer: Gazetteer
    repair: OcrRepair | None
    digest: str


def load_metadata(corpus_dir: Path) -> dict[str, PlanMeta]:
    path = corpus_dir / "plans.yaml"
    if not path.exists():
        raise CorpusError(f"{path} is missing: add one entry per plan (see README, 'Adding a plan').")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    metas = {}
    for plan_id, entry in data.items():
        file = corpus_dir / f"{plan_id}.txt"
        if not file.exists():
            raise CorpusError(f"plans.yaml names '{plan_id}' but {file} does not exist.")
        fields = {k: entry.get(k) for k in ("title", "province", "period", "year", "number", "signer", "ocr")}
        fields["ocr"] = bool(fields["ocr"])
        fields["year"] = int(fields["year"] or 0)
        fields["period"] = str(fields["period"] or "")
        metas[plan_id] = PlanMeta(id=plan_id, path=str(file), **fields)
    return metas


def corpus_digest(corpus_dir: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(corpus_dir.iterdir()):
        if file.suffix in SUFFIXES or file.name == "plans.yaml":
            h.update(file.name.encode())
            h.update(file.read_bytes())
    return h.hexdigest()


def load_corpus(corpus_dir: Path) -> Corpus:
    metas = load_metadata(corpus_dir)
    raw = {pid: Path(m.path).read_text(encoding="utf-8", errors="replace") for pid, m in metas.items()}
    clean = [raw[pid] for pid, m in metas.items() if not m.ocr]
    ocr = [raw[pid] for pid, m in metas.items() if m.ocr]
    repair = OcrRepair.learn(clean, ocr) if ocr and clean else None
    lines = {pid: normalize_lines(raw[pid], repair if m.ocr else None) for pid, m in metas.items()}
    gaz = learn_gazetteer([(metas[pid], lines[pid]) for pid in metas])

    def ocr_display(text: str, folded: str) -> str:
        return repair.restore(folded).capitalize() if repair else text

    plans = {}
    for pid, meta in metas.items():
        plans[pid] = parse_plan(meta, lines[pid], gaz, ocr_display if meta.ocr else None)
    return Corpus(plans, gaz, repair, corpus_digest(corpus_dir))
