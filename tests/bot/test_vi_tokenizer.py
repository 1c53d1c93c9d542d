"""The underthesea tokenizer component: words, offsets, and its place in the NLU pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from components.vi_tokenizer import VietnameseTokenizer, segment
from rasa.shared.nlu.training_data.message import Message

BOT = Path(__file__).resolve().parents[2] / "bot"


@pytest.fixture(scope="module")
def tokenizer() -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def tokens(tokenizer: VietnameseTokenizer, text: str) -> list[tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in tokenizer.tokenize(Message({"text": text}), "text")]


class TestVietnameseTokenizer:
    def test_compounds_joined_with_underscore(self, tokenizer):
        words = [w for w, _, _ in tokens(tokenizer, "Cục Thuế tỉnh Phú Thọ chủ trì thúc đẩy hóa đơn điện tử")]
        assert "Phú_Thọ" in words and "chủ_trì" in words and any("điện_tử" in w for w in words)
        assert all(" " not in w for w in words)

    def test_lemma_folded_for_the_featurizers(self, tokenizer):
        # the count vectors read lemmas: accented and unaccented spellings share features
        toks = tokenizer.tokenize(Message({"text": "Hóa đơn điện tử ở Đắk Lắk"}), "text")
        assert all(t.lemma == t.lemma.lower() and t.lemma.isascii() for t in toks)
        assert any(t.text != t.lemma for t in toks)  # the text keeps its diacritics
        plain = tokenizer.tokenize(Message({"text": "hoa don dien tu o dak lak"}), "text")
        assert {t.lemma for t in plain} <= {part for t in toks for part in t.lemma.split("_")}

    def test_offsets_cover_the_original_text(self, tokenizer):
        text = "Ở Vĩnh Phúc thì ai chủ trì?"
        for word, start, end in tokens(tokenizer, text):
            assert text[start:end].replace(" ", "_") == word

    def test_punctuation_and_emoticons_dropped(self, tokenizer):
        assert [w for w, _, _ in tokens(tokenizer, "xin chào :) ???")] == ["xin", "chào"]

    def test_unaccented_and_english_kept_as_syllables(self, tokenizer):
        # underthesea glues unaccented words across boundaries ("gia_lai_la"); syllables stay apart.
        assert [w for w, _, _ in tokens(tokenizer, "chi tieu cua gia lai la bao nhieu")] == [
            "chi", "tieu", "cua", "gia", "lai", "la", "bao", "nhieu"]
        assert [w for w, _, _ in tokens(tokenizer, "Who signed Gia Lai's plan?")] == [
            "Who", "signed", "Gia", "Lai", "s", "plan"]

    def test_codes_and_ranges_stay_whole(self):
        words = [w for w, _, _ in segment("giai doan 2022-2025 so 12535/KH-UBND")]
        assert "2022-2025" in words and "12535/KH-UBND" in words

    def test_split_compounds_option(self):
        words = [w for w, _, _ in segment("chủ trì hóa đơn điện tử", split_compounds=True)]
        assert words == ["chủ", "trì", "hóa", "đơn", "điện", "tử"]

    def test_only_punctuation_becomes_one_token(self, tokenizer):
        assert [w for w, _, _ in tokens(tokenizer, "???")] == ["???"]

    def test_training_entities_align_with_tokens(self, tokenizer):
        """Every annotated entity in bot/data starts and ends on a token boundary."""
        from rasa.shared.nlu.training_data.loading import load_data

        misaligned = []
        for message in load_data(str(BOT / "data" / "nlu.yml")).training_examples:
            spans = tokenizer.tokenize(message, "text")
            starts, ends = {t.start for t in spans}, {t.end for t in spans}
            for e in message.get("entities") or []:
                if e["start"] not in starts or e["end"] not in ends:
                    misaligned.append((message.get("text"), e["value"]))
        assert misaligned == []

    def test_registered_in_the_pipeline(self):
        config = yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))
        names = [c["name"] for c in config["pipeline"]]
        assert names[0] == "components.vi_tokenizer.VietnameseTokenizer"
        assert {"CountVectorsFeaturizer", "DIETClassifier", "EntitySynonymMapper", "FallbackClassifier"} <= set(names)
        analyzers = {c.get("analyzer") for c in config["pipeline"] if c["name"] == "CountVectorsFeaturizer"}
        assert analyzers == {"word", "char_wb"}
