"""Stages only import forward, and no two modules of ``engine`` import each other (issue 12, move 2).

Every module under ``engine/`` is parsed with :mod:`ast`; every import it makes counts, wherever it
sits (module level, inside a function or a method, under ``try``): ``import engine.x``, ``from
engine.x import y``, ``from engine import x`` (``engine.x`` when it is a module, else ``engine``),
relative imports, and ``importlib.import_module("engine.x")`` with a string literal.  A call of
``import_module`` with anything but a literal (the lazy accessor of ``engine/__init__.py``,
``import_module(f"engine.{name}")``) names no module and is not an edge.  There is no allow-list.

The stage table (rank: a module may import modules of its own rank or lower, never higher):

====  =========  ================================================================================
rank  stage      modules
====  =========  ================================================================================
0     base       ``engine/__init__``, ``errors``, ``codes``, ``conventions``, ``_jit``, ``_display``,
                 ``_files``, ``metrics``, ``metrics_nb``, ``plotting`` and its modules (a leaf: it
                 reads results by their attributes and imports no stage)
1     data       ``engine/data/*``, ``engine/prepare.py``
2     rules      ``engine/rules/*``
3     index      ``engine/index/*`` (the batch, ``engine/index/batch.py``), ``engine/pipeline.py``
                 (``build_index``: rules then index), ``engine/batch.py`` (deprecated alias)
4     fund       ``engine/fund/*``
5     analytics  ``engine/analytics/*``
6     sweep      ``engine/sweep/*``
7     report     ``engine/report/*``
8     cli        ``engine/cli.py``, ``engine/_commands.py``, ``engine/_verify.py``,
                 ``engine/_terminal.py``
====  =========  ================================================================================

``engine/prepare.py`` sits in the data stage: it turns a :class:`~engine.data.market.MarketData`
into the arrays the kernels read (corporate actions as records, restatement factors, withholding
rates) and imports nothing but the data stage and the base.  The rules, the index and the fund all
read it, so it must sit no later than the first of them; what it reads of a review schedule it
reads by attribute (``review.table``, ``review.cap_date``), without importing the rules.

Imports inside ``if TYPE_CHECKING:`` are checked for direction (a type named from a later stage is
still a dependency on it) but are not edges of the cycle check (they never run).

A new module outside this table fails :func:`test_every_module_has_a_stage`: put it in a stage.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"

BASE = (
    "engine",
    "engine.errors",
    "engine.enums",
    "engine.codes",
    "engine.conventions",
    "engine._jit",
    "engine._display",
    "engine._files",
    "engine._args",
    "engine._settings",
    "engine.covariance",
    "engine.covariance_nb",
    "engine.metrics",
    "engine.metrics_nb",
    "engine.plotting",
    "engine.plotting._base",
    "engine.plotting.desk",
    "engine.plotting.fund",
    "engine.plotting.index",
)
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", BASE),
    ("data", ("engine.data", "engine.prepare")),
    ("rules", ("engine.rules",)),
    ("index", ("engine.index", "engine.pipeline", "engine.batch")),
    ("fund", ("engine.fund",)),
    ("analytics", ("engine.analytics",)),
    ("sweep", ("engine.sweep",)),
    ("report", ("engine.report",)),
    ("cli", ("engine.cli", "engine._commands", "engine._verify", "engine._terminal")),
)
"""``(stage, module prefixes)`` in rank order (rank = position); see the module docstring."""


def stage_of(module: str) -> tuple[int, str] | None:
    """``(rank, stage)`` of a dotted module name, or None when no stage claims it.

    A base entry names exactly one module (``engine`` itself must not claim every submodule); the
    other entries name a module and everything below it.
    """
    for rank, (stage, prefixes) in enumerate(STAGES):
        for prefix in prefixes:
            exact = stage == "base"
            if module == prefix or (not exact and module.startswith(prefix + ".")):
                return rank, stage
    return None


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` at ``line``; ``typing_only`` under TYPE_CHECKING."""

    source: str
    target: str
    line: int
    typing_only: bool = False


