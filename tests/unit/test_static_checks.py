"""Static checks run with the tests, so CI keeps them: mypy on the public API (configured in
pyproject.toml, with pydantic's plugin) and ruff on the whole repository."""

import subprocess
import sys

from tests.conftest import ROOT


def check(*command):
    done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_public_api_type_checks():
    check("mypy")


def test_the_code_is_lint_clean():
    check("ruff", "check", "simulation", "tests", "experiments", "benchmarks")


def test_ci_runs_exactly_the_readmes_test_command():
    quick_start = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(quick_start) == 2, "the README's quick start is two commands: the main job, then the tests"
    assert (ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1] == quick_start[1]
