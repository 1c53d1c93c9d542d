"""The source viewer page: a plan's text with line numbers, its sections, and the cited lines
highlighted and scrolled into view.  Every value that reaches the page goes through
html.escape; the only script is a fixed one-liner allowed by a per-response CSP nonce."""

from __future__ import annotations

import re
import unicodedata
from html import escape
from string import Template

# Headings as these plans print them: roman-numbered parts, appendices, arabic-numbered
# subsections (short lines only: long "1. ..." lines are list items of running text).
_PART = re.compile(r"^(?:[IVXL]{1,6}\.|PHẦN\s+[IVXL\d]+|PHỤ LỤC|Phụ lục)(?:\s|$)")
_SUB = re.compile(r"^\d{1,2}\.\s+\S")
_SUB_MAX = 90

_PAGE = Template("""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="icon" href="data:,">
<style nonce="$nonce">
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1b1b;background:#fafafa}
header{padding:12px 20px;background:#0b4f8a;color:#fff;position:sticky;top:0;z-index:2}
header h1{font-size:18px;margin:0 0 4px}
header p{margin:0;font-size:13px;opacity:.9}
header a{color:#fff}
.wrap{display:flex;gap:16px;padding:12px 20px}
nav{flex:0 0 260px;font-size:13px;max-height:calc(100vh - 110px);overflow:auto;position:sticky;top:90px}
nav h2{font-size:14px;margin:4px 0}
nav ol{list-style:none;padding:0;margin:0}
nav li.sub{padding-left:14px}
nav a{color:#0b4f8a;text-decoration:none}
main{flex:1;min-width:0;background:#fff;border:1px solid #ddd;border-radius:6px;overflow:auto}
.ln{display:flex;white-space:pre-wrap;word-break:break-word;font-size:14px;line-height:1.55}
.ln .no{flex:0 0 56px;text-align:right;padding-right:10px;color:#999;user-select:none;text-decoration:none;font:12px/1.8 ui-monospace,Menlo,Consolas,monospace}
.ln .tx{flex:1;padding-right:8px}
.ln.h{font-weight:700}
.ln.hl{background:#fff3b0}
.ln.hl .no{color:#7a5b00;font-weight:700}
.ln:target{outline:2px solid #0b4f8a}
@media (max-width:800px){nav{display:none}}
</style>
</head>
<body>
<header>
<h1>$heading</h1>
<p>$meta$cited</p>
</header>
<div class="wrap">
<nav aria-label="Mục lục"><h2>Mục lục</h2><ol>$toc</ol></nav>
<main id="van-ban">
$body
</main>
</div>
$script
</body>
</html>
""")


def render(meta: dict, lines: list[str], start: int | None, end: int | None, nonce: str) -> str:
    """HTML for one plan; `start`..`end` (1-based, inclusive) are highlighted when given."""
    toc: list[str] = []
    rows: list[str] = []
    for number, raw in enumerate(lines, 1):
        # NFC for display only: the stored files mix decomposed accents, which fonts render apart.
        text = unicodedata.normalize("NFC", raw.rstrip())
        stripped = text.strip()
        level = ""
        if _PART.match(stripped):
            level = "part"
        elif _SUB.match(stripped) and len(stripped) <= _SUB_MAX:
            level = "sub"
        classes = ["ln"]
        if level:
            classes.append("h")
            toc.append(f'<li class="{level}"><a href="#L{number}">{escape(stripped[:100])}</a></li>')
        if start is not None and end is not None and start <= number <= end:
            classes.append("hl")
        rows.append(f'<div class="{" ".join(classes)}" id="L{number}">'
                    f'<a class="no" href="#L{number}">{number}</a><span class="tx">{escape(text)}</span></div>')
    title = meta.get("title") or meta.get("id", "")
    cited = ""
    script = ""
    if start is not None and end is not None:
        span = f"{start}" if start == end else f"{start}–{end}"
        cited = f' · <a href="#L{start}">Đoạn trích dẫn: dòng {span}</a>'
        # start is an int we parsed, never user text.
        script = (f'<script nonce="{escape(nonce)}">if(!location.hash){{var e=document.getElementById("L{int(start)}");'
                  f'if(e)e.scrollIntoView({{block:"center"}});}}</script>')
    details = [meta.get("province"), meta.get("period"), meta.get("number")]
    meta_line = " · ".join(escape(str(d)) for d in details if d)
    page_title = title if start is None else f"{title} — dòng {start}–{end}"
    return _PAGE.substitute(
        title=escape(page_title), heading=escape(title), meta=meta_line or escape(str(meta.get("id", ""))),
        cited=cited, toc="".join(toc) or "<li>(không nhận ra mục nào)</li>", body="\n".join(rows),
        script=script, nonce=escape(nonce))
