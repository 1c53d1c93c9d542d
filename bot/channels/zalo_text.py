"""Turning a bot turn (answer paragraphs + citations) into as few Zalo text messages as
the length limit allows.  Pure functions, no Rasa import."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TEXT_LIMIT = 2000
SNIPPET_CHARS = 200


_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


def _greedy_join(parts: Iterable[str], limit: int, sep: str) -> list[str]:
    """Consecutive parts joined with `sep` as long as the result stays within `limit`."""
    out: list[str] = []
    current = ""
    for part in parts:
        if not current:
            current = part
        elif len(current) + len(sep) + len(part) <= limit:
            current = f"{current}{sep}{part}"
        else:
            out.append(current)
            current = part
    if current:
        out.append(current)
    return out


def _word_cuts(sentence: str, limit: int) -> Iterable[str]:
    """A sentence longer than the limit (a table row, a URL list) cut between words."""
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit)
        cut = cut if cut > 0 else limit
        yield sentence[:cut].rstrip()
        sentence = sentence[cut:].lstrip()
    if sentence:
        yield sentence


def _split_long(piece: str, limit: int) -> list[str]:
    """A piece over the limit: cut between sentences, and between words only inside a
    sentence that is itself over the limit."""
    return _greedy_join((cut for s in split_sentences(piece) for cut in _word_cuts(s, limit)), limit, " ")


def pack_messages(pieces: Iterable[str], limit: int = TEXT_LIMIT, sep: str = "\n\n") -> list[str]:
    """Join pieces (paragraphs, the citation block) into as few messages of at most
    ``limit`` characters as possible, keeping their order; a piece is only split (at
    sentence boundaries) when it cannot fit in a message of its own."""
    parts = []
    for raw in pieces:
        piece = raw.strip()
        if piece:
            parts.extend([piece] if len(piece) <= limit else _split_long(piece, limit))
    return _greedy_join(parts, limit, sep)


def citation_url(citation: dict[str, Any], source_base_url: str) -> str:
    if citation.get("url"):
        url = str(citation["url"])
        return url if url.startswith("http") else source_base_url.rstrip("/") + "/" + url.lstrip("/")
    return (f"{source_base_url.rstrip('/')}/plans/{citation.get('plan', '')}/view"
            f"?lines={citation.get('line_start', '')}-{citation.get('line_end', '')}")


def render_citations(citations: list[dict[str, Any]], source_base_url: str) -> str:
    """Citations as short text: title, section, a quoted snippet, the source-viewer link."""
    lines = ["Nguồn:"]
    for i, c in enumerate(citations, 1):
        snippet = " ".join(str(c.get("snippet") or c.get("text") or "").split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
        head = " — ".join(x for x in (str(c.get("title", "")).strip(), str(c.get("section", "")).strip()) if x)
        quote = f": “{snippet}”" if snippet else ""
        lines.append(f"[{i}] {head}{quote} {citation_url(c, source_base_url)}")
    return "\n".join(lines)


def citations_of(custom: Any) -> list[dict[str, Any]]:
    """The citation list inside a custom payload, wherever the action put it
    (socket.io needs custom payloads wrapped in ``{"data": ...}``)."""
    if not isinstance(custom, dict):
        return []
    for candidate in (custom, custom.get("data"), custom.get("payload")):
        if isinstance(candidate, dict) and isinstance(candidate.get("citations"), list):
            return [c for c in candidate["citations"] if isinstance(c, dict)]
    return []


def render_bot_messages(messages: list[dict[str, Any]], source_base_url: str) -> list[str]:
    """Rasa's collected bot messages → text pieces for packing (texts, then citations)."""
    pieces: list[str] = []
    for m in messages:
        if m.get("text"):
            pieces.extend(p for p in str(m["text"]).split("\n\n") if p.strip())
        for button in m.get("buttons") or []:
            if button.get("title"):
                pieces.append(f"• {button['title']}")
        citations = citations_of(m.get("custom"))
        if citations:
            pieces.append(render_citations(citations, source_base_url))
    seen: set[str] = set()
    return [p for p in pieces if not (p in seen or seen.add(p))]


