"""Answers: a question (and its conversation) -> a direct, cited answer, or a decline.

Extractive only: every agency, number and date in a reply is copied from a task record or a
quoted sentence of a plan; when the evidence is weak the reply says what the corpus covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .glossary import expand_abbreviations, expand_english
from .models import Answer, Citation, Hit, TaskRecord
from .normalize import fold
from .ocr_table import find_agencies
from .rerank import folded_text
from .rerank import score as rerank_score
from .structure import ocr_window_record
from .tokenize import QUERY_STOP, query_word_tokens

# --- question analysis ----------------------------------------------------------------

_KIND_CUES: list[tuple[str, tuple[str, ...]]] = [
    ("compare", ("so sanh", "compare", "versus", " vs ", "khac nhau", "difference between")),
    ("aggregate", ("nhung nhiem vu nao", "cac nhiem vu nao", "nhiem vu gi", "nhung viec gi", "which tasks",
                   "what tasks", "liet ke", "list the tasks", "list all")),
    ("cooperate", ("phoi hop voi nhung", "phoi hop voi so nao", "phoi hop voi don vi nao", "phoi hop voi ai",
                   "phoi hop voi co quan nao", "don vi phoi hop", "co quan phoi hop", "works with", "work with",
                   "coordinates with", "coordinate with", "collaborat", "partners with", "partner with",
                   "cooperat", "together with", "in coordination with", "phoi hop voi cac", "phoi hop cung")),
    ("lead", ("ai chu tri", "chu tri", "co quan nao", "don vi nao", "so nao", "ai phu trach", "phu trach",
              "chiu trach nhiem", "giao cho", "la viec cua", "ai theo doi", "who ", "which agency",
              "which department", "which body", "which office", "what agency", "leads", "in charge",
              "responsible", "ai thuc hien", "ai trien khai", "do ai", "ai lam", "co quan thuong truc",
              "standing agency", "standing body", "standing office", "ai dieu phoi", "overall direction")),
    ("budget", ("kinh phi", "bao nhieu tien", "ty dong", "trieu dong", "funding", "budget", "how much money",
                "cost", "von dau tu", "ngan sach")),
    ("deadline", ("bao gio", "khi nao", "thoi han", "han chot", "thoi gian", "ngay nao", "nam nao",
                  "giai doan nao", "by when", "deadline", "when ", "hoan thanh truoc", "trong khoang thoi gian",
                  "tu ngay", "thang nao", "quy nao")),
    ("target", ("bao nhieu", "ty le", "muc tieu", "chi tieu", "phan tram", "%", "what share", "percentage",
                "how many", "target", "muc nao", "dat muc", "ty trong", "toi thieu")),
    ("fact", ("quyet dinh nao", "ai ky", "ky ban hanh", "nguoi ky", "signed", "which decision", "implements",
              "thuc hien quyet dinh", "can cu", "san pham nao", "which products", "which farm", "nghi quyet nao",
              "chi thi nao", "van ban nao", "which resolution", "which directive", "based on", "legal basis")),
]
# phrases that say what kind of fact is wanted, not which task: left out of topic matching
# (a role such as "cơ quan thường trực" asks for a kind of fact and names what is asked: kept)
_ROLE_CUES = {"co quan thuong truc", "standing agency", "standing body", "standing office"}
_CUE_PHRASES = sorted({c.strip() for kind, cues in _KIND_CUES if kind in ("lead", "cooperate", "deadline")
                       for c in cues if len(c.strip()) > 3} - _ROLE_CUES | {
    "chiu trach nhiem", "theo doi danh gia", "theo doi", "hoan thanh", "phai xong", "truoc thoi han",
    "don vi nao", "co quan nao", "so nao", "who is responsible", "what is the deadline"}, key=len, reverse=True)
# in a budget question "kinh phí" only says what is asked (every budget row has it); in
# "cơ quan nào bố trí kinh phí" it is the task
_BUDGET_CUES = ("kinh phi du kien", "du kien bao nhieu", "kinh phi", "bao nhieu tien", "how much funding",
                "how much money", "funding", "budget")


def _by_first_word(phrases: list[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in sorted(phrases, key=len, reverse=True):      # longest first
        out.setdefault(p[0], []).append(p)
    return out


_CUE_WORDS = _by_first_word([tuple(p.split()) for p in _CUE_PHRASES])
_CUE_WORDS_BUDGET = _by_first_word([tuple(p.split()) for p in (*_CUE_PHRASES, *_BUDGET_CUES)])


def without_cues(query: str, kind: str = "") -> str:
    """The question without the phrases that ask for a kind of fact ("ai chủ trì",
    "deadline"): they name no task, and every table row matches them.  The other words
    keep their diacritics (the word-level field needs them)."""
    words = query.split()
    keys = [re.sub(r"[^\w%]", "", fold(w)) for w in words]
    keep = [True] * len(words)
    table = _CUE_WORDS_BUDGET if kind == "budget" else _CUE_WORDS
    i = 0
    while i < len(keys):
        for phrase in table.get(keys[i], ()):
            n = len(phrase)
            if tuple(keys[i:i + n]) == phrase:
                keep[i:i + n] = [False] * n
                i += n - 1
                break
        i += 1
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


def topic_tokens(query: str, drop: set[str], kind: str = "") -> list[str]:
    """Content words of a question once the words asking for a kind of fact are removed."""
    return content_tokens(without_cues(query, kind), drop)


_FOLLOWUP = re.compile(r"^(con|the con|vay con|thi sao|and|what about|how about|and what|also|con ve)\b")
_EN_WORDS = re.compile(r"\b(the|which|who|what|when|how|does|is|of|for|in|and|plan|agency|department)\b", re.I)


def detect_lang(question: str) -> str:
    """'en' or 'vi'.  Vietnamese names quoted in an English question ("the 'Công dân số
    Phú Thọ' app") do not make it Vietnamese: only the words outside quotes count."""
    outside = re.sub(r"[\'\"‘“][^\'\"’”]{2,80}[\'\"’”]", " ", question)
    if re.search(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", outside.lower()):
        return "vi"
    return "en" if len(_EN_WORDS.findall(outside)) >= 2 else "vi"


# word-bounded: "triển khai" holds "ai "; in English "AI" is artificial intelligence
_WHO_CUES = {"vi": (" ai ", " co quan nao ", " so nao ", " don vi nao "), "en": (" who ", " which agency ")}


def detect_kind(question: str) -> str:
    q = f" {fold(question)} "
    q = q.replace(" what s ", " what ")
    if _SIGNER_Q.search(q):
        return "fact"       # "who signed ..." is not a who-leads question
    for kind, cues in _KIND_CUES:
        if kind == "budget" and any(c in q for c in _WHO_CUES[detect_lang(question)]):
            continue        # "cơ quan nào bố trí kinh phí": a who-question about funding
        if any(c in q for c in cues):
            return kind
    return "unknown"


def content_tokens(text: str, drop: set[str]) -> list[str]:
    return [t for t in fold(text).split() if t not in QUERY_STOP and t not in drop and len(t) > 1]


@dataclass
class Turn:
    question: str
    query: str              # what retrieval sees (follow-ups merged with the earlier turn)
    kind: str
    lang: str
    plans: list[str]
    provinces: list[str]
    unknown_province: str | None
    typed: str = ""         # the question as typed (before abbreviations were expanded)


def resolve(engine, question: str, history: list[str], plan: str | None) -> Turn:
    typed = question
    question = expand_abbreviations(question)
    history = [expand_abbreviations(h) for h in history]
    lang = detect_lang(question)
    kind = detect_kind(question)
    found = engine.detect(question)
    q_content = content_tokens(question, _plan_words(engine))
    followup = bool(history) and (bool(_FOLLOWUP.match(fold(question))) or len(q_content) <= 4
                                  or kind == "unknown")
    query = question
    plans = [plan] if plan else found.plans
    if followup:
        prev = history[-1]
        if kind == "unknown":
            kind = detect_kind(prev)
        query = f"{prev} {question}"
        if not plans:
            for turn in reversed(history):
                earlier = engine.detect(turn)
                if earlier.plans:
                    plans = earlier.plans
                    break
        if lang == "vi" and detect_lang(question) == "vi" and detect_lang(prev) == "en" and not re.search(
                r"[^\x00-\x7f]", question):
            lang = detect_lang(question)
    return Turn(question, query, kind, lang, plans, found.provinces, found.unknown_province, typed)


def _plan_words(engine) -> set[str]:
    words = set()
    for m in engine.plans.values():
        words |= set(fold(m.province).split())
    return words | {"tinh", "ke", "hoach", "chuyen", "doi", "so", "cds", "nam", "plan", "digital",
                    "transformation", "province", "provincial"}


# --- evidence ------------------------------------------------------------------------

# a sentence ends at . ; ! ? before a capital (not "À-Ỹ": that range holds lower-case "đ",
# "ơ" ... and cut "...từ ngày 01/6/2022; đối với ... từ ngày 01/12/2022" in two)
_UPPER = "A-ZĐÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸ"
_SENT_SPLIT = re.compile(rf"(?<=[.;!?])\s+(?=[{_UPPER}\-+•0-9])|\n(?=\s*[-+•]|\s*[a-zđ]\)|\s*\d+\.)")
_MONEY = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+\s*(?:triệu|tỷ)")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*%")


def sentences(text: str) -> list[str]:
    flat = re.sub(r"[ \t]*\n[ \t]*", "\n", text.strip())
    parts = _SENT_SPLIT.split(flat)
    return [" ".join(p.split()) for p in parts if p.strip()]


def best_sentence(text: str, query_tokens: list[str], kind: str) -> str:
    best, best_score = "", -1.0
    qs = set(query_tokens)
    for s in sentences(text):
        toks = set(fold(s).split())
        score = len(qs & toks) / (len(qs) or 1)
        if kind == "target" and (_PERCENT.search(s) or re.search(r"\d", s)):
            score += 0.25
        if kind in ("lead", "cooperate") and "chu tri" in fold(s):
            score += 0.2
        if kind == "deadline" and re.search(r"(19|20)\d{2}|tháng|quý", s, re.I):
            score += 0.2
        if kind == "budget" and _MONEY.search(s):
            score += 0.3
        if score > best_score:
            best, best_score = s, score
    return best[:600]


def coverage(query_tokens: list[str], folded_text: str) -> float:
    if not query_tokens:
        return 0.0
    have = set(folded_text.split())
    return sum(t in have for t in query_tokens) / len(query_tokens)


def record_for(engine, hit: Hit, query_tokens: list[str]) -> TaskRecord | None:
    plan = engine.index.corpus.plans[hit.passage.plan]
    p = hit.passage
    if p.record is not None and p.record < len(plan.records):
        return plan.records[p.record]
    if p.kind == "row" and plan.meta.ocr:
        # an OCR table window: read its agencies and date the way OCR rows are read
        table = next((t for t in plan.tables if t.line_start <= p.line_start <= t.line_end), None)
        if table is not None:
            return ocr_window_record(plan, table, p.line_start, p.line_end, engine.index.corpus.gazetteer,
                                     p.section)
    cands = [r for r in plan.records if r.source == "narrative"
             and r.line_start <= p.line_end and r.line_end >= p.line_start]
    if not cands and p.kind == "text" and p.section:
        # "Sở Giáo dục và Đào tạo chủ trì triển khai các nhiệm vụ nêu tại mục 5.2 phần II"
        m = re.match(r"^\s*(\d{1,2}\.\d{1,2})\.?\s", p.section.split(" › ")[-1])
        if m:
            ref = re.compile(rf"\bmục {re.escape(m.group(1))}\b(?!\.\d)")
            cands = [r for r in plan.records if r.source == "narrative" and ref.search(r.raw)]
    if not cands and p.kind == "text" and p.section:
        # "7. Phổ cập hóa đơn điện tử": the section's "X chủ trì ..." sentence governs the
        # target paragraph below it
        cands = [r for r in plan.records if r.source == "narrative" and r.section == p.section]
    if not cands:
        return None
    return max(cands, key=lambda r: coverage(query_tokens, folded_text(r.raw or r.task)))


# --- composing ---------------------------------------------------------------------------

def _quote(engine, hit: Hit, query_tokens: list[str], kind: str) -> tuple[str, str]:
    """(quote as printed, readable form): OCR text is quoted raw, with its repaired reading."""
    p = hit.passage
    if p.kind == "row":
        raw = " ".join(p.text.split())[:500]
    else:
        raw = best_sentence(p.text, query_tokens, kind)
    readable = ""
    if p.repaired:
        repair = engine.index.corpus.repair
        readable = repair.restore(repair.fold(raw)) if repair else ""
    return raw, readable


def _record_line(rec: TaskRecord | None, kind: str, lang: str) -> str:
    if rec is None or not rec.lead:
        return ""
    coop = "; ".join(c for c in rec.cooperating if c)
    if lang == "en":
        parts = [f"Lead: {rec.lead}"]
        if coop:
            parts.append(f"cooperating: {coop}")
        if rec.deadline:
            parts.append(f"deadline: {rec.deadline}")
        if rec.budget and rec.budget.get("values"):
            total = _sum_millions(rec.budget["values"])
            parts.append(f"budget: {total} triệu đồng (VND {_billions(total)} billion)")
        return "; ".join(parts) + "."
    line = f"{rec.lead} chủ trì"
    if coop:
        line += f", phối hợp với {coop}"
    line += "."
    if rec.deadline:
        line += f" Thời hạn: {rec.deadline}."
    if rec.budget and rec.budget.get("values"):
        vals = rec.budget["values"]
        line += f" Kinh phí dự kiến: {' + '.join(vals)} triệu đồng."
    return line


def _partners_line(engine, hit: Hit, sentence: str, lang: str) -> str:
    """ "- Phối hợp với Sở Khoa học và Công nghệ trong việc ..." -> the partners named.
    On OCR text the names are read through its errors ("Sé Khoa hoc va Cong nghé")."""
    p = hit.passage
    folded = p.folded if p.repaired else fold(sentence)     # OCR: the OCR-tolerant folding
    if "phoi hop" not in folded:
        return ""
    gaz = engine.index.corpus.gazetteer
    if p.repaired:
        lines = engine.index.corpus.plans[p.plan].lines
        at = next(((ln.number, ln.folded.index("phoi hop") / max(1, len(ln.folded)))
                   for ln in lines[p.line_start - 1:p.line_end] if "phoi hop" in ln.folded), None)
        found = find_agencies(lines, p.line_start, p.line_end, gaz) if at else []
        found = sorted((h for h in found if (h.line, h.x) > at), key=lambda h: (h.line, h.x))
        # the partners follow "phối hợp với" on its line, or open the next one when wrapped
        same = [h for h in found if h.line == at[0]]
        found = same or [h for h in found if h.line == at[0] + 1 and h.x < 0.3][:1]
        names = list(dict.fromkeys(h.display(gaz) for h in found))
    else:
        names = list(dict.fromkeys(gaz.display(k) for _, k in gaz.find(folded.split("phoi hop", 1)[1])))
    if not names:
        return ""
    return (f"Phối hợp với: {'; '.join(names)}." if lang == "vi" else f"Cooperating with: {'; '.join(names)}.")


def _budget_text(rec: TaskRecord | None, quote: str, lang: str) -> str | None:
    vals = (rec.budget or {}).get("values") if rec else None
    if vals:
        total = _sum_millions(vals)
        if lang == "en":
            # the plan's unit (triệu đồng) quoted as printed, with the usual English reading
            billions = _billions(total)
            detail = " + ".join(f"{v} triệu" for v in vals)
            split = f": {detail}; ĐTC = public investment, SN = recurrent" if len(vals) > 1 else ""
            return f"Estimated budget: {total} triệu đồng (VND {billions} billion{split})."
        detail = " và ".join(f"{v} triệu" for v in vals)
        suffix = f" ({detail}; ĐTC: vốn đầu tư công, SN: vốn sự nghiệp)" if len(vals) > 1 else ""
        return f"Kinh phí dự kiến: {total} triệu đồng{suffix}."
    m = _MONEY.search(quote)
    if m:
        return f"Kinh phí: {m.group(0)}." if lang == "vi" else f"Budget: {m.group(0)}."
    return None


_FIGURE = re.compile(r"(?i)(?:(đạt|dat)\s+)?(?:(tối thiểu|toi thieu|trên|tren|ít nhất|it nhat|khoảng|khoang|dưới|duoi)\s+)?"
                     r"(\d+(?:[.,]\d+)?\s*%)")
_FIGURE_EN = {"toi thieu": "at least", "tren": "over", "it nhat": "at least", "khoang": "about", "duoi": "under"}


def _figure_line(sentence: str, lang: str) -> str:
    """ "... đạt trên 50%;" -> "Mục tiêu: trên 50%." (the figure the quote below gives)."""
    m = _FIGURE.search(sentence)
    if not m:
        return ""
    qualifier, figure = m.group(2), m.group(3).replace(" ", "")
    if lang == "en":
        q = _FIGURE_EN.get(fold(qualifier or ""), "")
        return f"Target: {q + ' ' if q else ''}{figure}."
    return f"Mục tiêu: {qualifier.lower() + ' ' if qualifier else ''}{figure}."


def _billions(millions: str) -> str:
    """ "75.000" (triệu đồng) -> "75"; "65.500" -> "65.5": the English reading in VND billions."""
    return f"{int(millions.replace('.', '')) / 1000:,.3f}".rstrip("0").rstrip(".")


def _sum_millions(values: list[str]) -> str:
    total = sum(int(v.replace(".", "")) for v in values)
    return f"{total:,}".replace(",", ".")


def compose(engine, turn: Turn, hit: Hit, query_tokens: list[str]) -> tuple[str, Citation, dict | None] | None:
    rec = record_for(engine, hit, query_tokens)
    raw, readable = _quote(engine, hit, query_tokens, turn.kind)
    meta = engine.plans[hit.passage.plan]
    head = ""
    if turn.kind in ("lead", "cooperate"):
        head = _record_line(rec, turn.kind, turn.lang)
        if not head and turn.kind == "cooperate":
            head = _partners_line(engine, hit, raw, turn.lang)
    elif turn.kind == "deadline" and rec and rec.deadline:
        head = (f"Thời hạn: {rec.deadline}." if turn.lang == "vi" else f"Deadline: {rec.deadline}.")
        if rec.lead:
            head += (f" ({rec.lead} chủ trì.)" if turn.lang == "vi" else f" (Lead: {rec.lead}.)")
    elif turn.kind == "budget":
        text = _budget_text(rec, raw, turn.lang)
        if text is None:
            return None
        head = text
    elif turn.kind == "target":
        head = _figure_line(readable if readable and not _FIGURE.search(raw) else raw, turn.lang)
        if rec and rec.lead and rec.source == "table":
            head += (f" Chỉ tiêu do {rec.lead} chủ trì theo dõi." if turn.lang == "vi" else f" Lead: {rec.lead}.")
        head = head.strip()
    source = f"{meta.title}, {hit.passage.section or 'phần mở đầu'}, dòng {hit.passage.line_start}–{hit.passage.line_end}"
    if turn.lang == "en":
        source = f"{meta.title}, {hit.passage.section or 'preamble'}, lines {hit.passage.line_start}–{hit.passage.line_end}"
    quote = f"“{raw}”"
    if readable:
        quote += (f" (bản quét OCR, đọc là: “{readable}”)" if turn.lang == "vi"
                  else f" (OCR scan, reads: “{readable}”)")
    label = "Theo" if turn.lang == "vi" else "Source:"
    text = f"{head}\n{label} {source}: {quote}" if head else f"{label} {source}: {quote}"
    citation = hit.citation(" ".join(hit.passage.text.split()))
    if rec is not None and head and (rec.line_end < hit.passage.line_start or rec.line_start > hit.passage.line_end):
        # the agency came from the section's own "X chủ trì" sentence: quote it too
        text += (f"\n(Dòng {rec.line_start}–{rec.line_end}: “{' '.join(rec.raw.split())[:300]}”)" if turn.lang == "vi"
                 else f"\n(Lines {rec.line_start}–{rec.line_end}: “{' '.join(rec.raw.split())[:300]}”)")
    return text.strip(), citation, (rec.to_dict() if rec else None)


# compound words that ask rather than name a topic
_QUESTION_COMPOUNDS = {"bao nhieu", "phan tram", "ke ca", "the nao", "nhu the nao", "khi nao", "bao gio",
                       "thoi gian", "co quan", "don vi", "hien nay", "cu the"}


def _unknown_topic_words(engine, turn: Turn) -> list[str]:
    """Compound words of a Vietnamese question that no clean plan uses ("sân bay", "vũ trụ"):
    the plans do not cover that topic, whatever the search returns.  Questions typed without
    diacritics (no reliable segmentation), English ones, and ones that may be about an OCR
    plan (its text cannot attest a word: "địa giới" is there, unreadable) are not checked."""
    # typed with diacritics: an abbreviation ("CĐS", expanded to "chuyển đổi số") does not count
    if turn.lang != "vi" or not re.search(r"[^\x00-\x7f]", re.sub(r"\b[A-ZĐ&]{2,}\b", " ", turn.typed)):
        return []
    plans = turn.plans or list(engine.plans)
    if any(engine.plans[p].ocr for p in plans):
        return []
    known = engine.known_words
    out = []
    for tok in query_word_tokens(without_cues(turn.question, turn.kind)):
        if "_" not in tok:
            continue
        f = fold(tok.replace("_", " "))
        syl = f.split()
        seen = f in known or len(syl) > 2 and all(f"{a} {b}" in known for a, b in zip(syl, syl[1:], strict=False))
        if not seen and f not in _QUESTION_COMPOUNDS and not re.search(r"\d", f):
            out.append(tok.replace("_", " "))
    return out


def decline(engine, turn: Turn, reason: str) -> Answer:
    titles = "; ".join(f"{m.title} ({pid})" for pid, m in engine.plans.items())
    if turn.lang == "en":
        msg = (f"I could not find this in the plans ({reason}). The corpus covers: {titles}.")
    else:
        msg = f"Các kế hoạch hiện có không nêu thông tin này ({reason}). Kho văn bản gồm: {titles}."
    return Answer(msg, False, turn.kind, None, [], [], turn.lang)


# --- the entry point ---------------------------------------------------------------------------

MIN_COVERAGE = 0.34


def answer_question(engine, question: str, history: list[str], plan: str | None) -> Answer:
    question = " ".join(question.split())
    turn = resolve(engine, question, history, plan)
    if turn.unknown_province and not turn.plans:
        reason = (f"no plan of {turn.unknown_province} in the corpus" if turn.lang == "en"
                  else f"không có kế hoạch nào của {turn.unknown_province}")
        return decline(engine, turn, reason)
    if turn.kind == "fact" and _SIGNER_Q.search(fold(question)):
        signed = _signer_answer(engine, turn)
        if signed:
            return signed
    if turn.kind in ("fact", "unknown") and _BASIS_Q.search(fold(question)):
        basis = _basis_answer(engine, turn)
        if basis:
            return basis
    if turn.kind == "compare" or len(turn.provinces) > 1:
        return _compare(engine, turn)
    if turn.kind == "aggregate":
        agg = _aggregate(engine, turn)
        if agg:
            return agg
    unknown = _unknown_topic_words(engine, turn)
    if unknown:
        words = ", ".join(f"“{w}”" for w in unknown)
        return decline(engine, turn, f"the plans never mention {words}" if turn.lang == "en"
                       else f"các kế hoạch không đề cập đến {words}")
    qtok, topic_toks = _query_tokens(engine, turn)
    topic = engine.topic(turn.query) if turn.plans else turn.query
    topic = without_cues(topic, turn.kind) or topic
    hits = retrieve(engine, turn, topic or turn.query, turn.plans, 12, topic_toks)
    if not hits:
        return decline(engine, turn, "no matching passage" if turn.lang == "en" else "không tìm thấy đoạn phù hợp")
    groups = _by_plan(hits) if not turn.plans else {hits[0].passage.plan: hits}
    answers, citations, records = [], [], []
    top = hits[0].score
    for pid, plan_hits in list(groups.items())[:3]:
        best = plan_hits[0]
        if pid != hits[0].passage.plan and (best.score < 0.9 * top or len(groups) < 2):
            continue
        cov = max(coverage(qtok, h.passage.folded) for h in plan_hits[:3])
        if cov < MIN_COVERAGE:
            continue
        composed = compose(engine, turn, best, qtok)
        if composed is None:
            continue
        text, citation, rec = composed
        answers.append((pid, text))
        citations.append(citation)
        if rec and not (rec["line_start"] <= citation.line_end and rec["line_end"] >= citation.line_start):
            own = Citation(pid, engine.plans[pid].title, rec["section"], rec["line_start"],
                           rec["line_end"], " ".join(rec["raw"].split())[:600], citation.score)
            # for "who" questions the sentence naming the agency is the evidence to open first
            citations.insert(len(citations) - 1 if turn.kind in ("lead", "cooperate") else len(citations), own)
        citations.extend(h.citation(" ".join(h.passage.text.split())) for h in plan_hits[1:3])
        if rec:
            records.append(rec)
    if not answers:
        why = "evidence too weak" if turn.lang == "en" else "không đủ căn cứ trong văn bản"
        if turn.kind == "budget":
            why = ("the plan gives no budget figure for this" if turn.lang == "en"
                   else "kế hoạch không nêu số kinh phí cho nội dung này")
        return decline(engine, turn, why)
    if len(answers) == 1:
        body = answers[0][1]
    else:
        intro = ("Several plans address this:" if turn.lang == "en" else "Nhiều kế hoạch có nội dung này:")
        body = intro + "\n" + "\n".join(f"• {engine.plans[pid].title}: {t}" for pid, t in answers)
    plan_id = answers[0][0] if len(answers) == 1 else None
    return Answer(body, True, turn.kind, plan_id, _dedupe(citations), records, turn.lang)


_SIGNER_Q = re.compile(r"\b(ai ky|nguoi ky|ky ban hanh|who signed|signed by|signatory|signed)\b")
_SIGNATURE = re.compile(r"\b(kt|tm) (chu tich|uy ban nhan dan)\b|\bpho chu tich\b")


def ranked_search(engine, query: str, text: str, plans: list[str], k: int) -> list[Hit]:
    """Search results in the order the answer stage would read them."""
    turn = resolve(engine, query, [], None)
    turn.plans = plans
    return retrieve(engine, turn, without_cues(text, turn.kind) or text, plans, k, _query_tokens(engine, turn)[1])


def retrieve(engine, turn: Turn, text: str, plans: list[str] | None, k: int,
             topic_tokens: list[str]) -> list[Hit]:
    """Candidates from the hybrid search, reranked.  With Settings.dense == 'auto' the
    lexical fields go first and the dense vectors are searched only when their best
    candidate answers poorly: the query embedding costs ~1 ms per token, three times the
    rest of a search, and on questions that name their topic's words it changes nothing."""
    mode = engine.settings.dense
    hits = engine.searcher.search(text, plans or None, k=k, dense=mode == "always")
    ranked = rerank(engine, turn, hits, topic_tokens) if hits else []
    if mode == "auto" and (not ranked or ranked[0].score < engine.settings.dense_gate):
        hits = engine.searcher.search(text, plans or None, k=k, dense=True)
        ranked = rerank(engine, turn, hits, topic_tokens) if hits else []
    return ranked


def _query_tokens(engine, turn: Turn) -> tuple[list[str], list[str]]:
    """(content words for coverage checks, topic words for reranking).  English questions
    are matched through their Vietnamese glossary terms and any Vietnamese names typed."""
    drop = _plan_words(engine)
    qtok = content_tokens(turn.query, drop)
    if turn.lang == "en":
        qtok = content_tokens(expand_english(turn.query), drop) or qtok
        # the glossary's Vietnamese terms, names typed in Vietnamese, and years ("by 2025")
        years = " ".join(re.findall(r"\b(?:19|20)\d{2}\b", turn.query))
        topic_q = f"{expand_english(turn.query)} {_vietnamese_words(turn.query)} {years}"
    else:
        topic_q = turn.query
    return qtok, topic_tokens(topic_q, drop, turn.kind) or qtok


def _vietnamese_words(text: str) -> str:
    """Vietnamese names typed inside an English question ("the 'Công dân số Phú Thọ' app")."""
    quoted = re.findall(r"[\'\"‘“]([^\'\"’”]{3,80})[\'\"’”]", text)
    accented = re.findall(r"\b\w*[^\x00-\x7f]\w*\b", text)
    return " ".join(quoted + accented)


def rerank(engine, turn: Turn, hits: list[Hit], topic_tokens: list[str]) -> list[Hit]:
    """Hits reordered by how well each answers this kind of question (see rerank.py);
    the new score replaces the fused search score so plans can be compared on it."""
    idf = engine.idf
    # a year that only names the plan ("kế hoạch Phú Thọ 2026") says nothing about the task
    plan_years = {str(engine.plans[p].year) for p in (turn.plans or []) if engine.plans[p].year}
    years = {t for t in topic_tokens if re.fullmatch(r"20[2-4]\d", t)} - plan_years
    gaz = engine.index.corpus.gazetteer
    named = {k for _, k in gaz.find(fold(turn.query))}
    signer = bool(_SIGNER_Q.search(fold(turn.query)))
    scored = []
    for rank, h in enumerate(hits):
        rec = record_for(engine, h, topic_tokens)
        s = rerank_score(turn.kind, h, rank, rec, topic_tokens, idf, years, engine.near_words)
        if signer and _SIGNATURE.search(h.passage.folded):
            s += 0.3        # "ai ký kế hoạch": the signature block ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")
        if named:
            # "Sở Nội vụ phối hợp với sở nào ...": passages of that agency's task or section
            theirs = {folded_text(a) for a in ([rec.lead] + rec.cooperating if rec and rec.lead else [])}
            if named & theirs or any(k in folded_text(h.passage.section) for k in named):
                s += 0.08
        scored.append(Hit(h.passage, s, h.scores))
    scored.sort(key=lambda h: -h.score)
    return scored


def _by_plan(hits: list[Hit]) -> dict[str, list[Hit]]:
    groups: dict[str, list[Hit]] = {}
    for h in hits:
        groups.setdefault(h.passage.plan, []).append(h)
    return groups


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        key = (c.plan, c.line_start, c.line_end)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


_BASIS_Q = re.compile(r"\b(?:(?:quyet dinh|nghi quyet|chi thi|cong van|van ban) nao|can cu (?:vao )?(?:nao|dau|gi)"
                      r"|which (?:decision|resolution|directive|document|law)|implements?|based on|legal basis)\b")
# kinds of document a basis may be: folded Vietnamese -> (Vietnamese, English name, English
# words a question may use for it)
_DOC_TYPES = {"quyet dinh": ("quyết định", "decision", ("decision",)),
              "nghi quyet": ("nghị quyết", "resolution", ("resolution",)),
              "chi thi": ("chỉ thị", "directive", ("directive",)),
              "cong van": ("công văn", "official letter", ("official letter", "dispatch")),
              "ke hoach": ("kế hoạch", "plan", ()), "luat": ("luật", "law", ("law",))}
_ISSUERS = {"thu tuong": ("prime minister",), "chinh phu": ("government",), "tinh uy": ("party committee",),
            "uy ban quoc gia": ("national committee",), "bo ": ("ministry",), "hdnd": ("people's council",)}
_BASIS_START = re.compile(r"^(thuc hien|can cu|can cir)\b")


def _preamble_clauses(plan, repair) -> list[tuple[int, int, str, str]]:
    """The plan's legal bases: the preamble's "Căn cứ ..." / "Thực hiện ..." clauses, as
    (first line, last line, text as printed, folded)."""
    pieces, pos = [], 0
    text = ""
    for ln in plan.lines:
        if plan.section_of[ln.number - 1]:
            break
        if ln.text.strip():
            pieces.append((pos, ln.number))
            text += ln.text.strip() + " "
            pos = len(text)
    out = []
    # a clause ends at ; or . and a new one opens at "Căn cứ" / "Thực hiện" (OCR: "Thuc hién")
    for m in re.finditer(r"(?:Th[uựyư]c hi\S*n|C[aă]n c\S*)\s[^;.]+(?:[;.]|$)", text):
        raw = " ".join(m.group(0).split())
        folded = repair.fold(raw) if plan.meta.ocr and repair else fold(raw)
        if not _BASIS_START.match(folded) or not any(t in folded for t in _DOC_TYPES):
            continue
        lines = [n for p, n in pieces if p <= m.end()]
        first = max((n for p, n in pieces if p <= m.start()), default=lines[0])
        out.append((first, lines[-1], raw, folded))
    return out


def _basis_answer(engine, turn: Turn) -> Answer | None:
    """ "Kế hoạch ... thực hiện quyết định nào?": the preamble clause naming the kind of
    document (and the issuer) the question names; every basis when it names none."""
    if len(turn.plans or []) != 1:
        return None
    pid = turn.plans[0]
    plan, meta = engine.index.corpus.plans[pid], engine.plans[pid]
    clauses = _preamble_clauses(plan, engine.index.corpus.repair)
    if not clauses:
        return None
    q = f" {fold(turn.question)} "

    def wanted(table: dict[str, tuple[str, ...]]) -> list[str]:
        return [vi for vi, ens in table.items() if f" {vi}" in q or any(e in q for e in ens)]
    # "kế hoạch" in a question names the plan itself, not a basis
    types = [t for t in wanted({k: v[2] for k, v in _DOC_TYPES.items()}) if t != "ke hoach"]
    issuers = wanted(_ISSUERS)
    implements = "thuc hien" in q or "implement" in q

    def score(c: tuple[int, int, str, str]) -> float:
        f = c[3]
        return (2 * sum(t in f for t in types) + sum(i in f for i in issuers)
                + (0.5 if implements and f.startswith("thuc hien") else 0))
    best = max(score(c) for c in clauses)
    none_of_kind = bool(types) and best < 2
    chosen = clauses[:6] if none_of_kind else [c for c in clauses if score(c) == best][:5]
    repair = engine.index.corpus.repair
    items = []
    for _first, _last, raw, folded in chosen:
        item = raw.rstrip(";. ")
        if meta.ocr and repair:
            item += f" (bản quét OCR, đọc là: “{repair.restore(folded).rstrip(';. ')}”)" if turn.lang == "vi" \
                else f" (OCR scan, reads: “{repair.restore(folded).rstrip(';. ')}”)"
        items.append(item)
    head = (f"{meta.title} được ban hành trên cơ sở:" if turn.lang == "vi" else f"{meta.title} was issued under:")
    if none_of_kind:
        # "thực hiện nghị quyết nào?" of a plan that cites none: say so, and give what it cites
        asked = ", ".join(_DOC_TYPES[t][turn.lang == "en"] for t in types)
        head = (f"Kế hoạch không nêu văn bản loại này ({asked}) trong phần căn cứ. " + head if turn.lang == "vi"
                else f"The plan cites no document of that kind ({asked}) as its basis. " + head)
    body = head + "\n" + "\n".join(f"• {i}" for i in items)
    citations = [Citation(pid, meta.title, "", first, last, raw, 1.0) for first, last, raw, _ in chosen]
    return Answer(body, True, "fact", pid, citations, [], turn.lang)


def _signer_answer(engine, turn: Turn) -> Answer | None:
    plans = turn.plans or []
    if len(plans) != 1:
        return None
    meta = engine.plans[plans[0]]
    if not meta.signer:
        return None
    lines = engine.index.corpus.plans[meta.id].lines
    want = fold(meta.signer)
    hit_line = next((ln for ln in reversed(lines) if want in fold(ln.text)), None)
    if hit_line is None:
        return None
    text = (f"{meta.title} do {meta.signer} ký." if turn.lang == "vi" else f"{meta.title} was signed by {meta.signer}.")
    section = engine.index.corpus.plans[meta.id].section_of[hit_line.number - 1]
    cit = Citation(meta.id, meta.title, section, hit_line.number, hit_line.number, hit_line.text.strip(), 1.0)
    return Answer(text + f"\n“{hit_line.text.strip()}” (dòng {hit_line.number})", True, "fact", meta.id, [cit], [],
                  turn.lang)


def _compare(engine, turn: Turn) -> Answer:
    """Each province (and year) named in the question searched on its own, answered side by side."""
    q = turn.question
    folded = fold(q)
    positions = sorted((folded.find(fold(p)), p) for p in {fold(m.province) for m in engine.plans.values()}
                       if fold(p) in folded)
    parts = []
    for i, (pos, _prov) in enumerate(positions):
        end = positions[i + 1][0] if i + 1 < len(positions) else len(folded)
        segment = folded[pos:end]
        found = engine.detect(segment)
        if found.plans:
            parts.append(found.plans)
    if len(parts) < 2:
        parts = [[pid] for pid in (turn.plans or [])][:2] or [[pid] for pid in engine.plans][:0]
    inner = Turn(q, q, "target", turn.lang, [], [], None)
    answers, citations = [], []
    qtok = content_tokens(q, _plan_words(engine))
    for plans in parts:
        hits = engine.searcher.search(engine.topic(q), plans, k=3)
        if not hits:
            continue
        composed = compose(engine, inner, hits[0], qtok)
        if composed:
            answers.append(f"• {engine.plans[hits[0].passage.plan].title}: {composed[0]}")
            citations.append(composed[1])
    if not answers:
        return decline(engine, turn, "không tìm thấy chỉ tiêu để so sánh")
    intro = "So sánh theo từng kế hoạch:" if turn.lang == "vi" else "Side by side:"
    return Answer(intro + "\n" + "\n".join(answers), True, "compare", None, citations, [], turn.lang)


def _aggregate(engine, turn: Turn) -> Answer | None:
    gaz = engine.index.corpus.gazetteer
    mentions = gaz.find(fold(turn.question))
    if not mentions:
        return None
    agency = mentions[0][1]
    plans = turn.plans or list(engine.plans)
    lines, citations, records = [], [], []
    for pid in plans:
        for rec in engine.index.corpus.plans[pid].records:
            if rec.lead and fold(rec.lead).startswith(agency):
                task = " ".join((rec.task or rec.raw).split())[:160]
                lines.append(f"• {task} (dòng {rec.line_start}–{rec.line_end}, {pid})")
                citations.append(Citation(pid, engine.plans[pid].title, rec.section, rec.line_start,
                                          rec.line_end, " ".join(rec.raw.split())[:500], 1.0))
                records.append(rec.to_dict())
    if not lines:
        return None
    name = gaz.display(agency)
    head = (f"{name} chủ trì {len(lines)} nhiệm vụ:" if turn.lang == "vi" else f"{name} leads {len(lines)} tasks:")
    return Answer(head + "\n" + "\n".join(lines[:15]), True, "aggregate", plans[0] if len(plans) == 1 else None,
                  citations[:15], records[:15], turn.lang)
