"""Chunking: section-aware passages.  A table row is its own passage, carrying its
table header context; narrative text is cut at paragraph boundaries into passages of a
few sentences, each knowing its section path and exact line range."""

from __future__ import annotations

import re

from .models import Passage
from .ocr_table import is_column_header
from .structure import Plan, heading_level

_STARTS_PARA = re.compile(r"^\s*([-+•*–]|[a-zđ]\)|\d{1,2}(\.\d{1,2})*\.?\s)")
MIN_CHARS, MAX_CHARS = 160, 900
WINDOW, WINDOW_STRIDE = 3, 2


def chunk(plan: Plan, restore=None) -> list[Passage]:
    """Passages of one plan.  `restore` turns OCR-folded text into readable Vietnamese for
    the embedder (the raw OCR text stays the passage text that is cited)."""
    passages: list[Passage] = []
    row_owner: dict[int, int] = {}
    for ri, rec in enumerate(plan.records):
        if rec.source == "table":
            for n in range(rec.line_start, rec.line_end + 1):
                row_owner[n] = ri
    table_lines = {n for t in plan.tables for n in range(t.line_start, t.line_end + 1)}
    # table rows (OCR rows as read by ocr_table); table lines outside any row as short windows
    covered: set[int] = set()
    for ri, rec in enumerate(plan.records):
        if rec.source != "table":
            continue
        table = next(t for t in plan.tables if t.line_start <= rec.line_start <= t.line_end)
        text = plan.text(rec.line_start, rec.line_end)
        passages.append(_passage(plan, rec.line_start, rec.line_end, text, rec.section, "row",
                                 header=table.header[:200], record=ri, restore=restore))
        covered |= set(range(rec.line_start, rec.line_end + 1))
    for table in plan.tables:
        rest = [n for n in range(table.line_start, table.line_end + 1)
                if n not in covered and plan.lines[n - 1].text.strip()]
        runs: list[list[int]] = []
        for n in rest:      # windows never bridge a covered row: split the leftovers into runs
            if runs and n - runs[-1][-1] <= 3:
                runs[-1].append(n)
            else:
                runs.append([n])
        windows = [run[i:i + WINDOW] for run in runs for i in range(0, max(1, len(run) - 1), WINDOW_STRIDE)]
        for window in windows:
            if all(_is_header_line(plan.lines[n - 1].folded) for n in window):
                continue        # a column header repeated on a new page: nothing to retrieve
            start, end = window[0], window[-1]
            owner = row_owner.get(start)
            section = plan.records[owner].section if owner is not None else plan.section_of[start - 1]
            passages.append(_passage(plan, start, end, plan.text(start, end), section, "row",
                                     header=table.header[:200], record=owner, restore=restore))
    # narrative paragraphs
    paras: list[list[int]] = []
    for ln in plan.lines:
        if ln.number in table_lines or not ln.text.strip():
            continue
        if heading_level(ln.text) and len(ln.text) < 100:
            paras.append([ln.number])
            paras.append([])
            continue
        prev_end = paras[-1][-1] if paras and paras[-1] else None
        prev_text = plan.lines[prev_end - 1].text.rstrip() if prev_end else ""
        new = (not paras or not paras[-1] or _STARTS_PARA.match(ln.text)
               or prev_text.endswith((".", ";", ":", "!", "?")) and ln.text.lstrip()[:1].isupper()
               or plan.section_of[ln.number - 1] != plan.section_of[paras[-1][0] - 1])
        if new:
            paras.append([ln.number])
        else:
            paras[-1].append(ln.number)
    paras = [p for p in paras if p]
    # merge short paragraphs forward within a section, split long ones
    merged: list[list[int]] = []
    for p in paras:
        if merged and plan.section_of[merged[-1][0] - 1] == plan.section_of[p[0] - 1] \
                and len(plan.text(merged[-1][0], merged[-1][-1])) < MIN_CHARS:
            merged[-1].extend(p)
        else:
            merged.append(list(p))
    for p in merged:
        for start, end in _split_long(plan, p):
            text = plan.text(start, end)
            if not text.strip():
                continue
            passages.append(_passage(plan, start, end, text, plan.section_of[start - 1], "text", restore=restore))
    passages.sort(key=lambda x: (x.line_start, x.line_end))
    return passages


def _is_header_line(folded: str) -> bool:
    return is_column_header(folded) or len(folded.split()) <= 3


def _split_long(plan: Plan, numbers: list[int]) -> list[tuple[int, int]]:
    out, cur, size = [], [], 0
    for n in numbers:
        length = len(plan.lines[n - 1].text)
        if cur and size + length > MAX_CHARS:
            out.append((cur[0], cur[-1]))
            cur, size = [], 0
        cur.append(n)
        size += length
    if cur:
        out.append((cur[0], cur[-1]))
    return out


def _passage(plan: Plan, start: int, end: int, text: str, section: str, kind: str,
             header: str = "", record: int | None = None, restore=None) -> Passage:
    text = "\n".join(t.rstrip() for t in text.splitlines() if t.strip())
    folded = plan.folded(start, end)
    folded = " ".join(folded.split())
    p = Passage(plan.meta.id, plan.meta.title, section, start, end, text, folded, kind, header, record)
    if plan.meta.ocr and restore is not None:
        p.repaired = restore(folded)
    return p
