"""The language component: the `lang` entity that fills the slot choosing each reply's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from components.language import LanguageDetector, detect_lang
from rasa.shared.nlu.training_data.message import Message

BOT = Path(__file__).resolve().parents[2] / "bot"


@pytest.mark.parametrize(("text", "lang"), [
    ("Ai chủ trì hóa đơn điện tử?", "vi"),
    ("ai chu tri hoa don dien tu", "vi"),
    ("Which agency leads e-invoicing in Phu Tho?", "en"),
    ("Who leads the rollout of the 'Công dân số Phú Thọ' app?", "en"),  # a quoted name does not count
    ("Ai chủ trì ứng dụng 'Công dân số Phú Thọ'?", "vi"),
    ("ai chu tri 'Cong dan so'", "vi"),
    ("hello", "en"),
    ("xin chao", "vi"),
    ("start over", "en"),
])
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


class TestLanguageDetector:
    def test_one_lang_entity_spanning_the_message(self):
        message = Message({"text": "Who leads e-invoicing in Phu Tho?",
                           "entities": [{"entity": "province", "value": "Phú Thọ", "start": 25, "end": 32}]})
        [out] = LanguageDetector().process([message])
        entities = out.get("entities")
        assert entities[0]["entity"] == "province"  # what the extractors before it found is kept
        [lang] = [e for e in entities if e["entity"] == "lang"]
        assert (lang["value"], lang["start"], lang["end"]) == ("en", 0, len(message.get("text")))
        assert lang["extractor"] == "LanguageDetector"
        assert "entities" in out.as_dict(only_output_properties=True)

    def test_empty_message_gets_nothing(self):
        [out] = LanguageDetector().process([Message({"text": "  "})])
        assert not out.get("entities")

    def test_domain_slot_maps_from_the_entity_without_an_action(self):
        domain = yaml.safe_load((BOT / "domain.yml").read_text(encoding="utf-8"))
        assert domain["slots"]["lang"]["mappings"] == [{"type": "from_entity", "entity": "lang"}]
        # the entity only fills the slot: the policies do not see it
        assert {"lang": {"influence_conversation": False}} in domain["entities"]
        config = yaml.safe_load((BOT / "config.yml").read_text(encoding="utf-8"))
        assert "components.language.LanguageDetector" in [c["name"] for c in config["pipeline"]]
