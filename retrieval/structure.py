"""Structure: heading hierarchy, appendix tables rebuilt into rows, and task records.

The plans reach us as PDF text: table cells flattened one per line, and in the OCR plan
the columns of one row interleaved line by line.  Rows are found by their running numbers;
cells by what they look like (an agency head, a date, a sum), never by plan-specific rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .agencies import (
    SPLIT_AGENCIES,
    Gazetteer,
    clean_name,
    is_agency_start,
    province_names,
    starts_with_head,
    subject_before,
)
from .models import Line, PlanMeta, TaskRecord
from .normalize import fold
from .ocr_table import (
    AgencyHit,
    find_agencies,
    find_deadline,
    lead_and_cooperating,
    single_column_leads,
    split_ocr_rows,
)

_ROMAN = "I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII"
_H_ROMAN = re.compile(rf"^\s*({_ROMAN})[.\s|]\s*(\S.*)$")
_H_NUM = re.compile(r"^\s*(\d{1,2})\.\s+(\S.*)$")
_H_SUB = re.compile(r"^\s*(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)\.?\s+(\S.*)$")
_H_ALPHA = re.compile(r"^\s*([a-zđ])\)\s+(\S.*)$")
_APPENDIX = re.compile(r"^\s*(phu luc|phụ lục)\b", re.I)
_ROW_NUM = re.compile(r"^\s*[|'`\"(]*\s*(\d{1,2}(?:\.\d{1,2})?)\s*[.,)]?\s*(?:[|]\s*)?(.*)$")
_DEADLINE = re.compile(
    r"(?i)\b(?:(?:năm|nam)\s*)?(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?\b|hằng năm|hàng năm|thường xuyên|"
    r"\bquý\s*[IVX1-4]+|\btháng\s*\d{1,2}|giai đoạn|trước ngày|\d{1,2}/(?:19|20)\d{2}")
# optional deadline year(s), then up to three amounts; a bare year ("2022") is a deadline
_MONEY_LINE = re.compile(r"^\s*(?:(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}|(?:19|20)\d{2})?\s*"
                         r"(?!(?:19|20)\d{2}\s*$)((?:\d{1,3}(?:\.\d{3})*\s*){1,3})$")


@dataclass
class Section:
    path: str
    level: int
    line_start: int
    line_end: int


@dataclass
class Table:
    header: str
    columns: list[str]          # subset of lead, cooperating, deadline, result, method, budget, in order
    line_start: int
    line_end: int
    rows: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Plan:
    meta: PlanMeta
    lines: list[Line]
    sections: list[Section]
    tables: list[Table]
    records: list[TaskRecord]
    section_of: list[str]       # section path of each line (index = line number - 1)

    def text(self, start: int, end: int) -> str:
        return "\n".join(ln.text for ln in self.lines[start - 1:end])

    def folded(self, start: int, end: int) -> str:
        return " ".join(ln.folded for ln in self.lines[start - 1:end])


def heading_level(text: str) -> tuple[int, str] | None:
    """Level of a heading line, or None.  Long sentences that merely start with a number are body text."""
    if _APPENDIX.match(text) and len(text) < 60:
        return 0, text.strip()
    for level, pat in ((1, _H_ROMAN), (3, _H_SUB), (2, _H_NUM), (4, _H_ALPHA)):
        m = pat.match(text)
        if m:
            body = m.group(2)
            if level == 1 and not (body[:1].isupper() and len(text) < 110):
                return None
            if len(text) > 140:
                return None
            return level, text.strip()
    return None


# --- tables ----------------------------------------------------------------------------

_COLS = (("lead", "chu tri"), ("cooperating", "phoi hop"), ("result", "ket qua"), ("method", "cach thuc"),
         ("deadline", "thoi han"), ("deadline", "thoi gian"), ("budget", "kinh phi"))


def _header_columns(folded_header: str) -> list[str]:
    found = []
    for name, marker in _COLS:
        pos = folded_header.find(marker)
        if pos >= 0 and name not in [n for n, _ in found]:
            found.append((name, pos))
    return [n for n, _ in sorted(found, key=lambda x: x[1])]


def find_tables(lines: list[Line]) -> list[Table]:
    """A table starts at a header block naming a lead-agency column ("cơ quan chủ trì")."""
    tables: list[Table] = []
    n = len(lines)
    i = 0
    while i < n:
        window = " ".join(ln.folded for ln in lines[i:i + 8] if ln.folded)
        if ("co quan chu" in window or "don vi chu tri" in window) and lines[i].folded \
                and len(lines[i].text) < 90 and _in_appendix(lines, i):
            start = i
            hdr_end = i
            j = i
            while j < min(n, i + 14):
                f = lines[j].folded
                if _ROW_NUM.match(lines[j].text) and re.match(r"^\s*[|'(]*\s*\d", lines[j].text) and j > i \
                        or _H_ROMAN.match(lines[j].text) and j > i:
                    break
                if f:
                    hdr_end = j
                j += 1
            header_f = " ".join(ln.folded for ln in lines[max(0, start - 3):hdr_end + 1] if ln.folded)
            cols = _header_columns(header_f)
            end = n - 1
            for k in range(hdr_end + 1, n):
                if _APPENDIX.match(lines[k].text) and len(lines[k].text) < 60:
                    end = k - 1
                    break
            tables.append(Table(" ".join(ln.text.strip() for ln in lines[start:hdr_end + 1] if ln.text.strip()),
                                cols, start + 1, end + 1))
            i = end + 1
        else:
            i += 1
    return tables


def _in_appendix(lines: list[Line], i: int) -> bool:
    return any(_APPENDIX.match(ln.text) for ln in lines[max(0, i - 40):i + 1])


def _is_repeated_header(folded: str) -> bool:
    return ("chu tri" in folded and ("nhiem vu" in folded or "co quan" in folded)) or \
        folded in {"co quan chu tri", "thoi han hoan thanh", "ket qua thoi han"}


def split_rows(lines: list[Line], table: Table) -> list[tuple[int, int]]:
    """Rows as (first line, last line).  A row starts at the next running number (n+1, n.1,
    or 1 after a group heading); group headings ("I ...", "II ...") close a row."""
    rows: list[tuple[int, int]] = []
    current: list | None = None
    expect: set[str] = {"1"}
    last = "0"
    body_start = table.line_start
    for idx in range(body_start - 1, table.line_end):
        ln = lines[idx]
        text = ln.text
        if not text.strip() or _is_repeated_header(ln.folded):
            continue
        group = _H_ROMAN.match(text)
        m = _ROW_NUM.match(text)
        number = m.group(1) if m else None
        if group and not (m and number in expect):
            if current:
                rows.append(tuple(current))
            current = None
            # numbering restarts at 1 under a group heading, or runs on across it (Vĩnh Phúc
            # Phụ lục III: ... 40, "II Phát triển kinh tế số", 41 ...)
            expect = {"1"} | _next_numbers(last)
            continue
        if number is not None and number in expect:
            if current:
                rows.append(tuple(current))
            current = [ln.number, ln.number]
            last = number
            expect = _next_numbers(last)
            continue
        if current:
            current[1] = ln.number
    if current:
        rows.append(tuple(current))
    return rows


def _next_numbers(last: str) -> set[str]:
    parts = last.split(".")
    nxt = {str(int(parts[0]) + 1), f"{parts[0]}.1"}
    if len(parts) == 2:
        nxt.add(f"{parts[0]}.{int(parts[1]) + 1}")
    return nxt


def _splits_province(before: str, after: str) -> bool:
    """ "Báo Phú" | "Thọ, Đài PT và TH tỉnh": the line broke inside a province's name."""
    a, b = before.split()[-1:], after.split()[:1]
    return bool(a and b) and f"{a[0]} {b[0]}" in _folded_provinces()


