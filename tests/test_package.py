"""The package surface: a light import, the public names of the contract, and the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PKG = "patsnap_analytics"

HEAVY = ("matplotlib", "ipywidgets", "fastapi", "uvicorn", "starlette", "skimage", "scipy", "cv2", "IPython",
         "sklearn", "ir_measures", "pytrec_eval", "openpyxl", "patsnap_analytics.study",
         "patsnap_analytics.sandbox", "patsnap_analytics.plots", "patsnap_analytics.widgets",
         # requests-cache loads every backend it knows (redis-py too): ~120 ms, paid when a client opens its cache
         "requests_cache", "redis")


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


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "patsnap_analytics.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for command in ("search", "demo", "cache", "sandbox"):
        assert command in out


def test_a_built_wheel_carries_the_sample_data_once(tmp_path):
    """data/ is the one copy of the sample drawings, verdicts and portfolio; the package reaches it through its
    ``data`` link, which setuptools copies into the wheel as files (pip users get them, and no second copy is
    committed)."""
    import zipfile

    root = Path(__file__).resolve().parents[1]
    assert (root / "patsnap_analytics" / "data").is_symlink() and not (root / "patsnap_analytics" / "samples").exists()
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=600, cwd=tmp_path)
    (wheel,) = tmp_path.glob("patsnap_analytics-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    drawings = sorted(p.name for p in (root / "data" / "queries").glob("*.png"))
    assert len(drawings) == 8
    for name in drawings:
        assert f"patsnap_analytics/data/queries/{name}" in names, name
    for name in ("README.md", "verdicts.csv", "portfolio.csv", "queries/README.md"):
        assert f"patsnap_analytics/data/{name}" in names, name
