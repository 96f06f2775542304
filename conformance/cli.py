"""`crun-conformance`: certify a server, serve the reference server, list the requirements.

Exit codes: 0 every MUST of the profile held; 1 a MUST failed (or a SHOULD,
with --strict); 2 a usage error or a target that cannot be certified at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from . import report as reports
from .load.command import add_parser as add_load_parser
from .load.command import run as load
from .requirements import CATALOGUE, PROFILES

EXIT_CERTIFIED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
SUITE = Path(__file__).resolve().parent / "suite" / "test_conformance.py"


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crun-conformance", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"crun-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    certify = sub.add_parser("certify", help="judge a server against the requirement catalogue")
    certify.add_argument("--base-url", default=os.environ.get("CRUN_BASE_URL"),
                         help="server to certify (env CRUN_BASE_URL; default: the embedded reference server)")
    certify.add_argument("--api-key", default=None, help="its API key (env CRUN_API_KEY)")
    certify.add_argument("--model", default=os.environ.get("CRUN_MODEL"), help="model to test (env CRUN_MODEL)")
    certify.add_argument("--messages-model", default=None, help="model for /messages")
    certify.add_argument("--profile", default=None, choices=PROFILES,
                         help="crun (default) or openai; a replay defaults to the recorded profile")
    certify.add_argument("--strict", action="store_true", help="SHOULD failures fail the certification too")
    certify.add_argument("--timeout", type=float, default=20.0, help="deadline per request, seconds (default 20)")
    certify.add_argument("--fuzz", action="store_true", help="also fuzz every operation from openapi/ (FUZZ-*)")
    certify.add_argument("--fuzz-examples", type=int, metavar="N",
                         help="generated cases per operation and mode (default 25 on the reference server, 5 live)")
    certify.add_argument("--report-json", metavar="PATH")
    certify.add_argument("--report-md", metavar="PATH")
    certify.add_argument("--junit-xml", metavar="PATH")
    certify.add_argument("--record", metavar="DIR", help="record the exchanges as cassettes into DIR")
    certify.add_argument("--replay", metavar="DIR", help="judge the cassettes in DIR instead of a live server")
    certify.add_argument("-k", dest="keyword", metavar="EXPR", help="only checks matching this pytest -k expression")
    certify.add_argument("-q", "--quiet", action="store_true", help="no progress, only the summary")

    serve = sub.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--api-key", default=None, help="key clients must send (env CRUN_API_KEY; default crun-reference-key)")
    serve.add_argument("--prefix", default="/api/v1")

    listing = sub.add_parser("list", help="print the requirement catalogue")
    listing.add_argument("--profile", choices=PROFILES, default=None)
    add_load_parser(sub)
    return parser


class _Collector:
    """Hands the plugin the key (never via argv or environment) and receives the outcomes when pytest finishes."""

    def __init__(self, api_key: str | None) -> None:
        self.api_key = api_key
        self.run: Any = None
        self.report: dict | None = None

    def pytest_configure(self, config: Any) -> None:
        from .plugin import API_KEY

        if self.api_key:
            config.stash[API_KEY] = self.api_key

    def pytest_sessionfinish(self, session: Any) -> None:
        from .plugin import RUN

        self.run = session.config.stash[RUN]
        self.report = self.run.report()


def certify(args: argparse.Namespace) -> int:
    import pytest

    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.fuzz_examples is not None and args.fuzz_examples < 1:
        raise UsageError("--fuzz-examples must be at least 1")
    if args.record and args.replay:
        raise UsageError("--record and --replay exclude each other")
    if args.replay and not Path(args.replay, "target.json").is_file():
        raise UsageError(f"--replay {args.replay}: no recording there (target.json missing)")
    if args.base_url and not (args.api_key or os.environ.get("CRUN_API_KEY")):
        raise UsageError("--base-url needs --api-key or CRUN_API_KEY")
    argv = [str(SUITE), "-p", "conformance.plugin", "-p", "no:cacheprovider", "--rootdir", str(SUITE.parent),
            "-c", os.devnull, "-o", "asyncio_default_fixture_loop_scope=function", "--disable-warnings",
            "--tb=no", "-rN", "--no-header", "-q" if not args.quiet else "-qq",
            "--check-timeout", str(args.timeout)]
    if args.replay:
        argv += ["--target", "replay", "--cassette-dir", args.replay]
    elif args.base_url:
        argv += ["--target", "live", "--base-url", args.base_url]
    else:
        argv += ["--target", "reference"]
    if args.record:
        argv += ["--cassette-dir", args.record, "--record-mode", "all"]
    for flag, value in (("--profile", args.profile), ("--model", args.model), ("--messages-model", args.messages_model),
                        ("--junit-xml", args.junit_xml), ("-k", args.keyword)):
        if value:
            argv += [flag, value]
    if args.fuzz:
        argv += ["--fuzz"] + (["--fuzz-examples", str(args.fuzz_examples)] if args.fuzz_examples else [])
    collector = _Collector(args.api_key)
    code = pytest.main(argv, plugins=[collector])
    run, built = collector.run, collector.report
    if run is not None and run.problem:
        print(f"crun-conformance: {run.problem}", file=sys.stderr)
        return EXIT_UNUSABLE
    if built is None or not run.outcomes:
        print("crun-conformance: no check ran" + (f" (nothing matched -k {args.keyword!r})" if args.keyword else ""),
              file=sys.stderr)
        return EXIT_UNUSABLE
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        print(f"crun-conformance: the run did not complete (pytest exit {int(code)})", file=sys.stderr)
        return EXIT_UNUSABLE
    reports.write(built, run.outcomes, args.report_json, args.report_md)
    print(reports.terminal(built, run.outcomes, args.strict))
    return reports.verdict(run.outcomes, args.strict)


def serve(args: argparse.Namespace) -> int:
    from .reference import ReferenceConfig
    from .reference import serve as run_server

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {args.port}")
    key = args.api_key or os.environ.get("CRUN_API_KEY") or ReferenceConfig.api_key
    run_server(args.host, args.port, ReferenceConfig(api_key=key, prefix=args.prefix))
    return 0


def list_requirements(args: argparse.Namespace) -> int:
    profiles = [args.profile] if args.profile else list(PROFILES)
    print(f"{'id':<16} " + " ".join(f"{p:<7}" for p in profiles) + " endpoints / statement / source")
    for r in CATALOGUE:
        levels = [r.level(p) or "-" for p in profiles]
        if all(level == "-" for level in levels):
            continue
        print(f"{r.id:<16} " + " ".join(f"{level:<7}" for level in levels) + " " + ", ".join(r.endpoints))
        print(f"{'':<16} {'':<{8 * len(profiles) - 1}} {r.statement}")
        print(f"{'':<16} {'':<{8 * len(profiles) - 1}} source: {r.source}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"certify": certify, "serve": serve, "list": list_requirements, "load": load}[args.command]
    try:
        return command(args)
    except UsageError as exc:
        print(f"crun-conformance: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("crun-conformance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (e.g. `| head`) went away; nothing left to say
        sys.stdout = None
        return 0


if __name__ == "__main__":
    sys.exit(main())