@lru_cache(maxsize=1)
def _folded_provinces() -> frozenset[str]:
    return frozenset(fold(p) for p in province_names() if len(p.split()) == 2)


def _cells_clean(texts: list[str]) -> list[tuple[str, str]]:
    """Group a clean row's lines into typed cells: ('agency'|'deadline'|'money'|'text', text).

    A cell continues on the next line while it is visibly unfinished: ends with "và" or a
    comma, or is a bare head ("Văn phòng" + "UBND tỉnh"), or the next line starts in lower case."""
    cells: list[list] = []
    for raw in texts:
        t = raw.strip()
        if not t:
            continue
        kind = "agency" if is_agency_start(t) else (
            "money" if _MONEY_LINE.match(t) and re.search(r"\d{3}", t) and len(t) < 40 else (
                "deadline" if _DEADLINE.search(t) and len(t) <= 32 else "text"))
        if cells:
            prev_kind, prev = cells[-1][0], cells[-1][1]
            pf = fold(prev)
            unfinished = prev.rstrip().endswith((",", " và", "và", "-", "&", "(")) or pf in {
                "van phong", "so", "uy ban nhan dan", "ngan hang", "co quan", "cac so", "ban"} \
                or _splits_province(pf, fold(t))
            if prev_kind in ("agency", "text") and (unfinished or t[:1].islower()) and kind not in ("money",) \
                    and not (kind == "deadline" and prev_kind == "agency" and not unfinished):
                cells[-1][1] = f"{prev} {t}"
                continue
        cells.append([kind, t])
    return [(k, re.sub(r"\s+", " ", v).strip()) for k, v in cells]


