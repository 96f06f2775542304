"""`crun-conformance`: certify a server, serve the reference server, list the requirements.

Exit codes (conformance/outcomes/verdict.py): 0 every MUST of the profile held (certified, or partial when -k
left requirements out); 1 a MUST failed (or a SHOULD, with --strict); 2 a usage error or a target that cannot be
certified at all.
"""

from __future__ import annotations

import argparse
import errno
import gc
import math
import os
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Sequence

from . import __version__, options
from .catalogue.requirements import CATALOGUE, PROFILES
from .load.command import add_parser as add_load_parser
from .load.command import run as load
from .outcomes.verdict import EXIT_INTERRUPTED, EXIT_UNUSABLE, exit_code
from .reports import baseline, certificate, merge
from .reports import diff as diffs
from .reports import document as reports
from .reports.matrix import target_text
from .reports.reportfile import InputError, check_writable, written_lines
from .run.certification import Options
from .wire.discovery import UnlistedModel
from .wire.target import Target, TargetError


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crun-conformance", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"crun-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    certify = sub.add_parser("certify", help="judge a server against the requirement catalogue")
    options.add_arguments(certify, options.CERTIFY)
    certify.add_argument("--max-requests", type=int, metavar="N", help="the most requests the run may send, retries "
                         "included: refuse to start when the plan needs more, and retry only within what is left")
    certify.add_argument("--record", metavar="DIR", help="record the exchanges as cassettes into DIR")
    certify.add_argument("--record-changed", metavar="DIR", help="record as --record, but write only the cassettes "
                         "of cases whose requests changed or that have none; the others keep their bytes")
    certify.add_argument("--replay", metavar="DIR", help="judge the cassettes in DIR instead of a live server")
    certify.add_argument("-k", dest="keyword", metavar="EXPR", help="only checks matching this pytest -k expression")
    certify.add_argument("--baseline", metavar="FILE", help="gate on regressions against an earlier JSON report "
                         "or a YAML expectations file (exit 1 only when a check fails that the baseline passed)")
    certify.add_argument("--strict-baseline", action="store_true",
                         help="with --baseline: checks that pass but were expected to fail fail the run too")

    serve = sub.add_parser("serve", help="run the reference server")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free port)")
    serve.add_argument("--api-key", default=None, help="key clients must send (env CRUN_API_KEY; default crun-reference-key)")
    serve.add_argument("--prefix", default="/api/v1", help="path the API is served under (default /api/v1)")
    serve.add_argument("--latency-ms", type=int, default=0, metavar="MS",
                       help="delay before the first byte of every generated answer, like a real model (default 0)")
    serve.add_argument("--chunk-ms", type=int, default=0, metavar="MS", help="pause between streamed events (default 0)")
    serve.add_argument("--rate-limit-every", type=int, default=0, metavar="K",
                       help="answer every K-th request with 429 and Retry-After: 1 (default 0: never)")
    serve.add_argument("--max-concurrency", type=int, default=0, metavar="N",
                       help="above N requests in flight, answer 429 with Retry-After: 1, like a gateway's concurrency "
                            "limit (default 0: no limit)")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME",
                       help="switch on a named fault of conformance/reference/faults.py (repeatable)")
    serve.add_argument("--list-faults", action="store_true",
                       help="print every fault --fault can switch on, with what it breaks, and exit")

    listing = sub.add_parser("list", help="print the requirement catalogue")
    listing.add_argument("--profile", choices=PROFILES, default=None, help="only the requirements of this profile")
    listing.add_argument("--promises", action="store_true",
                         help="print the promises of the seed pages, what checks each, the faults that break "
                              "each, and the coverage")
    merge.add_parser(sub)

    expect = sub.add_parser("baseline", help="write an expectations file (YAML) from a JSON report to stdout")
    expect.add_argument("report", metavar="REPORT.json", help="a JSON report written by certify --report-json")

    compare = sub.add_parser("diff", help="compare two JSON reports: regressions, fixes, added, removed, cost")
    compare.add_argument("old", metavar="OLD.json", help="the earlier JSON report (certify --report-json)")
    compare.add_argument("new", metavar="NEW.json", help="the later JSON report, compared with OLD")
    compare.add_argument("--md", metavar="PATH", help="also write the diff as Markdown here")
    add_load_parser(sub)
    return parser


