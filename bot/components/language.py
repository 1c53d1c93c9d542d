"""The message's language as an NLU entity, so the `lang` slot is filled inside Rasa.

Every reply has an English variant chosen by the `lang` slot (bot/domain.yml).  The slot used to
be filled by a custom action after every user message, one more HTTP round trip to the action
server per message; here the NLU pipeline adds a `lang` entity ("vi" or "en") spanning the
message, and the slot maps from it (`from_entity`), which Rasa does in-process.

Used from bot/config.yml as `components.language.LanguageDetector`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

Lang = Literal["vi", "en"]
LANG_ENTITY = "lang"

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


# A quoted name ("the 'Công dân số Phú Thọ' app") says nothing about the asker's language.
_QUOTED = re.compile(r"[\'\"‘“][^\'\"’”]{2,80}[\'\"’”]")


def detect_lang(text: str) -> Lang:
    """'vi' for Vietnamese with or without diacritics, 'en' for English; quoted names do not
    count."""
    lowered = _QUOTED.sub(" ", unicodedata.normalize("NFC", text or "")).lower()
    if any(ch in _VI_LETTERS for ch in lowered):
        return "vi"
    words = re.findall(r"[a-z']+", lowered)
    en = sum(w in _EN_WORDS for w in words)
    vi = sum(w in _VI_WORDS for w in words)
    return "en" if en > vi else "vi"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds one `lang` entity covering the whole message; nothing for an empty message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip():
                continue
            entity = {"entity": LANG_ENTITY, "value": detect_lang(text), "start": 0, "end": len(text),
                      "confidence": 1.0}
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name([entity]),
                        add_to_output=True)
        return messages
