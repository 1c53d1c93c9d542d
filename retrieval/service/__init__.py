"""The HTTP retrieval service (FastAPI).  `create_app(settings)` builds it; `serve()` runs it."""

from .app import create_app, serve

__all__ = ["create_app", "serve"]
