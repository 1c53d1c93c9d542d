"""Request and response models of the HTTP API, shared with the CLI.

Response models are *derived* from the dataclasses in retrieval/models.py (field names, types
and defaults come from there), so the API cannot drift from the records the engine returns.
Request models clean their text (NFC, control characters and lone surrogates removed) so bad
bytes never reach the engine; limits that depend on Settings are checked by `enforce()`.
"""

from __future__ import annotations

import dataclasses
import re
import typing
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from retrieval.config import Settings
from retrieval.models import Answer, Citation, Passage, PlanMeta, TaskRecord

from .errors import ServiceError

__all__ = [
    "AnswerOut", "AskRequest", "CitationOut", "HealthOut", "HitOut", "PlanDetailOut", "PlanOut",
    "PlansOut", "ReadyOut", "RebuildOut", "SearchOut", "SearchRequest", "TaskRecordOut", "UploadOut",
    "clean_text", "view_url",
]

# C0/C1 controls except tab and newline, plus lone surrogates (valid JSON "\ud800" escapes that
# would crash any later .encode("utf-8")) and the zero-width/bidi marks copy-paste drags along.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t\r\n]+")


def clean_text(text: str) -> str:
    """NFC, control characters dropped, whitespace runs collapsed, stripped."""
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def view_url(base_url: str, plan: str, line_start: int, line_end: int) -> str:
    return f"{base_url.rstrip('/')}/plans/{plan}/view?lines={line_start}-{line_end}"


# ---------------------------------------------------------------------------------- responses

def _from_dataclass(dc: type, name: str, *, exclude: tuple[str, ...] = (),
                    override: dict[str, Any] | None = None, add: dict[str, Any] | None = None,
                    example: dict | None = None, doc: str | None = None) -> type[BaseModel]:
    """A pydantic model with the dataclass's fields (types resolved from its annotations)."""
    if doc is None and dc.__doc__ and not dc.__doc__.startswith(f"{dc.__name__}("):
        doc = dc.__doc__
    hints = typing.get_type_hints(dc)
    override = override or {}
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(dc):
        if f.name in exclude:
            continue
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (override.get(f.name, hints[f.name]), default)
    fields.update(add or {})
    config = ConfigDict(json_schema_extra={"examples": [example]} if example else None)
    return create_model(name, __config__=config, __doc__=doc, **fields)


_CITATION_EXAMPLE = {
    "plan": "phu-tho-2022",
    "title": "Kế hoạch Chuyển đổi số tỉnh Phú Thọ năm 2022",
    "section": "II. NHIỆM VỤ, GIẢI PHÁP > 3. Phát triển kinh tế số",
    "line_start": 597,
    "line_end": 600,
    "text": "Cục Thuế tỉnh chủ trì, phối hợp với Sở Thông tin và Truyền thông và các cơ quan liên quan "
            "thúc đẩy việc sử dụng hóa đơn điện tử",
    "score": 0.8731,
    "url": "http://127.0.0.1:8000/plans/phu-tho-2022/view?lines=597-600",
}

PlanOut = _from_dataclass(PlanMeta, "PlanOut", example={
    "id": "phu-tho-2022", "title": "Kế hoạch Chuyển đổi số tỉnh Phú Thọ năm 2022",
    "province": "Phú Thọ", "period": "2022", "year": 2022, "number": None,
    "signer": "Bùi Văn Quang", "ocr": False, "path": "phu-tho-2022.txt"})

TaskRecordOut = _from_dataclass(TaskRecord, "TaskRecordOut", add={"id": (str, ...)}, example={
    "id": "3f2a9c0d1b7e4a55", "plan": "phu-tho-2022",
    "task": "Thúc đẩy việc sử dụng hóa đơn điện tử",
    "lead": "Cục Thuế tỉnh", "cooperating": ["Sở Thông tin và Truyền thông"],
    "deadline": "Năm 2022", "result": None, "budget": None,
    "section": "II. NHIỆM VỤ, GIẢI PHÁP", "line_start": 597, "line_end": 600,
    "source": "narrative", "raw": ""})

CitationOut = _from_dataclass(
    Citation, "CitationOut",
    add={"url": (str | None, Field(None, description="Trang xem văn bản gốc, tô sáng các dòng trích dẫn"))},
    example=_CITATION_EXAMPLE, doc="Một trích dẫn: kế hoạch, mục, các dòng và đoạn văn bản gốc.")

AnswerOut = _from_dataclass(
    Answer, "AnswerOut", override={"citations": list[CitationOut]},  # type: ignore[valid-type]
    doc="Câu trả lời kèm trích dẫn (hợp đồng dùng chung cho mọi kênh).",
    example={
        "answer": "Cục Thuế tỉnh chủ trì, phối hợp với Sở Thông tin và Truyền thông và các cơ quan "
                  "liên quan thúc đẩy việc sử dụng hóa đơn điện tử.",
        "answered": True, "kind": "lead", "plan": "phu-tho-2022",
        "citations": [_CITATION_EXAMPLE], "records": [], "lang": "vi"})

HitOut = _from_dataclass(
    Passage, "HitOut", exclude=("folded", "record"), doc="Một đoạn văn bản tìm được, kèm điểm xếp hạng.",
    add={"id": (str, ...), "score": (float, ...), "scores": (dict[str, float], Field(default_factory=dict)),
         "url": (str | None, None)},
    example={**_CITATION_EXAMPLE, "id": "9b1c2d3e4f5a6b7c", "kind": "text", "header": "",
             "scores": {"bm25": 12.4, "dense": 0.86}})


