"""`python -m conformance.reference`: serve the reference server in the foreground (the benchmark starts it so)."""

from __future__ import annotations

import argparse

from .config import ReferenceConfig
from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.reference", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed on start)")
    parser.add_argument("--api-key", default=ReferenceConfig.api_key)
    parser.add_argument("--prefix", default=ReferenceConfig.prefix)
    args = parser.parse_args(argv)
    serve(args.host, args.port, ReferenceConfig(api_key=args.api_key, prefix=args.prefix))


if __name__ == "__main__":
    main()