def _options(args: argparse.Namespace) -> Options:
    """The certification the arguments ask for; every mistake is a one-line usage error before any request."""
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        raise UsageError("--timeout must be a positive, finite number of seconds")
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.concurrency_total < 1:
        raise UsageError("--concurrency-total must be at least 1")
    if args.max_requests is not None and args.max_requests < 1:
        raise UsageError("--max-requests must be at least 1")
    if args.max_requests is not None and args.fuzz:
        raise UsageError("--max-requests cannot bound --fuzz, whose requests depend on what schemathesis generates; "
                         "certify and fuzz in separate runs")
    if args.fuzz_examples is not None and args.fuzz_examples < 1:
        raise UsageError("--fuzz-examples must be at least 1")
    if sum(map(bool, (args.record, args.record_changed, args.replay))) > 1:
        raise UsageError("--record, --record-changed and --replay exclude each other")
    if args.replay and not Path(args.replay, "target.json").is_file():
        raise UsageError(f"--replay {args.replay}: no recording there (target.json missing)")
    if args.strict_baseline and not args.baseline:
        raise UsageError("--strict-baseline needs --baseline FILE")
    try:
        models = options.model_choice(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    api_key = args.api_key or ""
    if args.base_url and not args.replay:
        if not api_key:
            raise UsageError("--base-url needs --api-key or CRUN_API_KEY")
        try:
            Target(args.base_url, api_key)
        except TargetError as exc:
            raise UsageError(str(exc)) from None
    kind = "replay" if args.replay else "live" if args.base_url else "reference"
    directory = args.replay or args.record or args.record_changed
    record_mode = "all" if args.record else "none"
    if args.record_changed:
        from .wire.cassettes import CHANGED

        record_mode = CHANGED
    return Options(kind=kind, base_url=args.base_url, api_key=api_key, profile=args.profile, strict=args.strict,
                   timeout_s=args.timeout, models=models, concurrency=args.concurrency,
                   concurrency_total=args.concurrency_total,
                   cassette_dir=Path(directory) if directory else None, record_mode=record_mode,
                   keyword=args.keyword, max_requests=args.max_requests, fuzz=args.fuzz,
                   fuzz_examples=args.fuzz_examples)


def certify(args: argparse.Namespace) -> int:
    from .run.certification import Certification
    from .run.progress import RunProgress

    options = _options(args)
    gate_on = baseline.load(args.baseline) if args.baseline else None  # bad input exits 2 before any request
    check_writable(args.report_json, args.report_md, args.report_html, args.junit_xml)
    started = datetime.now(UTC)
    # A provider's notice that a model is deprecated is not a finding about the server under test.
    warnings.filterwarnings("ignore", message="The model .* is deprecated", category=DeprecationWarning)
    run = Certification(options, None if args.quiet else RunProgress())
    try:
        try:
            plan = run.open()
        except ValueError as exc:  # a -k that matches nothing, or that does not parse
            raise UsageError(str(exc)) from None
        for warning in run.warnings:
            print(f"crun-conformance: warning: {warning}", file=sys.stderr)
        if not args.quiet:
            target = run.session.target
            print(f"crun-conformance: certifying {target_text(target.base_url, target.kind, target.profile, options.strict)}",
                  file=sys.stderr)
            print(f"crun-conformance: {plan.describe()}" + (" (plus fuzzing)" if options.fuzz else ""),
                  file=sys.stderr)
        if args.max_requests is not None and plan.requests > args.max_requests:
            raise UsageError(f"the plan needs up to {plan.requests} requests, above --max-requests "
                             f"{args.max_requests}; narrow it with -k, --models or --models-match")
        outcomes = run.run()
        built = reports.of_certification(run)
    except UnlistedModel as exc:
        raise UsageError(str(exc)) from None
    except TargetError as exc:
        print(f"crun-conformance: target unusable: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        run.close()
    built = certificate.attach(built, started=started, command=["crun-conformance", *args.argv], strict=args.strict,
                               secrets=(options.api_key,))
    written = reports.write(built, outcomes, args.report_json, args.report_md, args.junit_xml, args.report_html)
    say(reports.terminal(built, args.quiet))
    for line in written_lines(written):
        print(line, file=sys.stderr)
    code = (baseline.gate(built, gate_on, args.strict_baseline, say, strict=args.strict) if gate_on is not None
            else exit_code(built["verdict"]))
    return EXIT_UNUSABLE if any(why for _, _, why in written) else code


def serve(args: argparse.Namespace) -> int:
    from .reference import ReferenceConfig
    from .reference import serve as run_server

    if args.list_faults:
        from .reference.faults import FAULTS

        width = max(map(len, FAULTS))
        for name, fault in FAULTS.items():
            say(f"{name:<{width}}  {fault.description}")
        return 0
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {args.port}")
    key = args.api_key or os.environ.get("CRUN_API_KEY") or ReferenceConfig.api_key
    try:
        config = ReferenceConfig(api_key=key, prefix=args.prefix, faults=frozenset(args.fault),
                                 latency_ms=args.latency_ms, chunk_ms=args.chunk_ms,
                                 rate_limit_every=args.rate_limit_every, max_concurrency=args.max_concurrency)
    except ValueError as exc:
        known = "unknown fault" in str(exc)
        raise UsageError(f"{str(exc).split(';')[0]}: serve --list-faults lists them" if known else str(exc)) from None
    from_env = not args.api_key and bool(os.environ.get("CRUN_API_KEY"))
    try:
        run_server(args.host, args.port, config, key_shown="the value of CRUN_API_KEY" if from_env else None)
    except OSError as exc:
        why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or type(exc).__name__
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {why}") from None
    return 0


def list_requirements(args: argparse.Namespace) -> int:
    if args.promises:
        from .catalogue import promises

        print(promises.render(promises.load()))
        return 0
    profiles = [args.profile] if args.profile else list(PROFILES)
    print(f"{'id':<16} " + " ".join(f"{p:<7}" for p in profiles) + " endpoints / statement / source and quote")
    for r in CATALOGUE:
        levels = [r.level(p) or "-" for p in profiles]
        if all(level == "-" for level in levels):
            continue
        print(f"{r.id:<16} " + " ".join(f"{level:<7}" for level in levels) + " " + ", ".join(r.endpoints))
        print(f"{'':<16} {'':<{8 * len(profiles) - 1}} {r.statement}")
        print(f"{'':<16} {'':<{8 * len(profiles) - 1}} source: {r.cited()}")
    return 0


def say(*lines: object) -> None:
    """Print a result; a reader that went away (`| head`) loses the rest, the exit code keeps the verdict."""
    try:
        print(*lines)
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")  # every later print goes nowhere, quietly


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the certificate, key masked there
    command = {"certify": certify, "serve": serve, "list": list_requirements, "report": merge.run,
               "baseline": lambda a: baseline.write_expectations(a.report, say),
               "diff": lambda a: diffs.run(a.old, a.new, a.md, say), "load": load}[args.command]
    try:
        return command(args)
    except (UsageError, InputError) as exc:
        print(f"crun-conformance: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("crun-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader (e.g. `| head`) went away; nothing left to say
        sys.stdout = None
        return 0


def run() -> None:
    """The console script: `main`, then an exit that skips the final garbage collection.

    The SDKs leave a heap of objects whose collection at interpreter exit takes
    about half a second; the process is ending, so nothing needs collecting.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
