"""Vietnamese word segmentation for Rasa NLU.

Vietnamese writes one syllable per space-separated unit, so whitespace splits "hóa đơn điện tử"
into four meaningless halves.  underthesea groups syllables into words; each word becomes one
token whose text joins its syllables with "_" ("hóa_đơn", "điện_tử") while its start/end span
the original characters, so entity annotations still line up with the message text.

Used from bot/config.yml as `components.vi_tokenizer.VietnameseTokenizer`; Rasa runs with
bot/ as its working directory, which is what makes the `components` package importable.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

# A syllable worth keeping has at least one letter or digit; ":)", "?" and "/" do not.
_WORDLIKE = regex.compile(r"[\p{L}\p{N}]")
_EDGE_PUNCT = regex.compile(r"^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$")
_SYLLABLE = regex.compile(r"[\p{L}\p{N}]+(?:[-.,/][\p{L}\p{N}]+)*")
# Letters outside ASCII that Vietnamese spelling uses; without any, the text is unaccented
# Vietnamese or English, where underthesea's model (trained on accented text) glues words
# across boundaries ("gia_lai_la", "of_phu_tho"), so syllables are kept apart instead.
_ACCENTED = regex.compile(r"[à-ỹÀ-ỸđĐ]")


def _syllables(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _SYLLABLE.finditer(text)]


def fold(word: str) -> str:
    """Lower case without diacritics ("Hóa_Đơn" -> "hoa_don")."""
    word = unicodedata.normalize("NFD", word.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in word if unicodedata.category(c) != "Mn").lower()


def segment(text: str, *, split_compounds: bool = False) -> list[tuple[str, int, int]]:
    """Split `text` into (word, start, end): syllables joined with "_", offsets into `text`.

    Pure function so the component and its tests share one definition.
    """
    if not _ACCENTED.search(text):
        return _syllables(text)
    from underthesea import word_tokenize  # heavy import, deferred to first use

    words: list[tuple[str, int, int]] = []
    cursor = 0
    for chunk in word_tokenize(text, use_token_normalize=False):
        syllables = []
        for raw in chunk.split():
            syllable = _EDGE_PUNCT.sub("", raw)
            if not syllable or not _WORDLIKE.search(syllable):
                continue
            at = text.find(syllable, cursor)
            if at < 0:  # underthesea changed the characters; skip rather than misplace a span
                continue
            syllables.append((syllable, at))
            cursor = at + len(syllable)
        if not syllables:
            continue
        if split_compounds:
            words.extend((s, at, at + len(s)) for s, at in syllables)
        else:
            joined = "_".join(s for s, _ in syllables)
            last, last_at = syllables[-1]
            words.append((joined, syllables[0][1], last_at + len(last)))
    return words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Tokenizer backed by underthesea's word segmenter."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # One token per syllable instead of per word (an ablation switch; off by default).
            "split_compounds": False,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        split = bool(self._config.get("split_compounds", False))
        tokens = []
        for word, start, end in segment(text, split_compounds=split):
            # The span covers the original characters, spaces between syllables included.  The
            # lemma (what the count-vector featurizers read) is folded, so "hóa_đơn" and a
            # user's unaccented "hoa_don" share features; the text keeps its diacritics.
            word = unicodedata.normalize("NFC", word)
            tokens.append(Token(word, start, end, lemma=fold(word)))
        if not tokens and text.strip():
            tokens = [Token(text.strip(), text.find(text.strip()))]
        return self._apply_token_pattern(tokens)
