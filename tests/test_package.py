"""The package surface: a light import, the public names of the contract, and the console script."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import patsnap_analytics

PKG = "patsnap_analytics"

HEAVY = ("matplotlib", "ipywidgets", "fastapi", "uvicorn", "starlette", "skimage", "scipy", "IPython",
         "patsnap_analytics.sandbox", "patsnap_analytics.plots", "patsnap_analytics.widgets")


def test_import_is_light():
    code = ("import json, sys, patsnap_analytics; "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY or
                   any(m.startswith(h + ".") for h in HEAVY))
    assert not heavy, f"import patsnap_analytics loaded {heavy}"


def test_heavy_parts_load_on_first_use():
    code = ("import sys, patsnap_analytics as pa; pa.plots; "
            "print('matplotlib' in sys.modules, 'patsnap_analytics.plots' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_public_contract_names():
    import patsnap_analytics as pa

    for name in ("connect", "Client", "DesignQuery", "UploadedImage", "PatsnapError", "ValidationError",
                 "APIError", "RateLimitError", "QuotaExhaustedError", "OfflineCacheMiss"):
        assert hasattr(pa, name), name
    for method in ("upload_image", "search_designs", "search_many", "label", "fetch_image", "cache_info"):
        assert callable(getattr(pa.Client, method))
    from patsnap_analytics.sandbox import Sandbox

    for name in ("start", "stop", "configure", "fail_next", "stats_detail", "reset_stats", "add_client"):
        assert callable(getattr(Sandbox, name)), name
    assert not hasattr(Sandbox, "client")  # one way in: pa.connect(sandbox=sb)


# the package's bottom floor: what the sandbox may use (design.md); never the client side above it
SANDBOX_MAY_IMPORT = {"api", "errors", "codes", "loc", "images", "query", "settings"}


def _package_imports(source: str) -> set[str]:
    """The modules of patsnap_analytics outside the sandbox that a sandbox module's source imports (any depth)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 2:  # from .. import x / from ..x import y
            found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(PKG):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(PKG + ".")}
    return found - {"sandbox"}


def test_the_sandbox_imports_only_the_bottom_floor():
    sandbox = Path(patsnap_analytics.__file__).parent / "sandbox"
    modules = sorted(sandbox.glob("*.py"))
    assert len(modules) >= 10
    used = {path.name: _package_imports(path.read_text(encoding="utf-8")) - SANDBOX_MAY_IMPORT for path in modules}
    assert not {name: bad for name, bad in used.items() if bad}
    # the check sees every form of import, lazy ones inside functions included
    lazy = "def f():\n    from ..client import Client\n    from .. import cache\n    import patsnap_analytics.frames\n"
    assert _package_imports(lazy + "from patsnap_analytics import batch\nfrom .corpus import Corpus\n") == {
        "client", "cache", "frames", "batch"}


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "patsnap_analytics.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("search", "demo", "cache", "sandbox"):
        assert command in out
