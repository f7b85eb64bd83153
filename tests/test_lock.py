"""The two README commands install from requirements.lock, and `make test` refuses an environment that differs."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"


def _check_lock():
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts" / "check_lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_dependency_of_every_extra_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + [d for extra in project["optional-dependencies"].values() for d in extra]
    text = LOCK.read_text()
    pinned = {canonicalize_name(m) for m in re.findall(r"^([A-Za-z0-9_.\-]+)==", text, re.M)}
    missing = sorted({canonicalize_name(Requirement(d).name) for d in wanted} - pinned)
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"


def test_the_makefile_installs_from_the_lock_and_checks_it():
    make = (ROOT / "Makefile").read_text()
    installs = [line for line in make.splitlines() if "pip install" in line and " -e " in line]
    assert installs and all("-c $(LOCK)" in line for line in installs), installs
    assert "scripts/check_lock.py $(LOCK)" in make


def test_the_guard_names_a_package_whose_version_differs():
    check = _check_lock()
    pins = check.locked_versions(LOCK)
    assert pins["pandas"].count(".") >= 1  # a pin of this platform, markers evaluated
    assert check.differences(pins) == []  # this very environment was installed from the lock
    wrong = {**pins, "pandas": "0.0.1"}
    problems = check.differences(wrong)
    assert len(problems) == 1 and problems[0].startswith("pandas ") and "0.0.1" in problems[0]
    unpinned = {k: v for k, v in pins.items() if k != "requests"}
    assert any(p.startswith("requests ") and "does not pin" in p for p in check.differences(unpinned))


def test_the_guard_exits_non_zero_with_the_fix(tmp_path, capsys):
    check = _check_lock()
    lock = tmp_path / "requirements.lock"
    lock.write_text(LOCK.read_text().replace("\npandas==", "\npandas==0.0.1\nunused==", 1))
    assert check.main(["check_lock.py", str(lock)]) == 1
    err = capsys.readouterr().err
    assert "pandas" in err and "make lock" in err and "make clean && make test" in err
