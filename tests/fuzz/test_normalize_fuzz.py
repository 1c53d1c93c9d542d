"""The normalizer on any string (retrieval/normalize.py): total, and its invariants hold."""

from __future__ import annotations

import unicodedata

from fuzz_strategies import ANY_CHAR, TEXT
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.normalize import fold, fold_tokens, is_noise, nfc, normalize_lines, strip_accents

ANY = st.one_of(TEXT, st.text(ANY_CHAR, max_size=500), st.text(max_size=2000))
FAST = settings(max_examples=200, deadline=None)


@FAST
@given(ANY)
def test_nfc_is_idempotent_and_drops_controls(text):
    out = nfc(text)
    assert nfc(out) == out
    assert not any(c in out for c in "\x00\x01\x1f\x7f\u200b\ufeff")


@FAST
@given(ANY)
def test_fold_is_idempotent_lowercase_and_unaccented(text):
    out = fold(text)
    assert fold(out) == out
    assert out == out.strip() and "  " not in out
    assert not any(unicodedata.combining(c) for c in out)
    assert "đ" not in out and "Đ" not in out
    assert fold_tokens(text) == out.split()


@FAST
@given(ANY)
def test_strip_accents_keeps_base_letters(text):
    out = strip_accents(text)
    assert not any(unicodedata.combining(c) for c in out)


@FAST
@given(st.lists(ANY, max_size=20))
def test_normalize_lines_keeps_every_line_number(lines):
    raw = "\n".join(lines)
    out = normalize_lines(raw)
    assert [ln.number for ln in out] == list(range(1, len(raw.splitlines()) + 1))
    for ln in out:
        assert ln.text == ln.text.rstrip() and ln.folded == fold(ln.text)
        assert isinstance(is_noise(ln.text), bool)


def test_vietnamese_examples_still_fold():
    assert fold("Sở <b>Y tế</b> {{7*7}}") == "so b y te b 7 7"
    assert fold("'; DROP TABLE x; --") == "drop table x"