def _parse_money(text: str) -> list[str]:
    return re.findall(r"\d{1,3}(?:\.\d{3})+|\d{2,}", _MONEY_LINE.match(text).group(1)) if _MONEY_LINE.match(text) else []


def row_record(plan: Plan, table: Table, start: int, end: int, section: str) -> TaskRecord:
    texts = [plan.lines[i - 1].text for i in range(start, end + 1)]
    first = _ROW_NUM.match(texts[0])
    texts[0] = first.group(2) if first else texts[0]
    raw = " ".join(t.strip() for t in texts if t.strip())
    cells = _cells_clean(texts)
    task_parts, agencies, deadline, money, extra = [], [], None, [], []
    for kind, text in cells:
        if kind == "agency" and (task_parts or agencies):
            agencies.append(clean_name(text))       # one cell; split into names below
        elif kind == "deadline" and agencies and deadline is None:
            deadline = text
        elif kind == "money":
            m = re.match(r"^\s*((?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}|(?:19|20)\d{2})\s+", text)
            if m and deadline is None:
                deadline = m.group(1)
            money.extend(_parse_money(text))
        elif not agencies:
            task_parts.append(text)
        else:
            extra.append(text)
    names = [clean_name(n) for cell in agencies for n in SPLIT_AGENCIES.split(cell) if clean_name(n)]
    # the lead cell may name several agencies; the first is the lead, the rest co-lead/cooperate
    lead = agencies[0] if agencies else None
    coop = [n for n in names if n != lead and n not in SPLIT_AGENCIES.split(lead or "")] \
        if "cooperating" in table.columns else []
    if "cooperating" not in table.columns and len(agencies) > 1:
        extra = agencies[1:] + extra
    budget = None
    if money:
        budget = {"values": money, "unit": "triệu đồng"}
    return TaskRecord(plan.meta.id, " ".join(task_parts).strip(), lead, coop, deadline,
                      "; ".join(extra) or None, budget, section, start, end, "table", raw)


# --- narrative records ---------------------------------------------------------------

_CHU_TRI_RE = re.compile(r"(?i)\b(chủ trì|là cơ quan thường trực|chịu trách nhiệm)\b")
_PHOI_HOP = re.compile(r"(?i)phối hợp(?: với| chặt chẽ với)?\s+")


