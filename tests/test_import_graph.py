"""The package's import graph, drawn from the source: no cycles, and the core's layers hold.

Every ``import`` statement counts: at module level, under ``if TYPE_CHECKING:``
and, for the core's boundary, inside functions too. A cycle anywhere in
``pytest_authmock/`` fails, naming the modules on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_authmock

PACKAGE = Path(pytest_authmock.__file__).parent
ROOT = "pytest_authmock"

#: The core's layers, lowest first: a module imports only its own layer or lower ones.
LAYERS: dict[str, tuple[str, ...]] = {
    "state": (
        "errors",
        "limits",
        "http",
        "models",
        "scopes",
        "pkce",
        "paths",
        "clock",
        "config",
        "flow_state",
        "store",
        "identities",
        "journal",
        "redirects",
        "client_auth",
        "registration",
        "device_codes",
        "faults",
        "openapi",
        "replay",
        "algorithms",
        "jwtcheck",
        "jwks_fetch",
        "trust",
        "client_assertion",
        "dpop",
        "switches",
        "choices",
        "claims_layout",
        "protocol_state",
        "indicators",
        "pushed_requests",
        "challenges",
        "client_metadata",
    ),
    "tokens": (
        "keys",
        "tokens",
        "claims",
        "context",
        "bearer",
        "resource",
        "resource_metadata",
        "api_tokens",
        "pages",
        "sessions",
    ),
    "grants": ("grants",),
    "endpoints": ("endpoints",),
    "routes": ("routes",),
    "facade": (
        "facade_base",
        "setup_api",
        "tokens_api",
        "faults_api",
        "flows_api",
        "protocol_api",
        "assertions_api",
        "profile",
        "idp",
    ),
}
#: What the core never imports: transports, the pytest face, ``authmock serve``, the
#: setup file format, the client library and the contract suite.
OUTSIDE_THE_CORE = (
    "pytest_authmock.transport",
    "pytest_authmock.plugin",
    "pytest_authmock.fixture_options",
    "pytest_authmock.factory_fixtures",
    "pytest_authmock.server_fixtures",
    "pytest_authmock.serve",
    "pytest_authmock.serve_config",
    "pytest_authmock.cli",
    "pytest_authmock.config_file",
    "pytest_authmock.client",
    "pytest_authmock.contract",
)
#: The one function-level import from the core into a transport: the documented
#: ``idp.handler`` shortcut builds the in-process transport when it is asked for.
CORE_TO_TRANSPORT_ON_DEMAND = {
    ("pytest_authmock.provider.idp", "pytest_authmock.transport.in_process")
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    module = _resolve(importer, node)
    for alias in node.names:
        submodule = f"{module}.{alias.name}"
        yield submodule if submodule in MODULES else module


def _imports(name: str, *, functions: bool) -> set[str]:
    """Package modules ``name`` imports: at module level (and ``TYPE_CHECKING``), or in functions."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, (ast.Import, ast.ImportFrom)) and nested == functions:
                found.update(t for t in _targets(name, child) if t.startswith(ROOT + "."))
            visit(child, nested)

    visit(tree, False)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: _imports(name, functions=False) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _layer(module: str) -> int | None:
    if not module.startswith(f"{ROOT}.provider."):
        return None
    first = module.split(".")[2]
    for rank, members in enumerate(LAYERS.values()):
        if first in members:
            return rank
    return None


def test_the_walk_sees_the_package() -> None:
    assert f"{ROOT}.provider.idp" in MODULES
    assert f"{ROOT}.provider.routes" in GRAPH[f"{ROOT}.provider.idp"]
    assert f"{ROOT}.provider.grants.password" in GRAPH[f"{ROOT}.provider.routes"]
    # TYPE_CHECKING imports count: the root package names its types that way.
    assert f"{ROOT}.provider.idp" in GRAPH[ROOT]


def test_no_import_cycle_in_the_package() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("functions", [False, True], ids=["module level", "in functions"])
def test_the_core_imports_no_transport_pytest_or_serve(functions: bool) -> None:
    offending = sorted(
        (name, target)
        for name in MODULES
        if name.startswith(f"{ROOT}.provider")
        for target in _imports(name, functions=functions)
        if target.startswith(OUTSIDE_THE_CORE) and (name, target) not in CORE_TO_TRANSPORT_ON_DEMAND
    )
    assert not offending


def test_every_core_module_has_a_layer() -> None:
    core = [name for name in MODULES if name.startswith(f"{ROOT}.provider.")]
    assert [name for name in core if _layer(name) is None] == []


def test_the_core_imports_only_downward() -> None:
    upward = sorted(
        f"{name} ({list(LAYERS)[_layer(name) or 0]}) imports {target}"
        for name in MODULES
        if _layer(name) is not None
        for target in GRAPH[name]
        if (rank := _layer(target)) is not None and rank > (_layer(name) or 0)
    )
    assert not upward, "\n".join(upward)


def test_no_handler_takes_the_facade() -> None:
    below_the_facade = [
        name
        for name in MODULES
        if (rank := _layer(name)) is not None and rank < list(LAYERS).index("facade")
    ]
    assert [n for n in below_the_facade if f"{ROOT}.provider.idp" in GRAPH[n]] == []
