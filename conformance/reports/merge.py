"""`crun-conformance report A.json B.json ...`: several targets' reports merged into one matrix.

Merging reports is merging their outcome lists: each report keeps its checks and contributes its
model columns, labelled target x model. Bad input (a missing file, bad JSON, a file that is not a
certify report, a load report) is one line on stderr and exit code 2. Otherwise the exit code is the
merged matrix's verdict, as certify's: 1 when a column failed, else 0.
"""

from __future__ import annotations

import argparse
import sys

from ..outcomes.verdict import EXIT_UNUSABLE, exit_code
from . import html as report_html
from . import markdown, terminal
from . import matrix as matrices
from .reportfile import InputError, check_writable, load_report, save, written_lines


class BadReport(Exception):
    """A report file that cannot be read: the message is the one line shown."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="merge the JSON reports of several targets into one matrix")
    parser.add_argument("reports", nargs="+", metavar="REPORT.json", help="reports written by certify --report-json")
    parser.add_argument("--label", action="append", metavar="NAME",
                        help="name of a target, once per report in order (default: its base URL)")
    parser.add_argument("--html", metavar="OUT", help="write the HTML matrix here")
    parser.add_argument("--md", metavar="OUT", help="write the Markdown matrix here")


def load(path: str) -> dict:
    """One report file, read like every report (reportfile) and checked for the shape the matrix reads."""
    try:
        report = load_report(path)
        matrices.validate(report)
    except InputError as exc:
        raise BadReport(str(exc)) from None
    except matrices.NotAReport as exc:
        raise BadReport(f"{path}: {exc}") from None
    return report


def run(args: argparse.Namespace) -> int:
    """Print the merged matrix; write it as HTML and Markdown when asked. The exit code is the matrix's verdict."""
    try:
        if args.label and len(args.label) != len(args.reports):
            raise BadReport(f"{len(args.label)} --label for {len(args.reports)} reports: give one per report or none")
        check_writable(args.html, args.md)
        reports = [load(path) for path in args.reports]
    except (BadReport, InputError) as exc:
        print(f"crun-conformance: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    matrix = matrices.build(reports, args.label)
    written = [(kind, out, save(out, text())) for kind, out, text in
               (("HTML", args.html, lambda: report_html.render(matrix)), ("Markdown", args.md, lambda: markdown.render(matrix)))
               if out]
    print(terminal.render(matrix))
    for line in written_lines(written):
        print(line, file=sys.stderr)
    return EXIT_UNUSABLE if any(why for _, _, why in written) else exit_code(matrices.verdict(matrix))
