"""The house plan, checked from the source: dependencies one way, no cycles, the layers under the one search as
folders (``wire/`` over ``store/`` over the bottom floor), the wire vocabulary and the secret helpers written once.

The import graph is built from the AST of every module (imports inside functions and under TYPE_CHECKING
count too: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "patsnap_analytics"
# the API's paths as the tests' own spec (not imported from the code under test)
API_PATHS = ("/oauth/token", "/image-search/image-upload", "/image-search/search-id", "/image-search/results",
             "/search/patent/image-single", "/search/patent/image-single/beta", "/search/patent/image-multiple",
             "/basic-patent-data/simple-bibliography",
             "/basic-patent-data/simple-legal-status", "/basic-patent-data/legal-status",
             "/search/patent/patent-search-pn", "/basic-patent-data/abstract-image",
             "/search/patent/image-search/single-batch-create", "/search/patent/image-search/single-batch-result")
# what the sandbox may use: the bottom floor of the package
SANDBOX_MAY_IMPORT = {"api", "errors", "codes", "loc", "images", "query", "settings"}
# the core modules that may import the sandbox: connect() starts it; the CLI mounts its own command line
MAY_IMPORT_SANDBOX = {"connect", "cli"}
# the bottom floor: imports nothing above it, and is all the layers below the one search may import
BOTTOM = {"api", "errors", "codes", "loc", "settings", "renames", "redact"}
# the layers under the one search, as folders (issue 24): one call, and what is kept beside the calls
LAYERS = {"wire": {"transport", "auth", "retry", "http_limits", "checks", "gates", "stats"},
          "store": {"keys", "answers", "health", "session", "file", "backends", "tables", "ledger", "flight",
                    "team"}}
# the one direction allowed between them: the transport stores the answers it checked, the gates share a
# team's Redis; the store never imports the wire
LAYER_MAY_IMPORT = {"wire": {"store"}, "store": set()}
# modules of those layers that lived at the top level before they had folders
MOVED_FROM_TOP = {"cache", "cachefile", "answers", "transport", "auth", "retry", "http_limits", "gates", "stats",
                  "flight", "team"}
# the old module paths kept one release, each a shim that warns (renames.warn_renamed) and holds nothing else
SHIMS = {"team": "store.team"}
# the secret helpers: one module (the secret *names* are api.py's)
SECRET_HELPERS = ("Secret", "reveal", "mask", "mask_url", "redact", "blank", "blank_echoes", "holds_secret",
                  "RedactingFilter")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports (resolving relative imports; ``from . import x`` -> module x)."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("patsnap_analytics"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                target = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith("patsnap_analytics"):
                target = node.module
            else:
                continue
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known)
    return {m for m in found if m in known and m != name}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    # the package's __init__ files are facades re-exporting names; an edge through them is not a design choice
    return {name: {m for m in imports_of(name, path, known) if mods[m].name != "__init__.py"}
            for name, path in mods.items() if path.name != "__init__.py"}


def _short(name: str) -> str:
    return name.removeprefix("patsnap_analytics.")


def test_the_import_graph_has_no_cycle(graph):
    # iterative DFS with colours; report the first cycle found as a readable chain
    colour: dict[str, int] = defaultdict(int)
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                cycle = [*path[path.index(child):], child]
                pytest.fail("import cycle: " + " -> ".join(_short(m) for m in cycle))
            elif colour[child] == 0:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))


def test_the_sandbox_imports_only_the_bottom_floor(graph):
    wrong = {(_short(m), _short(dep)) for m, deps in graph.items() if m.startswith("patsnap_analytics.sandbox")
             for dep in deps if not dep.startswith("patsnap_analytics.sandbox")
             and _short(dep) not in SANDBOX_MAY_IMPORT}
    assert not wrong, f"the sandbox imports from the client side: {sorted(wrong)}"


def test_only_connect_and_the_cli_import_the_sandbox(graph):
    wrong = {(_short(m), _short(dep)) for m, deps in graph.items() if not m.startswith("patsnap_analytics.sandbox")
             and _short(m) not in MAY_IMPORT_SANDBOX for dep in deps if dep.startswith("patsnap_analytics.sandbox")}
    assert not wrong, f"modules outside connect/cli import the sandbox: {sorted(wrong)}"


def _constants(path: Path) -> list[ast.Constant]:
    """Every str or bytes constant of a module except docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes))
            and id(n) not in docstrings]


def _string_literals(path: Path) -> list[str]:
    """Every string constant of a module except docstrings."""
    return [c.value for c in _constants(path) if isinstance(c.value, str)]


@pytest.mark.parametrize("api_path", API_PATHS)
def test_each_api_path_is_written_once_in_the_package(api_path):
    whole = re.compile(re.escape(api_path) + r"(?![\w/-])")  # /image-single is not /image-single/beta
    places = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
              for text in _string_literals(p) if whole.search(text)]
    assert places == ["api.py"], f"{api_path} is written in {places}; write it in api.py only"


