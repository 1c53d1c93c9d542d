"""OCR tables: rows, agencies and deadlines read from interleaved columns.

OCR of a scanned table gives one text line per printed line, with the cells of a row side
by side on it: task fragment, lead-agency fragment, cooperating fragment, result, deadline.
Cells are centred vertically, so the running number sits on a middle line of the row, and
an agency name wraps over two lines ("Sở Khoa học và" ... "Công nghệ") with task text in
between.  Three observations carry the reading:

* a row begins where a task cell begins: a line whose first word is capitalised (or the
  running-number line itself); lines starting in lower case continue the row above;
* an agency fragment is contiguous within one line and continues on the next line, so a
  name is matched token by token, with small gaps inside a line and a jump allowed only to
  the following line;
* columns keep their horizontal order, so an agency's position within its line tells the
  lead column (left) from the cooperating column (right).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .agencies import Gazetteer
from .models import Line

_NUM = re.compile(r"^\s*[|'`\"(]*\s*(\d{1,2})\s*[.,)]?\s*(?:[|]\s*)?(.*)$")
_ROMAN_GROUP = re.compile(r"^\s*(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)\s*[|.]\s*\S")
# words of the tables' column headers, repeated on every page ("TT | Nhiệm vụ | Cơ quan chủ trì ...")
COLUMN_HEADER_WORDS = ("co quan chu tri", "nhiem vu co quan", "ket qua thoi han", "thoi han hoan thanh",
                       "co quan phoi hop", "chi tieu theo doi")
_WORD = re.compile(r"[^\W\d_]{2,}")
_INNER_MARK = re.compile(r"(?<=^[^\W\d_])[,;:'`’‘{}]+(?=[^\W\d_])")
_LONE_CAPITAL = re.compile(r"[^\W\d_a-zIl](?= [^\W\d_A-Z]{2,})")   # not I/l: OCR for "l", "|"


@dataclass
class OcrRow:
    start: int          # first line number (1-based)
    end: int
    number: str | None  # the running number read on the row, when one was
    number_line: int | None = None


def _task_start(text: str) -> bool:
    """A line whose first word is a capitalised word of two letters or more: a task cell begins."""
    m = _NUM.match(text)
    body = m.group(2) if m else text
    body = body.lstrip(" |'`\"‘’.,;:-_~\\")
    # OCR splits a first word with stray marks ("X,ay dựng", "T;iển khai") or drops a
    # vowel it could not read ("T chức" for "Tổ chức")
    body = _INNER_MARK.sub("", body, count=1)
    w = _WORD.match(body) or _LONE_CAPITAL.match(body)
    if not w:
        return bool(re.match(r"^\d{2,3}\s*%", body)) and len(body) > 20
    return w.group(0)[:1].isupper() and len(body.split()) >= 3


def is_column_header(folded: str) -> bool:
    return any(h in folded for h in COLUMN_HEADER_WORDS)


def split_ocr_rows(lines: list[Line], first: int, last: int) -> list[OcrRow]:
    """Rows of an OCR table between line numbers `first` and `last` (inclusive).

    A boundary is a task-start line, or a running-number line when the row above already
    has its number.  A piece with no running number or no task start is the wrapped tail of
    the row above and is merged into it; group headings ("II | ...") and repeated column
    headers close a row."""
    pieces: list[tuple[OcrRow, bool] | None] = []    # (piece, starts with a task cell); None: a stop
    for n in range(first, last + 1):
        ln = lines[n - 1]
        text = ln.text
        if not text.strip():
            continue
        if _ROMAN_GROUP.match(text) or is_column_header(ln.folded):
            pieces.append(None)
            continue
        m = _NUM.match(text)
        number = m.group(1) if m else None
        starts = _task_start(text)
        cur = pieces[-1][0] if pieces and pieces[-1] is not None else None
        if cur is None or starts or (number and cur.number is not None):
            pieces.append((OcrRow(n, n, number, n if number else None), starts))
        else:
            cur.end = n
            if number and cur.number is None:
                cur.number, cur.number_line = number, n
    rows: list[OcrRow] = []
    prev_row = False
    for item in pieces:
        if item is None:
            prev_row = False
            continue
        piece, has_start = item
        # a task cell of two lines or more is a row even when OCR lost its number ("%" for "4")
        complete = has_start and (piece.number is not None or sum(
            1 for n in range(piece.start, piece.end + 1) if lines[n - 1].text.strip()) >= 2)
        if not complete and prev_row and rows:
            rows[-1].end = piece.end
            if rows[-1].number is None:
                rows[-1].number, rows[-1].number_line = piece.number, piece.number_line
            continue
        rows.append(piece)
        prev_row = True
    return rows


# --- agencies ------------------------------------------------------------------------

def edit1(a: str, b: str) -> bool:
    """Edit distance at most one (substitution, insertion or deletion)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _sim(key_tok: str, tok: str) -> float:
    if key_tok == tok:
        return 1.0
    if len(key_tok) >= 4 and len(tok) >= 4 and edit1(key_tok, tok):
        return 0.75
    if len(key_tok) == 3 and len(tok) == 2 and key_tok.startswith(tok):
        return 0.75         # a last letter lost at the column edge: "da" for "dao"
    if len(key_tok) == 2 and len(tok) == 2 and (key_tok[0] == tok[0] or key_tok[1] == tok[1]):
        return 0.5          # "so" read as "s0", "se", "35"
    if len(key_tok) == 2 and len(tok) == 2 and key_tok == "so" and tok.isdigit():
        return 0.5
    return 0.0