def module_name(path: Path, root: Path) -> str:
    """Dotted name of a file below ``root``'s parent (``engine/data/market.py`` -> ``engine.data.market``)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> list[Edge]:
    """Every import of an ``engine`` module that ``source`` (the text of ``module``) makes.

    ``from a import b`` is an edge to ``a.b`` when that is a module in ``known``, else to ``a``.
    """
    tree = ast.parse(source)
    typing_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        typing_lines.add(sub.lineno)
    edges: list[Edge] = []

    def add(target: str, node: ast.AST) -> None:
        if target == "engine" or target.startswith("engine."):
            edges.append(Edge(module, target, node.lineno, node.lineno in typing_lines))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = _resolve_relative(module, is_package, node.level, node.module)
            else:
                parent = node.module or ""
            for alias in node.names:
                child = f"{parent}.{alias.name}"
                add(child if child in known else parent, node)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "import_module" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    add(arg.value, node)
    return edges


def engine_graph(root: Path = ENGINE) -> tuple[set[str], list[Edge]]:
    """The modules of the package at ``root`` and every import between them."""
    files = sorted(root.rglob("*.py"))
    names = {module_name(p, root): p for p in files}
    known = set(names)
    edges: list[Edge] = []
    for name, path in names.items():
        is_package = path.name == "__init__.py"
        edges += imports_of(path.read_text(encoding="utf-8"), name, is_package, known)
    # `import engine.data.market` imports engine.data too, but the edge that matters is the module
    return known, [e for e in edges if e.target in known and e.target != e.source]


def backward_imports(edges, stage=stage_of) -> list[str]:
    """Each import whose target sits in a later stage than its source, as a readable line."""
    out = []
    for e in edges:
        src, dst = stage(e.source), stage(e.target)
        if src is None or dst is None:
            continue
        if dst[0] > src[0]:
            out.append(
                f"{e.source} (stage {src[1]}) imports {e.target} (stage {dst[1]}) at line {e.line}"
            )
    return sorted(set(out))


def strongly_connected(nodes, edges) -> list[list[str]]:
    """Tarjan's strongly connected components of the graph ``edges`` (``(a, b)`` pairs) over
    ``nodes``, each sorted, in discovery order; iterative (no recursion limit)."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(succ):
        if start in index:
            continue
        work = [(start, iter(succ[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    out.append(sorted(comp))
    return out


def _cycle_in(component: list[str], pairs) -> list[str]:
    """One cycle through the component's first module, for the message (a BFS back to it)."""
    inside = set(component)
    succ: dict[str, list[str]] = {}
    for a, b in pairs:
        if a in inside and b in inside:
            succ.setdefault(a, []).append(b)
    start = component[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(succ.get(node, [])):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if nxt not in prev:
                    prev[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return component


def cycles(nodes, edges) -> list[str]:
    """Each import cycle (a strongly connected component of more than one module), as one line
    ``a -> b -> ... -> a``; imports under ``TYPE_CHECKING`` are left out."""
    pairs = {(e.source, e.target) for e in edges if not e.typing_only}
    out = []
    for comp in strongly_connected(nodes, pairs):
        if len(comp) > 1:
            cycle = _cycle_in(comp, pairs)
            more = f" (one cycle of {len(comp)} modules that import each other: {comp})"
            out.append(" -> ".join(cycle) + (more if len(cycle) - 1 < len(comp) else ""))
    return out


# ---------------------------------------------------------------------------------- the checks
def test_every_module_has_a_stage():
    known, _ = engine_graph()
    missing = sorted(m for m in known if stage_of(m) is None)
    assert not missing, f"modules in no stage of tests/test_layers.py STAGES: {missing}"


def test_no_import_from_a_later_stage():
    _, edges = engine_graph()
    bad = backward_imports(edges)
    assert not bad, "imports from a later stage:\n" + "\n".join(bad)


def test_no_import_cycle():
    known, edges = engine_graph()
    found = cycles(known, edges)
    assert not found, "import cycles:\n" + "\n".join(found)


# -------------------------------------------------------------------- the checker can fail
def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "engine"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_finds_a_planted_backward_import_and_cycle(tmp_path):
    root = _fake_package(
        tmp_path,
        {
            "__init__.py": "import importlib\n"
            "def __getattr__(name):\n    return importlib.import_module(f'engine.{name}')\n",
            "errors.py": "",
            "data/__init__.py": "",
            "data/market.py": "from engine.errors import x\n"
            "def f():\n    from . import validate\n",  # function-level, relative
            "data/validate.py": "import engine.data.market\n",  # the cycle's other half
            "rules/__init__.py": "",
            "rules/run.py": "from engine.data import market\n",  # forward: fine
            "index/__init__.py": "",
            "index/compute.py": "import importlib\n"
            "def g():\n    return importlib.import_module('engine.fund.backtest')\n",
            "fund/__init__.py": "",
            "fund/backtest.py": "from engine.index.compute import g\n",
            "analytics/__init__.py": "",
            "analytics/typing.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from engine.report import figures\n",
            "report/__init__.py": "",
            "report/figures.py": "from engine.analytics import typing\n",
        },
    )
    known, edges = engine_graph(root)
    pairs = {(e.source, e.target) for e in edges}
    assert ("engine.data.market", "engine.data.validate") in pairs  # relative, in a function
    assert ("engine.rules.run", "engine.data.market") in pairs  # `from package import module`
    assert not any(e.source == "engine" for e in edges)  # the non-literal lazy accessor
    assert backward_imports(edges) == [
        "engine.analytics.typing (stage analytics) imports engine.report.figures (stage report) "
        "at line 3",
        "engine.index.compute (stage index) imports engine.fund.backtest (stage fund) at line 3",
    ]
    found = cycles(known, edges)
    # index.compute <-> fund.backtest and data.market <-> data.validate; the analytics/report pair
    # goes through TYPE_CHECKING only and is not a cycle
    assert sorted(found) == [
        "engine.data.market -> engine.data.validate -> engine.data.market",
        "engine.fund.backtest -> engine.index.compute -> engine.fund.backtest",
    ]


def test_tarjan_on_a_longer_cycle_and_a_dag():
    chain = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "b"), ("a", "e")]
    comps = strongly_connected("abcde", chain)
    assert sorted(c for c in comps if len(c) > 1) == [["b", "c", "d"]]
    assert _cycle_in(["b", "c", "d"], chain) == ["b", "c", "d", "b"]
    dag = [("a", "b"), ("b", "c"), ("a", "c")]
    assert all(len(c) == 1 for c in strongly_connected("abc", dag))


@pytest.mark.parametrize(
    ("module", "stage"),
    [
        ("engine", "base"),
        ("engine.enums", "base"),
        ("engine.codes", "base"),
        ("engine.prepare", "data"),
        ("engine.data.validate.prices", "data"),
        ("engine.index.batch", "index"),
        ("engine.pipeline", "index"),
        ("engine.cli", "cli"),
        ("engine.codesx", None),
    ],
)
def test_stage_table(module, stage):
    found = stage_of(module)
    assert (found[1] if found else None) == stage