def test_the_client_side_has_no_magic_error_codes():
    # the sandbox answers with codes (that is its job); the client side names them through api.py's table
    for code in (68300004, 67200002, 67200003, 68300010):
        places = sorted({str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                         if "sandbox" not in p.parts
                         and any(c.value == code for c in ast.walk(ast.parse(p.read_text()))
                                 if isinstance(c, ast.Constant) and type(c.value) is int)})
        assert places == ["api.py"], f"the error code {code} is written in {places}"


# the wire's header names, the api-key parameter and the names a credential travels under, as the tests' own spec
HEADER_NAMES = ("X-PatSnap-Version", "x-correlation-id", "X-PatSnap-Sandbox", "Authorization", "Retry-After",
                "X-API-KEY", "Cookie")
WIRE_ONLY_NAMES = ("apikey", "access_token", "refresh_token")
SECRET_NAMES = ("apikey", "api_key", "Authorization", "access_token", "refresh_token", "token", "client_id",
                "client_secret", "secret", "password", "X-API-KEY", "Cookie")


@pytest.mark.parametrize("name", HEADER_NAMES + WIRE_ONLY_NAMES)
def test_header_names_and_the_apikey_parameter_are_written_once_in_the_package(name):
    # a name used as a name (a constant equal to it, in any case, as text or bytes), not a message that mentions it
    places = sorted({str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") for c in _constants(p)
                     if (c.value.decode("latin-1") if isinstance(c.value, bytes) else c.value).lower()
                     == name.lower()})
    assert places == ["api.py"], f"{name!r} is written in {places}; name it through api.py"


def test_the_secret_names_are_listed_once_in_the_package():
    # the cache's ignored parameters and the redaction of logs once kept two lists sharing half their names; a
    # list of two or more names only a credential goes by (client_id and client_secret are also Python names)
    secret = {n.lower() for n in SECRET_NAMES} - {"client_id", "client_secret", "api_key", "token", "secret"}
    places = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else []
            named = [e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)
                     and e.value.lower() in secret]
            joined = node.value.lower().split("|") if isinstance(node, ast.Constant) and \
                isinstance(node.value, str) and "|" in node.value else []
            if len(named) >= 2 or len(secret.intersection(joined)) >= 2:
                places.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(places)) == ["api.py"], f"secret names are listed in {sorted(places)}; list them in api.py only"



# ------------------------------------------------------------------ the floors as folders (issue 24)

def _layer(name: str) -> str | None:
    """``"wire"`` or ``"store"`` for a module of those folders, else ``None``."""
    parts = _short(name).split(".")
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else None


def test_each_layer_s_modules_live_in_its_folder():
    for folder, names in LAYERS.items():
        missing = sorted(n for n in names if not (PACKAGE / folder / f"{n}.py").is_file())
        assert not missing, f"{folder}/ lacks {missing}"


def test_wire_and_store_import_only_the_bottom_floor_their_folder_and_wire_the_store(graph):
    # nothing in them imports the one search, the client, workflows or a face; the store never imports the wire
    wrong = set()
    for module, deps in graph.items():
        folder = _layer(module)
        if folder is None:
            continue
        allowed = {folder, *LAYER_MAY_IMPORT[folder]}
        wrong |= {(_short(module), _short(dep)) for dep in deps
                  if _short(dep) not in BOTTOM and _layer(dep) not in allowed}
    assert not wrong, f"the wire/store layers import above the bottom floor or against the one direction: " \
                      f"{sorted(wrong)}"


def test_the_bottom_floor_imports_nothing_above_it(graph):
    wrong = {(m, _short(dep)) for m in BOTTOM for dep in graph[f"patsnap_analytics.{m}"] if _short(dep) not in BOTTOM}
    assert not wrong, f"the bottom floor imports a floor above: {sorted(wrong)}"


def test_the_top_level_holds_no_module_of_the_layers_but_shims(graph):
    at_top = sorted(n for n in MOVED_FROM_TOP | set().union(*LAYERS.values()) if (PACKAGE / f"{n}.py").exists())
    assert set(at_top) <= set(SHIMS), f"modules of wire/ or store/ at the top level: {sorted(set(at_top) - set(SHIMS))}"
    for name in at_top:
        deps = {_short(d) for d in graph[f"patsnap_analytics.{name}"]}
        assert deps <= {"renames", SHIMS[name]}, f"{name}.py is a shim: it imports only renames and {SHIMS[name]}"
        defined = [n.name for n in ast.parse((PACKAGE / f"{name}.py").read_text()).body
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign))]
        assert defined == ["__getattr__"], f"{name}.py is a shim: it defines {defined}, only __getattr__ (a warning)"


def test_the_secret_helpers_are_one_module():
    # Secret, mask, redact... once lived in settings, auth, transport, team and cache: now redact.py, and the mask
    # itself ("***") is written there only
    places = sorted({(str(p.relative_to(PACKAGE)), n.name) for p in PACKAGE.rglob("*.py")
                     for n in ast.walk(ast.parse(p.read_text()))
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in SECRET_HELPERS
                     and p.name != "redact.py"})
    assert not places, f"secret helpers defined outside redact.py: {places}"
    masks = sorted({str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") for c in _string_literals(p)
                    if c == "***"})
    assert masks == ["redact.py"], f"the mask '***' is written in {masks}; use redact.MASK"
