"""Turning an uploaded file into a corpus .txt: allowed types, size limit, safe names, and a
broken file rejected with the reason before anything touches the corpus."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from .errors import ServiceError

ALLOWED_EXTENSIONS = (".txt", ".pdf", ".docx")
_MIN_CHARS = 200            # less than this is not a plan: a scan without OCR, an empty export
_ID_MAX = 64
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")


def _reject(status: int, code: str, vi: str, en: str) -> ServiceError:
    return ServiceError(status, code, vi, en)


def fold_ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def plan_id_from(name: str) -> str:
    """A safe plan id (the corpus file stem) from a user-supplied name or file name.

    Both separators are treated as directory separators, so "../../etc/passwd" and
    "..\\x.txt" lose their directories; what remains is folded to [a-z0-9-]."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    slug = re.sub(r"[^a-z0-9]+", "-", fold_ascii(stem).lower()).strip("-")[:_ID_MAX].strip("-")
    if not slug:
        raise _reject(422, "invalid_plan_id",
                      "Tên tệp hoặc mã kế hoạch không hợp lệ: cần có chữ cái hoặc chữ số.",
                      "Invalid file name or plan id: it needs letters or digits.")
    return slug


def extension_of(filename: str) -> str:
    base = PureWindowsPath(PurePosixPath(filename or "").name).name.lower()
    ext = "." + base.rsplit(".", 1)[1] if "." in base else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise _reject(415, "unsupported_file_type",
                      f"Loại tệp '{ext or '(không có đuôi)'}' không được hỗ trợ. "
                      f"Chỉ nhận: {', '.join(ALLOWED_EXTENSIONS)}.",
                      f"File type '{ext or '(none)'}' is not allowed. Allowed: {', '.join(ALLOWED_EXTENSIONS)}.")
    return ext


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise _reject(413, "file_too_large",
                      f"Tệp quá lớn ({size:,} byte). Giới hạn là {limit:,} byte.".replace(",", "."),
                      f"The file is too large ({size:,} bytes); the limit is {limit:,} bytes.")


def extract_text(filename: str, data: bytes) -> str:
    """The plan's text, one printed line per line, NFC, control characters removed."""
    ext = extension_of(filename)
    if not data:
        raise _reject(422, "empty_file", "Tệp tải lên rỗng.", "The uploaded file is empty.")
    if ext == ".txt":
        text = _from_txt(data)
    elif ext == ".pdf":
        text = _from_pdf(data)
    else:
        text = _from_docx(data)
    lines = [_LINE_CONTROL.sub("", unicodedata.normalize("NFC", ln)).rstrip() for ln in text.splitlines()]
    text = "\n".join(lines).strip("\n") + "\n"
    if len(text.strip()) < _MIN_CHARS:
        raise _reject(422, "no_text",
                      f"Không trích xuất được nội dung văn bản từ tệp (ít hơn {_MIN_CHARS} ký tự). "
                      "Nếu là bản scan, hãy nhận dạng chữ (OCR) trước khi tải lên.",
                      f"No usable text in the file (under {_MIN_CHARS} characters). "
                      "If it is a scan, run OCR first.")
    return text


def _broken(kind: str, reason: str) -> ServiceError:
    return _reject(422, "broken_file",
                   f"Không đọc được tệp {kind}: tệp bị hỏng hoặc không đúng định dạng ({reason}).",
                   f"Could not read the {kind} file: it is broken or not a {kind} ({reason}).")


def _from_txt(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _reject(422, "invalid_encoding",
                      f"Tệp văn bản phải dùng mã UTF-8 (lỗi ở byte thứ {exc.start}).",
                      f"Text files must be UTF-8 (undecodable byte at offset {exc.start}).") from None
    if "\x00" in text:
        raise _broken("TXT", "có ký tự NUL, có vẻ là tệp nhị phân / contains NUL bytes")
    return text


def _from_pdf(data: bytes) -> str:
    if not data.lstrip()[:5] == b"%PDF-":
        raise _broken("PDF", "thiếu phần đầu %PDF / missing %PDF header")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _broken("PDF", "tệp được mã hóa / encrypted")
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except ServiceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise _broken("PDF", type(exc).__name__) from None


def _from_docx(data: bytes) -> str:
    if not data.startswith(b"PK\x03\x04"):
        raise _broken("DOCX", "không phải tệp nén Office / not an Office zip")
    import zipfile

    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        out: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                # One cell per line and a blank line between rows: the layout the corpus's
                # PDF-extracted tables already have, so the same table parser reads it.
                for row in block.rows:
                    out.extend(cell.text for cell in row.cells)
                    out.append("")
            else:
                out.append(block.text)
        return "\n".join(out)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _broken("DOCX", type(exc).__name__) from None
    except Exception as exc:  # python-docx raises lxml and its own errors on malformed parts
        raise _broken("DOCX", type(exc).__name__) from None
