"""The settings table of a report: each field of a dataclass config with its value, whether it is an
assumption (or which sources give it) and the first sentence of its documentation."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd


def _attribute_docs(cls) -> dict[str, str]:
    """The docstring written under each field of a dataclass (``field: type = value`` then a string)."""
    import ast
    import inspect
    import textwrap as _tw

    try:
        tree = ast.parse(_tw.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for node, nxt in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _status(doc: str) -> str:
    low = doc.lower()
    if "assumption" in low or "unconfirmed" in low:
        return "ASSUMPTION"
    tags = re.findall(r"\[S\d+\]", doc)
    return "source " + " ".join(dict.fromkeys(tags)) if tags else ""


def settings_table(config) -> pd.DataFrame:
    """``setting, value, status, documentation`` rows of a dataclass config: ``status`` is
    ``ASSUMPTION`` where the field's documentation says assumption or UNCONFIRMED, else the sources
    it cites; ``documentation`` the field's documentation."""
    columns = ["setting", "value", "status", "documentation"]
    if config is None:
        return pd.DataFrame([["config", "(none recorded)", "", ""]], columns=columns)
    if dataclasses.is_dataclass(config):
        items = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    else:
        items = {k: v for k, v in vars(config).items() if not k.startswith("_")}
    docs = _attribute_docs(type(config))

    def show(v):
        if isinstance(v, pd.Timestamp):
            return str(v.date())
        if isinstance(v, tuple) and v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return ", ".join(f"{a}: {b:g}" if isinstance(b, float) else f"{a}: {b}" for a, b in v)
        if isinstance(v, tuple):
            return ", ".join(map(str, v))
        return str(v)

    rows = []
    for k, v in items.items():
        doc = docs.get(k, "")
        first = re.split(r"(?<=[.;])\s", doc, maxsplit=1)[0] if doc else ""
        rows.append(
            {"setting": k, "value": show(v), "status": _status(doc), "documentation": first}
        )
    return pd.DataFrame(rows, columns=columns)


__all__ = ["settings_table"]