def narrative_records(plan: Plan, gaz: Gazetteer, table_lines: set[int]) -> list[TaskRecord]:
    """Sentences "X chủ trì, phối hợp với Y ..." (or a heading "5. Sở Tài chính" followed by
    "- Chủ trì, phối hợp ...") as task records."""
    records = []
    lines = plan.lines
    for idx, ln in enumerate(lines):
        if ln.number in table_lines or not ln.text:
            continue
        m = _CHU_TRI_RE.search(ln.text) if not plan.meta.ocr else _ocr_chu_tri(ln.folded)
        if not m:
            continue
        start_line, end_line = _sentence_span(lines, idx)
        text = " ".join(lines[i - 1].text.strip() for i in range(start_line, end_line + 1))
        if plan.meta.ocr:
            folded = plan.folded(start_line, end_line)
            lead = _ocr_subject(plan, gaz, idx, folded)
            coop_keys = [k for _, k in gaz.find(folded.split("phoi hop", 1)[1])] if "phoi hop" in folded else []
            coop = [gaz.display(k) for k in dict.fromkeys(coop_keys) if gaz.display(k) != lead]
            task = folded
        else:
            pos = text.lower().find(m.group(1).lower())
            lead = subject_before(text, pos) or _heading_agency(plan, ln.number)
            after = text[pos:]
            coop = []
            pm = _PHOI_HOP.search(after)
            if pm:
                coop = [gaz.display(k) for _, k in gaz.find(fold(after[pm.end():pm.end() + 220]))]
                coop = [c for c in dict.fromkeys(coop) if c != lead]
            task = text
        if not lead:
            continue
        dl = None
        dm = re.search(r"(?i)(hoàn thành (?:trong|trước|năm)[^.;,]*|trước ngày [\d/]+|từ ngày [\d/]+|trong năm \d{4}|"
                       r"đến (?:hết )?năm \d{4})", text)
        if dm:
            dl = dm.group(1)
        if records and (records[-1].line_start, records[-1].line_end) == (start_line, end_line):
            continue        # two cue lines of one sentence ("là cơ quan thường trực ..., chủ trì")
        records.append(TaskRecord(plan.meta.id, task, clean_name(lead), coop, dl, None, None,
                                  plan.section_of[ln.number - 1], start_line, end_line, "narrative", text))
    return records


def _ocr_chu_tri(folded: str):
    m = re.search(r"\b(chu tri|la co quan thuong truc)\b", folded)
    return m


def _ocr_subject(plan: Plan, gaz: Gazetteer, idx: int, folded: str) -> str | None:
    if re.match(r"^\W*(la co quan|chu tri|co trach nhiem|tham muu)\b", folded):
        # "- Là cơ quan thường trực Ban Chỉ đạo ..., chủ trì ..." under "2. Sở Khoa học và
        # Công nghệ": the bullet has no subject of its own; the heading's agency is it
        return _heading_agency(plan, plan.lines[idx].number, gaz)
    pos = folded.find("chu tri")
    if pos < 0:
        pos = folded.find("la co quan")
    found = gaz.find(folded[:pos]) if pos > 0 else []
    if found:
        return gaz.display(found[-1][1])
    return _heading_agency(plan, plan.lines[idx].number, gaz)


def _heading_agency(plan: Plan, number: int, gaz: Gazetteer | None = None) -> str | None:
    """For "- Chủ trì, ..." bullets: the agency is the numbered heading above ("5. Sở Tài chính")."""
    path = plan.section_of[number - 1]
    for part in reversed(path.split(" › ")):
        m = _H_NUM.match(part)
        body = m.group(2) if m else part
        f = fold(body)
        if plan.meta.ocr and gaz is not None:
            hits = gaz.find(f)
            if hits and hits[0][0] == 0:
                return gaz.display(hits[0][1])
            key = gaz.best_match(f)
            if key:
                return gaz.display(key)
        elif starts_with_head(f):
            return clean_name(body.split(" - ")[0].split(":")[0])
    return None