@dataclass
class AgencyHit:
    key: str
    line: int           # line number of the name's first token
    x: float            # horizontal position of that token within its line, 0..1
    score: float
    words: int = 0      # > 0: only the first `words` words of the name were read

    def display(self, gaz: Gazetteer) -> str:
        name = gaz.display(self.key)
        if not self.words:
            return name
        # a cut name: two words or fewer missing ("Sở Khoa học và" | "Công nghệ") is the
        # known name; with more missing only the words read and the next one are given
        parts = name.split()
        if len(parts) - self.words <= 2:
            return name
        return " ".join(parts[:self.words + 1])


def find_agencies(lines: list[Line], start: int, end: int, gaz: Gazetteer,
                  min_score: float = 0.85) -> list[AgencyHit]:
    """Known agencies in the rows' lines, names allowed to wrap onto the next line."""
    toks: list[tuple[str, int, float]] = []     # (token, line number, x)
    for n in range(start, end + 1):
        words = lines[n - 1].folded.split()
        total = max(1, sum(len(w) + 1 for w in words))
        pos = 0
        for w in words:
            toks.append((w, n, pos / total))
            pos += len(w) + 1
    if not toks:
        return []
    vocab = {t for t, _, _ in toks}
    hits: list[AgencyHit] = []
    for key in gaz.names:
        parts = key.split()
        distinct = [p for p in set(parts) if len(p) > 2]
        if distinct and sum(p in vocab for p in distinct) < max(1, len(distinct) // 2):
            continue
        best = _align(parts, toks)
        if best and best[0] >= min_score:
            score, first = best
            hits.append(AgencyHit(key, toks[first][1], toks[first][2], score * len(parts)))
        elif len(parts) >= 4:
            cut = _prefix(parts, toks)
            if cut:
                first, n = cut
                hits.append(AgencyHit(key, toks[first][1], toks[first][2], n - 0.5, words=n))
    # overlapping names: keep the better-scored (longer) one at each starting token
    hits.sort(key=lambda h: -h.score)
    kept: list[AgencyHit] = []
    for h in hits:
        if any(k.line == h.line and abs(k.x - h.x) < 0.02 or h.key in k.key for k in kept):
            continue
        kept.append(h)
    return kept


def _prefix(parts: list[str], toks: list[tuple[str, int, float]]) -> tuple[int, int] | None:
    """The longest run of a name's first words (three at least, most of the name) read
    verbatim on one line: the rest of the name lost to OCR."""
    best = None
    for i in range(len(toks)):
        n = 0
        while n < len(parts) and i + n < len(toks) and toks[i + n][0] == parts[n] and toks[i + n][1] == toks[i][1]:
            n += 1
        if n >= 3 and n >= 0.6 * len(parts) and (best is None or n > best[1]):
            best = (i, n)
    return best


def _align(parts: list[str], toks: list[tuple[str, int, float]]) -> tuple[float, int] | None:
    """Best alignment of a name's tokens onto the row tokens: within a line the next token
    follows within 3 tokens; a jump to a token of the next line is free."""
    best = None
    m = len(parts)
    for i, (t, _line, _x) in enumerate(toks):
        s0 = _sim(parts[0], t)
        if s0 <= 0 or (s0 < 1 and m > 1 and not (i + 1 < len(toks) and _sim(parts[1], toks[i + 1][0]) == 1)):
            continue
        total, j, pos, skipped, exact = s0, 1, i, 0, int(s0 == 1)
        while j < m:
            nxt = _next_match(parts[j], toks, pos, toks[i][2])
            if nxt is None:
                # a name cut by the page or by OCR: one missing token is tolerated in long names
                if skipped or m < 4:
                    break
                skipped += 1
                j += 1
                continue
            k, s = nxt
            total += s
            exact += s == 1
            pos = k
            j += 1
        score = total / m if exact >= min(2, m) else 0.0
        if best is None or score > best[0]:
            best = (score, i)
    return best


def _next_match(part: str, toks: list[tuple[str, int, float]], pos: int,
                x0: float) -> tuple[int, float] | None:
    """The next token of a name: close by on the same line, or on the next non-blank line
    in the same column (near the horizontal position where the name began)."""
    line = toks[pos][1]
    next_line = None
    for k in range(pos + 1, len(toks)):
        t, ln, x = toks[k]
        if ln == line and k - pos > 3:
            continue
        if ln != line:
            next_line = next_line or ln
            if ln != next_line:
                break
            if abs(x - x0) > 0.3:
                continue
        s = _sim(part, t)
        if s > 0:
            return k, s
        if ln == line and k - pos <= 3:
            continue
    return None


# --- deadlines -----------------------------------------------------------------------

_QUARTER = {"i": "I", "1": "I", "ii": "II", "11": "II", "2": "II", "iii": "III", "111": "III", "3": "III",
            "iv": "IV", "1v": "IV", "4": "IV", "lv": "IV", "l1": "II", "1l": "II", "ll": "II"}
_DL = re.compile(
    r"\b(?:(?P<q>qu[yi])\s*(?P<qn>[il1v]{1,3}|[1-4])\s*(?P<qy>20\d{2})"
    r"|qu[yi]\s*(?P<qj>[1-4])(?P<qjy>20\d{2})"
    r"|th[a-z]{0,3}n[ge]?\s*(?P<m>\d{1,2})\s*(?P<my>20\d{2})"
    r"|(?P<r1>20\d{2})\s*(?P<r2>20\d{2})"
    r"|(?P<tx>thuong xuyen|hang nam)"
    r"|(?P<y>20[2-3]\d))\b")


def find_deadline(folded: str) -> str | None:
    """The last deadline-looking phrase of a row (the deadline column is the last one)."""
    found = None
    for m in _DL.finditer(folded):
        if m.group("q"):
            q = _QUARTER.get(m.group("qn"))
            if q:
                found = f"Quý {q}/{m.group('qy')}"
        elif m.group("qj"):
            found = f"Quý {_QUARTER[m.group('qj')]}/{m.group('qjy')}"
        elif m.group("m"):
            month = int(m.group("m"))
            if 1 <= month <= 12:
                found = f"Tháng {m.group('m')}/{m.group('my')}"
        elif m.group("r1"):
            if m.group("r1") < m.group("r2"):
                found = f"{m.group('r1')}-{m.group('r2')}"
        elif m.group("tx"):
            found = "Thường xuyên" if m.group("tx") == "thuong xuyen" else "Hằng năm"
        elif m.group("y") and (found is None or not found[:1].isalpha()):
            found = m.group("y")
    return found


def lead_and_cooperating(hits: list[AgencyHit], lines: list[Line]) -> tuple[AgencyHit | None, list[AgencyHit]]:
    """Agencies in column order.  Names in the left part of a full line are inside the task
    text ("... của Trung tâm Phục vụ hành chính công") and are not the lead."""
    def in_task_text(h: AgencyHit) -> bool:
        words = lines[h.line - 1].folded.split()
        if h.x >= 0.3 or len(words) < 8:
            return False
        # words of the task to its left (OCR junk of one or two letters does not count)
        before = words[:max(0, round(h.x * len(words)))]
        return sum(len(w) >= 3 for w in before) >= 3
    ordered = sorted((h for h in hits if not in_task_text(h)), key=lambda h: h.x)
    unique = list({h.key: h for h in reversed(ordered)}.values())[::-1]
    return (unique[0] if unique else None), unique[1:]


def single_column_leads(rows: list[OcrRow], hits: list[list[AgencyHit]]) -> list[AgencyHit | None]:
    """Leads of a table with one agency column (the indicator tables).  The agency cell is
    centred on the row's number line, so the name read nearest that line is the lead; a
    name read below it that is not the lead starts the next row's cell when that row has
    none of its own ("Ngân hàng Nhà" above "3 | Tỷ lệ giao dịch ... nước" / "Khu vực 4")."""
    leads: list[AgencyHit | None] = []
    spill: AgencyHit | None = None
    for row, found in zip(rows, hits, strict=True):
        anchor = row.number_line or row.start
        ordered = sorted(found, key=lambda h: (abs(h.line - anchor), -h.score))
        lead = ordered[0] if ordered else spill
        if ordered and spill is not None and ordered[0].line > anchor and not any(h.line <= anchor for h in found):
            lead = spill
        leads.append(lead)
        below = [h for h in found if h is not lead and h.line > anchor and h.key != (lead.key if lead else None)]
        spill = below[-1] if below else None
    return leads
