"""`crun-conformance load`: the parent process of a load run.

It reads the options, starts the embedded reference server when no
--base-url is given, checks the target answers, and starts the Locust
processes (`conformance.load.node`): one local process, or a master and K
workers (--workers K), or just a master (--master) or a worker (--worker) for
a run spread over machines. It never imports Locust itself, so `certify` and
the tests stay free of gevent's monkey-patching. When the run ends (duration,
request budget, or Ctrl-C) it builds the reports from the merged result.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import options
from ..catalogue.requirements import DEFAULT_PROFILE
from ..outcomes.verdict import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNUSABLE, exit_code
from ..wire.cost import Cost

DEFAULT_PORT = 5557  # Locust's master port
SHUTDOWN_GRACE_S = 90.0  # beyond duration + deadline, how long the parent waits for its Locust processes


class LoadError(Exception):
    """Bad input or an unusable target: said in one line, exit code 2."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    load = sub.add_parser("load", help="send the suite's cases under load (Locust) and judge every answer")
    options.add_arguments(load, options.LOAD)
    load.add_argument("--mix", default=None, help="weights over cases, e.g. chat-stream=5,responses-stream=2,"
                      "messages-stream=2,chat=1 (names: chat, chat-stream, responses, responses-stream, messages, "
                      "messages-stream)")
    load.add_argument("--users", type=int, default=10, help="simulated clients (default 10)")
    load.add_argument("--spawn-rate", type=float, default=None, help="users started per second (default: all at once)")
    load.add_argument("--duration", type=float, default=30.0, help="seconds to run (default 30)")
    load.add_argument("--max-requests", type=int, default=None, metavar="N",
                      help="stop after this many requests were sent, every attempt counted (a resent one too)")
    load.add_argument("--certify-report", metavar="PATH",
                      help="a certify JSON report of the same target: violations it passed are marked load-only")
    load.add_argument("--workers", type=int, default=None, metavar="K",
                      help="a Locust master and K worker processes on this machine")
    load.add_argument("--master", action="store_true", help="be the master of workers on other machines")
    load.add_argument("--expect-workers", type=int, default=None, metavar="K", help="with --master: workers to wait for")
    load.add_argument("--master-bind-host", default="*", help="with --master: interface to listen on (default all)")
    load.add_argument("--worker", action="store_true", help="be a worker of the master at --master-host")
    load.add_argument("--master-host", default=None, help="with --worker: the master's host")
    load.add_argument("--master-port", type=int, default=DEFAULT_PORT, help=f"the master's port (default {DEFAULT_PORT})")
    load.add_argument("--no-checks", action="store_true", help=argparse.SUPPRESS)  # the benchmark's unchecked baseline


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except LoadError as exc:
        print(f"crun-conformance: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


def _validate(args: argparse.Namespace) -> None:
    for name, value, low in (("--users", args.users, 1), ("--max-requests", args.max_requests, 1),
                             ("--workers", args.workers, 1), ("--expect-workers", args.expect_workers, 1)):
        if value is not None and value < low:
            raise LoadError(f"{name} must be at least {low}, got {value}")
    for name, value in (("--duration", args.duration), ("--timeout", args.timeout), ("--spawn-rate", args.spawn_rate)):
        if value is not None and not value > 0:
            raise LoadError(f"{name} must be a positive number, got {value:g}")
    if sum(bool(x) for x in (args.workers, args.master, args.worker)) > 1:
        raise LoadError("--workers, --master and --worker exclude each other")
    if args.master and not args.expect_workers:
        raise LoadError("--master needs --expect-workers K")
    if args.master and not args.base_url:
        raise LoadError("--master needs --base-url: workers on other machines cannot reach an embedded server")
    if args.worker and not args.master_host:
        raise LoadError("--worker needs --master-host HOST")
    if not 1 <= args.master_port <= 65535:
        raise LoadError(f"--master-port must be 1-65535, got {args.master_port}")
    from ..reports.reportfile import InputError, check_writable

    try:
        check_writable(args.report_json, args.report_md, args.report_html)
    except InputError as exc:
        raise LoadError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    from .mix import DEFAULT_MIX, MixError, parse_mix
    from .report import CertifyReportError, read_certify_report

    _validate(args)
    key = args.api_key
    if args.worker:
        if not key:
            raise LoadError("--worker needs --api-key or CRUN_API_KEY (the key never travels from the master)")
        return _wait_worker(args, key)
    try:
        mix = parse_mix(args.mix or DEFAULT_MIX)
        certify_passed = read_certify_report(args.certify_report) if args.certify_report else None
    except (MixError, CertifyReportError) as exc:
        raise LoadError(str(exc)) from None
    if args.base_url and not key:
        raise LoadError("--base-url needs --api-key or CRUN_API_KEY")
    server = None
    if not args.base_url:
        from ..reference import ReferenceConfig, ReferenceServer

        server = ReferenceServer(ReferenceConfig()).start()
        key = server.config.api_key
    try:
        return _load(args, key, mix, certify_passed, server.base_url if server else args.base_url,
                     "reference" if server else "live")
    finally:
        if server is not None:
            server.stop()


def _load(args: argparse.Namespace, key: str, mix: tuple, certify_passed: set | None, base_url: str, kind: str) -> int:
    from ..reports.reportfile import written_lines
    from . import report as reports
    from .plan import LoadPlan

    profile = args.profile or DEFAULT_PROFILE  # no recording to take one from, as a certify replay has
    models, messages_model, preflight = _models(args, base_url, key, kind, profile)
    plan = LoadPlan(base_url, kind, profile, args.timeout, models, args.messages_model or messages_model, mix,
                    judge=not args.no_checks)
    spawn_rate = args.spawn_rate or float(args.users)
    with tempfile.TemporaryDirectory(prefix="crun-load-") as scratch:
        result_path = Path(scratch, "result.json")
        base = {"api_key": key, "quiet": args.quiet, "users": args.users, "spawn_rate": spawn_rate,
                "duration_s": args.duration, "max_requests": args.max_requests, "result": str(result_path)}
        interrupted = _drive(args, plan, base)
        if not result_path.is_file():
            raise LoadError("the load run ended without a result" + (" (interrupted)" if interrupted else ""))
        result = json.loads(result_path.read_text())
    if result.get("error"):
        raise LoadError(result["error"])
    if interrupted:
        result["stopped_by"] = "interrupted"
    run = {"users": args.users, "spawn_rate": spawn_rate, "duration_s": args.duration, "max_requests": args.max_requests,
           "mix": ",".join(f"{name}={weight}" for name, weight in mix), "timeout_s": args.timeout,
           "checks": not args.no_checks}
    built = reports.build(result, plan, run, preflight, certify_passed, args.strict)
    if not built["run"]["answers"]:
        raise LoadError("no answer came back during the run")
    written = reports.write(built, args.report_json, args.report_md, args.report_html)
    print(reports.terminal(built))
    for line in written_lines(written):
        print(line, file=sys.stderr)
    if any(why for _, _, why in written):
        return EXIT_UNUSABLE
    if not built["run"]["judged"] and not args.no_checks:
        print("crun-conformance: every answer was throttled (429/503 with Retry-After): nothing could be judged",
              file=sys.stderr)
        return EXIT_UNUSABLE
    code = exit_code(built["verdict"])
    return EXIT_INTERRUPTED if result["stopped_by"] == "interrupted" and code == EXIT_OK else code


def _models(args: argparse.Namespace, base_url: str, key: str, kind: str,
            profile: str) -> tuple[tuple[str, ...], str | None, Cost]:
    """The models to load, chosen and checked as certify does (ModelChoice), the /messages model (None: each model
    in turn), and what choosing them cost."""
    from ..wire.target import Caller, Target, TargetError

    try:
        target = Target(base_url, key, kind=kind, profile=profile, timeout_s=args.timeout)
    except TargetError as exc:
        raise LoadError(str(exc)) from None
    try:
        choice = options.model_choice(args)
    except ValueError as exc:
        raise LoadError(str(exc)) from None
    caller = Caller(target)
    try:
        chosen = choice.resolve(caller, key_must_work=True)  # reachable, key and models right, before any load
    except TargetError as exc:
        raise LoadError(str(exc)) from None
    finally:
        caller.close()
    for warning in chosen.warnings:
        print(f"crun-conformance: warning: {warning}", file=sys.stderr)
    return tuple(chosen.models), None if choice.matrix else chosen.messages_models[0], caller.cost


def _drive(args: argparse.Namespace, plan, base: dict) -> bool:
    """Start the Locust processes of this run and wait for them; True when the run was interrupted."""
    if args.workers:
        port = _free_port()
        master = {**base, "role": "master", "plan": plan.as_dict(), "master_bind_host": "127.0.0.1",
                  "master_port": port, "expect_workers": args.workers}
        worker = {**base, "role": "worker", "master_host": "127.0.0.1", "master_port": port, "follow_master": True}
        leader = _spawn(master)
        followers = [_spawn(worker) for _ in range(args.workers)]
    elif args.master:
        leader = _spawn({**base, "role": "master", "plan": plan.as_dict(), "master_bind_host": args.master_bind_host,
                         "master_port": args.master_port, "expect_workers": args.expect_workers})
        followers = []
    else:
        leader, followers = _spawn({**base, "role": "local", "plan": plan.as_dict()}), []
    bound = args.duration + 2 * args.timeout + SHUTDOWN_GRACE_S + (60 if args.workers or args.master else 0)
    interrupted = _wait(leader, bound)
    for proc in followers:
        _wait(proc, 30.0)
    return interrupted


def _wait_worker(args: argparse.Namespace, key: str) -> int:
    proc = _spawn({"role": "worker", "api_key": key, "quiet": args.quiet, "master_host": args.master_host,
                   "master_port": args.master_port, "follow_master": False})
    _wait(proc, None)
    if proc.returncode != 0:
        raise LoadError(f"the worker stopped without finishing a run of the master at {args.master_host}:{args.master_port}"
                        f" (exit {proc.returncode})")
    return EXIT_OK


def _spawn(config: dict) -> subprocess.Popen:
    """A Locust process, its configuration (key included) on stdin, never on its command line."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance.load.node"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(config).encode())
    proc.stdin.close()
    return proc


def _wait(proc: subprocess.Popen, bound: float | None) -> bool:
    """Wait for a Locust process; Ctrl-C is passed on (it stops and reports) instead of abandoning it."""
    interrupted = False
    deadline = None if bound is None else time.monotonic() + bound
    while True:
        try:
            proc.wait(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            return interrupted
        except KeyboardInterrupt:
            interrupted = True
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return interrupted


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
