"""`python -m retrieval.service [--host H] [--port P]`: the service with Settings from the
environment (CDS_*).  `python -m retrieval serve` does the same through the main CLI."""

from __future__ import annotations

import argparse

from retrieval.config import get_settings

from .app import serve


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m retrieval.service", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    serve(args.host, args.port, settings)


if __name__ == "__main__":
    main()