def _sentence_span(lines: list[Line], idx: int) -> tuple[int, int]:
    """Extend a line to the sentence around it (blank lines of the PDF text skipped): back to a
    line that starts a bullet or follows a full stop, forward to a full stop, 8 lines at most."""
    def prev_nonblank(i: int) -> int | None:
        i -= 1
        while i >= 0 and not lines[i].text.strip():
            i -= 1
        return i if i >= 0 else None

    def next_nonblank(i: int) -> int | None:
        i += 1
        while i < len(lines) and not lines[i].text.strip():
            i += 1
        return i if i < len(lines) else None

    start = idx
    for _ in range(6):
        p = prev_nonblank(start)
        if p is None or lines[p].text.rstrip().endswith((".", ";", ":")) or heading_level(lines[p].text) \
                or re.match(r"^([-+•]|[a-zđ]\)|\d+\.)", lines[start].text.lstrip()) or start - p > 3:
            break
        start = p
    end = idx
    for _ in range(8):
        n = next_nonblank(end)
        if lines[end].text.rstrip().endswith((".", ";")) or n is None or n - end > 3 \
                or re.match(r"^\s*([-+•]|[a-zđ]\)|\d+\.\s)", lines[n].text):
            break
        end = n
    return lines[start].number, lines[end].number


# --- whole plan -------------------------------------------------------------------

def sections_of(lines: list[Line], skip: set[int], ocr_display=None) -> tuple[list[Section], list[str]]:
    stack: list[tuple[int, str]] = []
    section_of = []
    sections: list[Section] = []
    for ln in lines:
        if ln.number not in skip and ln.text:
            h = heading_level(ln.text)
            if h:
                level, text = h
                if ocr_display:
                    text = ocr_display(text, ln.folded)
                text = text[:100]
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
                sections.append(Section(" › ".join(t for _, t in stack), level, ln.number, ln.number))
        section_of.append(" › ".join(t for _, t in stack))
    return sections, section_of


_BARE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")


def drop_page_numbers(lines: list[Line], tables: list[Table]) -> list[Line]:
    """Bare numbers outside tables are page numbers; inside tables they are row numbers."""
    inside = {n for t in tables for n in range(t.line_start, t.line_end + 1)}
    return [Line(ln.number, "", "") if ln.number not in inside and _BARE_NUMBER.match(ln.text) else ln
            for ln in lines]


def parse_plan(meta: PlanMeta, lines: list[Line], gaz: Gazetteer, ocr_display=None) -> Plan:
    tables = find_tables(lines)
    lines = drop_page_numbers(lines, tables)
    table_lines = {n for t in tables for n in range(t.line_start, t.line_end + 1)}
    body_lines = {n for t in tables for n in range(t.line_start + 1, t.line_end + 1)}
    sections, section_of = sections_of(lines, body_lines, ocr_display)
    plan = Plan(meta, lines, sections, tables, [], section_of)
    records: list[TaskRecord] = []
    for table in tables:
        if meta.ocr:
            records.extend(ocr_table_records(plan, table, gaz, ocr_display))
            continue
        group = ""
        for start, end in split_rows(lines, table):
            group = _group_before(lines, table, start) or group
            section = " › ".join(p for p in (section_of[table.line_start - 1].split(" › ")[0], group) if p)
            rec = row_record(plan, table, start, end, section)
            table.rows.append((start, end))
            records.append(rec)
    records.extend(narrative_records(plan, gaz, table_lines))
    plan.records = records
    return plan


