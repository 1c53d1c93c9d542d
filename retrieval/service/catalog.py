"""Adding and removing plans in the corpus directory: the plan's .txt and its entry in
plans.yaml, each written to a temp file and swapped in with os.replace so a reader (the
index build) never sees a half-written file.  plans.yaml is edited as text, so the comments
a person wrote there survive."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from pathlib import Path

import yaml

from .errors import ServiceError, unknown_plan

log = logging.getLogger("retrieval.service")


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Catalog:
    def __init__(self, corpus_dir: Path) -> None:
        self.dir = Path(corpus_dir)
        self.yaml_path = self.dir / "plans.yaml"
        self._lock = threading.Lock()

    def entries(self) -> dict[str, dict]:
        if not self.yaml_path.exists():
            return {}
        data = yaml.safe_load(self.yaml_path.read_text(encoding="utf-8")) or {}
        return {str(k): v for k, v in data.items()}

    def add(self, plan_id: str, meta: dict, text: str) -> Path:
        with self._lock:
            old = self.yaml_path.read_text(encoding="utf-8") if self.yaml_path.exists() else ""
            known = self.entries()
            txt = self.dir / f"{plan_id}.txt"
            if plan_id in known or txt.exists():
                raise ServiceError(
                    409, "plan_exists",
                    f"Kế hoạch '{plan_id}' đã có. Hãy xóa kế hoạch cũ (DELETE /admin/plans/{plan_id}) "
                    "hoặc chọn mã khác.",
                    f"Plan '{plan_id}' already exists. Delete it first or choose another id.")
            block = yaml.safe_dump({plan_id: meta}, allow_unicode=True, sort_keys=False,
                                   default_flow_style=False)
            new = old + ("" if not old or old.endswith("\n") else "\n") + block
            self._check(new, set(known) | {plan_id})
            _atomic_write(txt, text)
            try:
                _atomic_write(self.yaml_path, new)
            except BaseException:
                txt.unlink(missing_ok=True)
                raise
            log.info("event=plan_added plan=%s chars=%d", plan_id, len(text))
            return txt

    def remove(self, plan_id: str) -> None:
        with self._lock:
            known = self.entries()
            if plan_id not in known:
                raise unknown_plan(plan_id, known)
            old = self.yaml_path.read_text(encoding="utf-8")
            new = _drop_block(old, plan_id)
            if new is None:   # not in block style: fall back to a full re-dump (comments lost)
                rest = {k: v for k, v in known.items() if k != plan_id}
                new = yaml.safe_dump(rest, allow_unicode=True, sort_keys=False) if rest else ""
            self._check(new, set(known) - {plan_id})
            _atomic_write(self.yaml_path, new)
            (self.dir / f"{plan_id}.txt").unlink(missing_ok=True)
            log.info("event=plan_removed plan=%s", plan_id)

    @staticmethod
    def _check(text: str, expected: set[str]) -> None:
        data = yaml.safe_load(text) or {}
        if set(map(str, data)) != expected:
            raise RuntimeError(f"plans.yaml edit produced keys {sorted(data)}, expected {sorted(expected)}")


def _drop_block(text: str, plan_id: str) -> str | None:
    lines = text.splitlines(keepends=True)
    key = re.compile(rf"""^(?:{re.escape(plan_id)}|"{re.escape(plan_id)}"|'{re.escape(plan_id)}')\s*:""")
    start = next((i for i, ln in enumerate(lines) if key.match(ln)), None)
    if start is None:
        return None
    end = start + 1
    # The block runs to the next line at column 0 that is not blank (a key or a comment).
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    return "".join(lines[:start] + lines[end:])
