"""Fail, with the fix, when this environment does not hold what ``requirements.lock`` pins.

``make demo`` and ``make test`` install with ``-c requirements.lock``, so a fresh machine gets the versions the
tests and the notebooks' checked outputs were recorded with. This guard runs before the tests: a venv made
before the lock changed, a package installed by hand, or a dependency added to ``pyproject.toml`` without
refreshing the lock would otherwise make a green run prove nothing about the next fresh machine.

Checked: every installed distribution the lock names (for this interpreter and platform: its markers are
evaluated) has exactly the locked version, and every installed distribution the project needs is in the lock.

Usage: ``python scripts/check_lock.py [requirements.lock]`` (exit 1 and a message naming each package when
they differ). Refresh the lock: ``make lock``.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
#: installed by the venv itself or the installer, never by the project's dependencies
_TOOLING = {"pip", "setuptools", "wheel", "patsnap-analytics"}


def locked_versions(path: Path) -> dict[str, str]:
    """``name -> version`` of the lock's pins whose markers hold here (a universal lock pins per platform)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec, _, marker = line.partition(";")
        name, _, version = spec.strip().partition("==")
        if not version:
            raise SystemExit(f"{path.name}: {line!r} is not a pin (name==version); refresh it with `make lock`")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        pins[canonicalize_name(name)] = version.strip()
    return pins


def needed_here() -> set[str]:
    """The distributions the installed project needs (its dependencies and their dependencies, every extra)."""
    seen: set[str] = set()
    todo = ["patsnap-analytics"]
    while todo:
        name = todo.pop()
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            extras = re.findall(r'extra\s*==\s*"([^"]+)"', str(req.marker or ""))
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or [""])):
                continue
            dep = canonicalize_name(req.name)
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def differences(pins: dict[str, str]) -> list[str]:
    """One line per package whose installed version is not the locked one, or that the lock lacks."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = [f"{name} {version} is installed, the lock pins {pins[name]}"
                for name, version in sorted(installed.items()) if name in pins and version != pins[name]]
    problems += [f"{name} {installed[name]} is installed and needed, but the lock does not pin it"
                 for name in sorted(needed_here() - _TOOLING) if name in installed and name not in pins]
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lock", nargs="?", type=Path, default=ROOT / "requirements.lock")
    lock = parser.parse_args(argv[1:]).lock
    problems = differences(locked_versions(lock))
    if not problems:
        print(f"check_lock: the environment matches {lock.name}")
        return 0
    print(f"check_lock: this environment differs from {lock.name} (the versions tests and notebooks expect):",
          *(f"  - {p}" for p in problems),
          "Fix: `make clean && make test` installs from the lock again; after changing dependencies in "
          "pyproject.toml, refresh the lock with `make lock` and commit it.", sep="\n", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
