"""Hypothesis strategies for hostile input, shared by the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

INJECTIONS = [
    "'; DROP TABLE plans; --", "\" OR 1=1 --", "1; SELECT * FROM sqlite_master", "' UNION SELECT NULL--",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "</textarea><svg/onload=1>",
    "{{7*7}}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{% for x in y %}", "${jndi:ldap://x/a}", "__proto__",
    "../../etc/passwd", "..\\..\\windows\\win.ini", "%00", "\x00", "$(reboot)", "`id`", "| cat /etc/passwd",
    "Ai chủ trì phổ cập hóa đơn điện tử?", "ai chu tri hoa don dien tu", "Who leads e-invoices?",
]
CONTROL = st.sampled_from([chr(c) for c in [*range(0, 32), *range(127, 160)]]
                          + ["\u200b", "\u200f", "\u202e", "\u2066", "\ufeff", "\ufffe", "\uffff"])
ANY_CHAR = st.characters(exclude_categories=())          # surrogates and unassigned code points too
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.lists(st.one_of(st.sampled_from(INJECTIONS), CONTROL, st.text(max_size=10)), max_size=8).map("".join),
    st.sampled_from(INJECTIONS),
)
HUGE = st.tuples(st.sampled_from(["a", "ệ", "<b>", "\x00", "ừ "]), st.integers(2001, 100_000)).map(
    lambda t: (t[0] * (t[1] // len(t[0]) + 1))[:t[1]])
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_ANY = st.recursive(JSON_LEAF, lambda c: st.lists(c, max_size=4) | st.dictionaries(TEXT, c, max_size=4),
                        max_leaves=20)


def _deep(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


DEEP = st.tuples(st.integers(50, 100_000), st.sampled_from(["list", "dict"])).map(lambda t: _deep(*t))
