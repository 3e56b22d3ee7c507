"""The size rules of the house (issue 12, move 5), checked on every module of ``engine/``.

No function over 80 lines outside the kernels, no kernel over 150, no file over 700 (lines as
written, docstrings included).  A planted long function checks that the walk finds one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "engine"
MAX_FUNCTION, MAX_KERNEL, MAX_FILE = 80, 150, 700


def long_functions(source: str, is_kernel: bool) -> list[tuple[str, int]]:
    """``(name, lines)`` of every function of ``source`` longer than its limit."""
    limit = MAX_KERNEL if is_kernel else MAX_FUNCTION
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > limit:
                out.append((node.name, n))
    return out


def test_the_walk_finds_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION))
    assert long_functions(f"def f():\n{body}\n", False) == [("f", MAX_FUNCTION + 1)]
    assert long_functions(f"def f():\n{body}\n", True) == []


def test_no_long_function_or_file():
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        text = path.read_text()
        rel = path.relative_to(ENGINE.parent)
        if len(text.splitlines()) > MAX_FILE:
            found.append(f"{rel}: {len(text.splitlines())} lines")
        found += [f"{rel}:{name} {n} lines" for name, n in long_functions(text, "_nb" in path.name)]
    assert found == []
