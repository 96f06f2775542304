"""The suite from any repository's pytest: the pytest11 entry point, run from a directory outside the checkout."""

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conformance.reference import ReferenceConfig, ReferenceServer

KEY = "sk-entry-point-test-0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent


def pytest_in(directory, *args, pythonpath=None):
    """`python -m pytest ARGS` in a fresh process, in `directory`, without the CRUN_* environment of this one."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CRUN_", "PYTEST_"))}
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=directory, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_plugin_is_registered_under_its_module_name():
    found = [e for e in entry_points(group="pytest11") if e.value == "conformance.plugin"]
    assert [e.name for e in found] == ["conformance.plugin"]


def test_pyargs_from_outside_the_checkout_certifies_the_reference_server(tmp_path):
    run = pytest_in(tmp_path, "--pyargs", "conformance.suite", "--target", "reference", "-q", "--report-json", "r.json")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "already registered" not in run.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["failed"] == report["summary"]["error"] == 0 and report["summary"]["passed"] > 100
    command = "pytest -p no:cacheprovider --pyargs conformance.suite --target reference -q --report-json r.json"
    assert report["certificate"]["command"] == command


def test_pyargs_against_a_broken_live_server_fails_with_the_same_report(tmp_path):
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({"chat_no_done"}))) as server:
        run = pytest_in(tmp_path, "--pyargs", "conformance.suite", "--base-url", server.base_url, "--api-key", KEY,
                        "--model", "gpt-5.4", "-q", "-k", "CHAT-STREAM-003 or MODELS-001", "--report-json", "r.json")
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert {c["id"] for c in report["checks"] if c["outcome"] == "failed"} == {"CHAT-STREAM-003"}
    assert "CHAT-STREAM-003 [MUST]" in run.stdout
    assert "--api-key '***'" in report["certificate"]["command"]
    assert KEY not in run.stdout + run.stderr + (tmp_path / "r.json").read_text()


@pytest.mark.parametrize("extra", [[], ["-p", "conformance.plugin"]], ids=["conftest", "conftest+-p"])
def test_the_repository_root_still_loads_the_plugin_once(extra):
    """The root conftest.py names the plugin too (for an uninstalled checkout); both roads lead to one registration."""
    run = pytest_in(ROOT, "--collect-only", "-q", "conformance/suite", *extra)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "tests collected" in run.stdout


def test_an_installed_wheel_runs_the_suite_with_its_bundled_contract(tmp_path):
    pytest.importorskip("hatchling", reason="building the wheel offline needs hatchling (the test extra installs it)")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT),
                            "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    site = tmp_path / "site"
    wheel = next((tmp_path / "dist").glob("crun_conformance-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([sys.executable, "-c", "import conformance.catalogue.contract as c; print(c.contract_path())"], cwd=work,
                           env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "conformance" / "_openapi" / "crun.yaml")
    run = pytest_in(work, "--pyargs", "conformance.suite", "--target", "reference", "-q", "-k", "MODELS or CHAT-001",
                    pythonpath=site)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "passed" in run.stdout and "failed" not in run.stdout


def test_it_shares_base_url_with_pytest_base_url_instead_of_breaking_pytest(tmp_path):
    """pytest-base-url (which pytest-playwright and pytest-selenium bring) defines --base-url too; two plugins adding
    one option make pytest refuse to start. This stand-in defines it the way that plugin does."""
    plugin = tmp_path / "site" / "pytest_base_url"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("")
    (plugin / "plugin.py").write_text(
        "def pytest_addoption(parser):\n"
        "    parser.getgroup('base_url').addoption('--base-url', metavar='url', help='base url')\n")
    with ReferenceServer(ReferenceConfig(api_key=KEY, faults=frozenset({"chat_no_done"}))) as server:
        run = pytest_in(tmp_path, "-p", "pytest_base_url.plugin", "--pyargs", "conformance.suite", "--base-url",
                        server.base_url, "--api-key", KEY, "--model", "gpt-5.4", "-q", "-k",
                        "CHAT-STREAM-003 and default_usage",
                        pythonpath=tmp_path / "site")
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "1 failed" in run.stdout and "target live" in run.stdout


def test_the_plugin_writes_every_report_certify_writes_and_knows_strict(tmp_path):
    """--strict-should, --report-html and --report-junit behave as certify's --strict, --report-html, --junit-xml."""
    run = pytest_in(tmp_path, "--pyargs", "conformance.suite", "--target", "reference", "-q", "-k", "MODELS-001",
                    "--strict-should", "--check-timeout", "5", "--report-json", "r.json", "--report-html", "r.html",
                    "--report-junit", "junit.xml")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["strict"] is True and report["certificate"]["strict"] is True
    assert "<html" in (tmp_path / "r.html").read_text()
    assert "MODELS-001" in (tmp_path / "junit.xml").read_text()
