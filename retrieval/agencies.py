"""Agency names: how they start, the gazetteer learned from the plans, and matching.

Vietnamese provincial agencies are named by a small set of heads ("Sở", "Công an",
"Văn phòng", "Ngân hàng" ...).  The gazetteer is learned from the clean plans' text (the
subjects of "X chủ trì" sentences and the agency cells of their tables), so answers for
the OCR plan can be given in proper Vietnamese by matching its repaired text against it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .normalize import fold


@lru_cache(maxsize=1)
def province_names() -> tuple[str, ...]:
    """Vietnam's provinces (retrieval/data/provinces.txt), to tell a province not in the corpus
    from a typo, and to keep "Báo Phú | Thọ" one name when a table cell wraps inside it."""
    text = resources.files("retrieval").joinpath("data/provinces.txt").read_text(encoding="utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


# Folded heads, longest first so "uy ban nhan dan" wins over "uy ban".
HEADS: tuple[str, ...] = tuple(sorted({
    "so", "ban chi dao", "ban quan ly", "cuc thue", "cuc", "cong an", "van phong", "uy ban nhan dan",
    "ubnd", "ngan hang", "kho bac", "buu dien", "dai phat thanh", "bao", "hoi nong dan",
    "hoi lien hiep phu nu", "hoi", "lien minh hop tac xa", "tinh doan", "truong", "vien thong",
    "hiep hoi", "thue", "bao hiem xa hoi", "trung tam", "cac so", "cac co quan", "cac doanh nghiep",
    "cac truong", "cac don vi", "cac dia phuong", "doanh nghiep", "bo chi huy", "chi cuc", "thanh tra",
    "uy ban mat tran", "cong ty", "tap doan", "so ban nganh",
}, key=len, reverse=True))

# Words that end an agency name when scanning running text.
_STOP = {
    "chu", "phoi", "trien", "thuc", "to", "xay", "theo", "tham", "huong", "tang", "day", "nang",
    "thuong", "can", "la", "co", "trong", "de", "nham", "tiep", "kiem", "hang", "bo", "duoc",
    "quan", "giup", "dinh", "chiu", "cung", "phu", "lam", "ra", "lap", "cap",
}

_ENUM = re.compile(r"^\s*(?:[-+•*]|\d{1,2}(?:\.\d{1,2})*\.?|[a-zđ]\)|[IVX]{1,4}\.)\s*")
_CHU_TRI = re.compile(r"\s*[-–:,]?\s*(?:là cơ quan|chủ trì|chịu trách nhiệm|có trách nhiệm)", re.I)


_ACCENTED_FIRST = {
    "sở", "ban", "cục", "công", "văn", "ủy", "uỷ", "ubnd", "ngân", "kho", "bưu", "đài", "báo", "hội", "liên",
    "tỉnh", "trường", "viễn", "hiệp", "thuế", "bảo", "trung", "các", "doanh", "bộ", "chi", "thanh", "tập",
}
SPLIT_AGENCIES = re.compile(
    r"\s*;\s*|,\s*(?=(?:Sở|UBND|Ủy ban|Uỷ ban|Công an|Văn phòng|Cục|Ngân hàng|Báo|Đài|Hội|Trung tâm|Ban|Bưu điện|"
    r"Viễn thông|Kho bạc|Tỉnh đoàn|Liên minh)\b)")


def is_agency_start(text: str) -> bool:
    """Text that begins with an agency head.  Where the text has diacritics they must agree
    ("Thuế ..." is an agency, "Thuê ..." is a task; "Báo ..." yes, "Bảo đảm ..." no)."""
    words = text.split()
    if not words or not starts_with_head(fold(text)):
        return False
    if any(ord(c) > 127 for c in text):
        first = words[0].lower()
        if first not in _ACCENTED_FIRST:
            return False
        if first == "bảo" and not fold(text).startswith("bao hiem"):
            return False
    return text[:1].isupper()


def starts_with_head(folded: str) -> str | None:
    for head in HEADS:
        if folded == head or folded.startswith(head + " "):
            return head
    return None


def clean_name(name: str) -> str:
    """Trim enumerators, trailing punctuation and doubled spaces from an agency string."""
    name = _ENUM.sub("", name)
    name = re.sub(r"\s+", " ", name).strip(" ,;:.-–()")
    return name


@dataclass
class Gazetteer:
    """Known agency names: folded key -> the best-written display form seen."""

    names: dict[str, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def add(self, display: str, weight: int = 1) -> None:
        display = clean_name(re.split(r"\s+(?:là|có trách nhiệm|chịu trách nhiệm|trực tiếp)\s", display)[0])
        key = fold(display)
        if not key or not is_agency_start(display) or len(key.split()) > 14 or len(key.split()) < 2:
            return
        self.counts[key] += weight
        have = self.names.get(key)
        # prefer a form with diacritics and capitals ("Sở Thông tin và Truyền thông")
        if have is None or _quality(display) > _quality(have):
            self.names[key] = display

    def drop_fragments(self) -> None:
        """Forget names that are a cell cut by a line break ("Sở Công" of "Sở Công Thương",
        "Sở Giao thông" of "Sở Giao thông vận tải"): a short name that is the start of a
        longer, more often seen one."""
        keys = list(self.names)
        for k in keys:
            longer = [o for o in keys if o != k and o.startswith(k + " ")
                      and len(o.split()) <= len(k.split()) + 2]
            if longer and len(k.split()) <= 3 and max(self.counts[o] for o in longer) >= self.counts[k] \
                    and self.counts[k] < 3:
                del self.names[k]
                del self.counts[k]

    def display(self, folded_name: str) -> str:
        return self.names.get(folded_name, folded_name)

    def find(self, folded_text: str) -> list[tuple[int, str]]:
        """Known agencies in folded text as (token offset, folded key), longest match first,
        non-overlapping, in reading order."""
        tokens = folded_text.split()
        keys = sorted(self.names, key=lambda k: len(k.split()), reverse=True)
        by_first: dict[str, list[list[str]]] = {}
        for k in keys:
            parts = k.split()
            by_first.setdefault(parts[0], []).append(parts)
        out, i = [], 0
        while i < len(tokens):
            hit = None
            for parts in by_first.get(tokens[i], []):
                if tokens[i:i + len(parts)] == parts:
                    hit = parts
                    break
            if hit:
                out.append((i, " ".join(hit)))
                i += len(hit)
                continue
            # a name cut by a line or column break ("so khoa hoc va" | "cong nghe"): a prefix of
            # three or more words that belongs to one known agency only
            prefix = None
            for parts in by_first.get(tokens[i], []):
                for n in range(len(parts) - 1, 2, -1):
                    if tokens[i:i + n] == parts[:n]:
                        if prefix is None or len(parts[:n]) > prefix[1] or (
                                len(parts[:n]) == prefix[1] and self.counts[" ".join(parts)] > self.counts[prefix[0]]):
                            prefix = (" ".join(parts), n)
                        break
            if prefix:
                out.append((i, prefix[0]))
                i += prefix[1]
            else:
                i += 1
        return out

    def best_match(self, folded_name: str, min_overlap: float = 0.75) -> str | None:
        """The known agency closest to a (possibly mangled) folded name, by token overlap."""
        want = folded_name.split()
        if not want:
            return None
        best, best_score = None, 0.0
        for key in self.names:
            have = key.split()
            common = sum((Counter(want) & Counter(have)).values())
            score = 2 * common / (len(want) + len(have))
            if score > best_score:
                best, best_score = key, score
        return best if best_score >= min_overlap else None


def _quality(text: str) -> tuple[int, int]:
    accented = sum(1 for c in text if ord(c) > 127)
    return accented, sum(1 for c in text if c.isupper())


def subject_before(text: str, end: int) -> str | None:
    """The agency named just before position `end` ("..., Cục Thuế tỉnh chủ trì" -> "Cục Thuế tỉnh")."""
    before = text[:end]
    # the subject starts after the last sentence or clause break
    start = max(before.rfind(". "), before.rfind("; "), before.rfind(": "), before.rfind(")"))
    cand = clean_name(before[start + 1:] if start >= 0 else before)
    if not cand:
        return None
    folded = fold(cand)
    head = None
    words = cand.split()
    # walk forward to the first word where an agency head begins
    for i in range(len(words)):
        tail = " ".join(words[i:])
        if is_agency_start(tail):
            head = tail
            break
    if head is None or len(head.split()) > 14:
        return None
    del folded
    return clean_name(head)


def chu_tri_pattern() -> re.Pattern:
    return _CHU_TRI