def ocr_table_records(plan: Plan, table: Table, gaz: Gazetteer, ocr_display=None) -> list[TaskRecord]:
    """Records of an OCR table, read row by row with the column-aware agency matcher."""
    out = []
    group = ""
    rows = split_ocr_rows(plan.lines, table.line_start, table.line_end)
    all_hits = [find_agencies(plan.lines, r.start, r.end, gaz) for r in rows]
    single = single_column_leads(rows, all_hits) if "cooperating" not in table.columns else None
    for i, row in enumerate(rows):
        table.rows.append((row.start, row.end))
        heading = _group_before(plan.lines, table, row.start)
        if heading:
            group = ocr_display(heading, fold(heading)) if ocr_display else heading
        section = " › ".join(p for p in (plan.section_of[table.line_start - 1].split(" › ")[0], group) if p)
        lead, coop = lead_and_cooperating(all_hits[i], plan.lines)
        if lead is None and i > 0 and single is None:
            # the agency cells began on the line above the task cell (taller cells are
            # centred higher): read the previous row's last line
            above = [h for h in all_hits[i - 1] if h.line >= row.start - 2]
            lead, coop = lead_and_cooperating(above, plan.lines)
        if single is not None:
            lead, coop = single[i], []
        out.append(_ocr_record(plan, table, row.start, row.end, section, lead, coop, gaz))
    return out


def ocr_window_record(plan: Plan, table: Table, start: int, end: int, gaz: Gazetteer,
                      section: str) -> TaskRecord:
    """A stretch of OCR table lines outside any row (a retrieval window), read like a row."""
    lead, coop = lead_and_cooperating(find_agencies(plan.lines, start, end, gaz), plan.lines)
    return _ocr_record(plan, table, start, end, section, lead,
                       coop if "cooperating" in table.columns else [], gaz)


def _ocr_record(plan: Plan, table: Table, start: int, end: int, section: str, lead: AgencyHit | None,
                coop: list[AgencyHit], gaz: Gazetteer) -> TaskRecord:
    folded = plan.folded(start, end)
    deadline = find_deadline(folded) if "deadline" in table.columns else None
    raw = " ".join(plan.lines[n - 1].text.strip() for n in range(start, end + 1) if plan.lines[n - 1].text.strip())
    return TaskRecord(plan.meta.id, folded, lead.display(gaz) if lead else None,
                      [h.display(gaz) for h in coop], deadline, None, None, section,
                      start, end, "table", raw)


def _group_before(lines: list[Line], table: Table, start: int) -> str:
    for idx in range(start - 2, table.line_start - 2, -1):
        m = _H_ROMAN.match(lines[idx].text)
        if m:
            return lines[idx].text.strip()[:90]
    return ""


_HEADING_VERB = re.compile(r"\s*[-–:]\s*(?=(?:Chủ|Là|Phối|Tham|Thực|Hướng|Tổ|Triển|Có|Chịu|Hằng))")


def learn_gazetteer(plans_lines: list[tuple[PlanMeta, list[Line]]]) -> Gazetteer:
    """Agency names from the clean plans: subjects of "X chủ trì", table agency cells, and
    the numbered responsibility headings ("8. Sở Giao thông vận tải")."""
    gaz = Gazetteer()
    for meta, lines in plans_lines:
        if meta.ocr:
            continue
        for _idx, ln in enumerate(lines):
            text = ln.text.strip()
            if not text:
                continue
            for m in _CHU_TRI_RE.finditer(text):
                subj = subject_before(text, m.start())
                if subj:
                    gaz.add(subj, 2)
            h = _H_NUM.match(text)
            if h and is_agency_start(h.group(2)) and len(h.group(2)) < 70:
                gaz.add(_HEADING_VERB.split(h.group(2))[0], 2)
        for table in find_tables(lines):
            for start, end in split_rows(lines, table):
                texts = [lines[i - 1].text for i in range(start, end + 1)]
                for kind, cell in _cells_clean(texts[1:] if len(texts) > 1 else texts):
                    if kind == "agency":
                        for part in SPLIT_AGENCIES.split(cell):
                            gaz.add(part)
    gaz.drop_fragments()
    return gaz