def answer_out(answer: Answer, base_url: str | None = None) -> dict:
    """The /ask body: the Answer contract plus a viewer link on every citation."""
    body = answer.to_dict()
    for c in body["citations"]:
        c["url"] = view_url(base_url, c["plan"], c["line_start"], c["line_end"]) if base_url else None
    return body


def hit_out(hit: Any, base_url: str | None = None) -> dict:
    p = hit.passage
    body = {k: v for k, v in dataclasses.asdict(p).items() if k in HitOut.model_fields}
    body.update(
        id=p.id, score=round(float(hit.score), 4),
        scores={k: round(float(v), 4) for k, v in (hit.scores or {}).items()},
        url=view_url(base_url, p.plan, p.line_start, p.line_end) if base_url else None)
    return body


class SearchOut(BaseModel):
    query: str
    plan: str | None
    hits: list[HitOut]  # type: ignore[valid-type]


class PlansOut(BaseModel):
    count: int
    plans: list[PlanOut]  # type: ignore[valid-type]


class PlanDetailOut(BaseModel):
    plan: PlanOut  # type: ignore[valid-type]
    lines: int = Field(description="số dòng của văn bản")
    view_url: str
    records: list[TaskRecordOut]  # type: ignore[valid-type]


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class RebuildOut(BaseModel):
    status: Literal["idle", "running", "done", "failed"]
    reason: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    index_dir: str | None = None
    generation: int = Field(0, description="tăng mỗi lần chỉ mục mới được đưa vào phục vụ")
    pending: bool = False


class ReadyOut(BaseModel):
    status: Literal["ready", "loading", "failed"]
    plans: int = 0
    manifest: dict = Field(default_factory=dict)
    error: str | None = None
    rebuild: RebuildOut | None = None


class UploadOut(BaseModel):
    plan: PlanOut  # type: ignore[valid-type]
    file: str
    chars: int
    lines: int
    rebuild: RebuildOut


# ----------------------------------------------------------------------------------- requests

def _required_text(code: str, message: str):
    """A field validator: the text cleaned, refused as `code` (errors.py words it) if nothing is left."""
    def check(cls, v: str) -> str:
        v = clean_text(v)
        if not v:
            raise PydanticCustomError(code, message)
        return v
    return classmethod(check)


def _check_length(text: str, limit: int, code: str, what_vi: str, what_en: str) -> None:
    """422 `code` when `text` is over `limit` characters, naming the length and the limit."""
    if len(text) > limit:
        raise ServiceError(
            422, code,
            f"{what_vi} quá dài ({len(text)} ký tự). Vui lòng rút gọn, tối đa {limit} ký tự.",
            f"{what_en} is too long ({len(text)} characters; the limit is {limit}).")


class AskRequest(BaseModel):
    """A question about the plans, with the previous turns of the conversation."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "Ai chủ trì thúc đẩy sử dụng hóa đơn điện tử trong kế hoạch chuyển đổi số "
                     "Phú Thọ năm 2022?", "history": [], "plan": None},
        {"question": "Còn việc kết nối với Cơ sở dữ liệu quốc gia về dân cư thì sao?",
         "history": ["Kế hoạch chuyển đổi số Phú Thọ 2022 có những mục tiêu gì?"],
         "plan": "phu-tho-2022"},
    ]})

    question: str = Field(description="Câu hỏi (tiếng Việt có dấu, không dấu hoặc tiếng Anh)")
    history: list[str] = Field(default_factory=list, description="Các lượt hỏi trước, cũ nhất trước")
    plan: str | None = Field(None, description="Mã kế hoạch (xem GET /plans); bỏ trống để tìm trong mọi kế hoạch")

    _question = field_validator("question")(_required_text("empty_question", "The question must not be empty."))

    @field_validator("history")
    @classmethod
    def _history(cls, v: list[str]) -> list[str]:
        return [t for t in (clean_text(x) for x in v) if t]

    @field_validator("plan")
    @classmethod
    def _plan(cls, v: str | None) -> str | None:
        return clean_text(v) or None if v is not None else None

    def enforce(self, settings: Settings) -> AskRequest:
        """Limits that come from Settings; raises ServiceError (422) naming the limit."""
        limit = settings.max_question_chars
        _check_length(self.question, limit, "question_too_long", "Câu hỏi", "The question")
        if len(self.history) > settings.max_history_turns:
            raise ServiceError(
                422, "history_too_long",
                f"Lịch sử hội thoại quá dài ({len(self.history)} lượt). Tối đa "
                f"{settings.max_history_turns} lượt.",
                f"The history has {len(self.history)} turns; the limit is {settings.max_history_turns}.")
        if any(len(t) > limit for t in self.history):
            raise ServiceError(
                422, "history_turn_too_long",
                f"Một lượt trong lịch sử hội thoại dài quá {limit} ký tự.",
                f"A history turn is longer than {limit} characters.")
        return self


class SearchRequest(BaseModel):
    """A passage search over the plans."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"query": "hóa đơn điện tử", "plan": "phu-tho-2022", "k": 5},
        {"query": "nền tảng du lịch số", "plan": None, "k": 3},
    ]})

    query: str = Field(description="Nội dung cần tìm")
    plan: str | None = Field(None, description="Mã kế hoạch; bỏ trống để tìm trong mọi kế hoạch")
    k: int = Field(5, ge=1, le=50, description="Số đoạn trả về")

    _query = field_validator("query")(_required_text("empty_query", "The search query must not be empty."))

    _plan = field_validator("plan")(AskRequest._plan.__func__)  # type: ignore[attr-defined]

    def enforce(self, settings: Settings) -> SearchRequest:
        _check_length(self.query, settings.max_question_chars, "query_too_long", "Nội dung tìm kiếm", "The query")
        return self
