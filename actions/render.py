"""Language detection and the reply built from an /ask answer: text for every channel, a card
payload for the web page."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal
from urllib.parse import quote

Lang = Literal["vi", "en"]

MAX_CITATIONS = 3
MAX_SNIPPET = 300

# Letters that only Vietnamese uses (beyond ASCII): any one of them settles the language.
_VI_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_EN_WORDS = frozenset("""
the a an of in on at to for and or is are was were be been do does did what which who whom whose
when where why how much many by with from about this that these those it its plan plans province
department agency leads lead responsible deadline target budget funding digital transformation
hello hi hey thanks thank you please help can could would should will and what's who's there
start over restart goodbye bye useful helpful wrong correct not my me i your you
""".split())
# Unaccented Vietnamese words that are not English words.
_VI_WORDS = frozenset("""
ai chu tri phoi hop ke hoach nam cua tinh so nao gi la co khong thi sao nhieu bao gio khi han
muc tieu chi kinh phi du toan don vi quan nhiem vu trien khai xay dung dung du lieu chuyen doi
nong thon moi xa huyen cap ban chao cam toi lai dau giup voi ve cac nhung duoc hien con the va
tam biet hoi tra loi sai dung roi huu ich xin oi nhe ha
""".split())


def detect_lang(text: str) -> Lang:
    """'vi' for Vietnamese with or without diacritics, 'en' for English."""
    lowered = unicodedata.normalize("NFC", text or "").lower()
    if any(ch in _VI_LETTERS for ch in lowered):
        return "vi"
    words = re.findall(r"[a-z']+", lowered)
    en = sum(w in _EN_WORDS for w in words)
    vi = sum(w in _VI_WORDS for w in words)
    return "en" if en > vi else "vi"


# Words that turn feedback negative ("không hữu ích", "sai rồi", "not helpful"), folded, so they
# match with or without diacritics.  Feedback is one intent; its polarity is read here.
_NEGATIVE = frozenset("""
khong chua chang sai te vo kem not no wrong incorrect useless bad didn't didnt unhelpful
inaccurate nope
""".split())
_NEGATIVE_EMOJI = ("👎", "😞", "😠", "😡")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", (text or "").replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


def is_positive_feedback(text: str) -> bool:
    """True for "hữu ích", "đúng rồi", "helpful"; False when a negative word or emoji is present."""
    if any(e in (text or "") for e in _NEGATIVE_EMOJI):
        return False
    words = re.findall(r"[a-z']+", fold(text))
    return not any(w in _NEGATIVE for w in words)


def citation_url(base: str, plan: str, line_start: int, line_end: int) -> str:
    return f"{base.rstrip('/')}/plans/{quote(plan)}/view?lines={int(line_start)}-{int(line_end)}"


def snippet(text: str, limit: int = MAX_SNIPPET) -> str:
    """At most `limit` characters, cut at a word boundary, whitespace collapsed."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def citations(answer: dict[str, Any], base: str) -> list[dict[str, Any]]:
    out = []
    for c in (answer.get("citations") or [])[:MAX_CITATIONS]:
        try:
            start, end = int(c["line_start"]), int(c["line_end"])
            out.append({
                "plan": c["plan"],
                "title": c.get("title") or c["plan"],
                "section": c.get("section") or "",
                "line_start": start,
                "line_end": end,
                "snippet": snippet(c.get("text", "")),
                "url": citation_url(base, c["plan"], start, end),
            })
        except (KeyError, TypeError, ValueError):
            continue  # a malformed citation is dropped, the answer still goes out
    return out


def _already_quoted(answer_text: str, citation: dict[str, Any]) -> bool:
    """The service's answer often quotes its first source; the text reply then gives only its link."""
    folded = " ".join(answer_text.split())
    body = citation["snippet"].rstrip("…")
    middle = body[len(body) // 3: len(body) // 3 + 40]
    return len(middle) >= 20 and middle in folded


def reply(answer: dict[str, Any], base: str, lang: Lang) -> tuple[str, dict[str, Any]]:
    """The answer as (text for every channel, card payload for the web page)."""
    cites = citations(answer, base)
    answer_text = str(answer.get("answer", "")).strip()
    lines = [answer_text]
    if cites:
        lines.append("")
        lines.append("Sources:" if lang == "en" else "Nguồn:")
        line_word = "lines" if lang == "en" else "dòng"
        for i, c in enumerate(cites, 1):
            where = f" — {c['section']}" if c["section"] else ""
            quote = "" if _already_quoted(answer_text, c) else f" “{c['snippet']}”"
            lines.append(f"[{i}] {c['title']}{where} ({line_word} {c['line_start']}–{c['line_end']}):{quote} {c['url']}")
    payload = {
        "type": "answer",
        "answer": str(answer.get("answer", "")),
        "answered": bool(answer.get("answered")),
        "kind": answer.get("kind"),
        "plan": answer.get("plan"),
        "lang": lang,
        "citations": cites,
    }
    return "\n".join(lines), payload
