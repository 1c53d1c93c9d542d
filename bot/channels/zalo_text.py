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


def _split_long(piece: str, limit: int) -> list[str]:
    """A piece over the limit: cut between sentences; a single sentence longer than the
    limit (a table row, a URL list) is cut between words as a last resort."""
    out: list[str] = []
    current = ""
    for sentence in split_sentences(piece):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:cut].rstrip())
            sentence = sentence[cut:].lstrip()
        if not current:
            current = sentence
        elif len(current) + 1 + len(sentence) <= limit:
            current = f"{current} {sentence}"
        else:
            out.append(current)
            current = sentence
    if current:
        out.append(current)
    return out


def pack_messages(pieces: Iterable[str], limit: int = TEXT_LIMIT, sep: str = "\n\n") -> list[str]:
    """Join pieces (paragraphs, the citation block) into as few messages of at most
    ``limit`` characters as possible, keeping their order; a piece is only split (at
    sentence boundaries) when it cannot fit in a message of its own."""
    messages: list[str] = []
    current = ""
    for raw in pieces:
        piece = raw.strip()
        if not piece:
            continue
        parts = [piece] if len(piece) <= limit else _split_long(piece, limit)
        for part in parts:
            if not current:
                current = part
            elif len(current) + len(sep) + len(part) <= limit:
                current = f"{current}{sep}{part}"
            else:
                messages.append(current)
                current = part
    if current:
        messages.append(current)
    return messages


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


