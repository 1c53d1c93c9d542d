"""The reply built from an /ask answer (text for every channel, a card payload for the web
page) and the polarity of feedback.  The message's language is detected in the NLU pipeline
(bot/components/language.py) and reaches the actions as the `lang` slot."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal
from urllib.parse import quote

Lang = Literal["vi", "en"]

MAX_CITATIONS = 3
MAX_SNIPPET = 300

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
