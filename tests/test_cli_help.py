"""A terminal that feels finished: help without code markup and with examples that parse, the
README synopsis and ``--methodology`` help naming everything there is, a one-line notice before the
kernels are compiled, an ``export-data`` that does not replace a folder unasked, and a notebook
command in the README that works."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from engine import _jit
from engine._terminal import EXAMPLES
from engine.cli import main, make_parser

REPO = Path(__file__).resolve().parents[1]
MARKUP = re.compile(r"``|:(data|math|func|class|meth|attr|mod):")


def _commands(parser) -> dict:
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)


def test_help_has_no_markup_and_every_command_shows_examples_that_parse():
    parser = make_parser()
    assert not MARKUP.search(parser.format_help()), parser.format_help()
    commands = _commands(parser)
    assert set(commands) == set(EXAMPLES)
    for name, sub in commands.items():
        text = sub.format_help()
        assert not MARKUP.search(text), f"{name}: {text}"
        assert "\nexamples:\n" in text, name
        shown = [line.strip() for line in text.splitlines() if line.startswith("  hsidi ")]
        assert len(shown) == len(EXAMPLES[name]) >= 1
        for example in shown:
            args = make_parser().parse_args(shlex.split(example)[1:])
            assert args.command == name, example


def test_methodology_help_lists_every_name_it_accepts():
    from engine.rules import methodology_dir
    from engine.rules.methodology import resolve

    versions = sorted(p.stem for p in methodology_dir().glob("*.toml"))
    assert len(versions) >= 2
    commands = _commands(make_parser())
    for name in ("build", "backtest", "report"):
        option = next(a for a in commands[name]._actions if a.dest == "methodology")
        assert re.search(r"\bhsidi\b(?!-)", option.help), option.help
        for v in versions:
            assert v in option.help, (name, v)
    resolve("hsidi")  # the history name the help offers resolves


def test_readme_synopsis_lists_every_command():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    for name in _commands(make_parser()):
        assert re.search(rf"^    hsidi {re.escape(name)}\b", section, flags=re.M), name
    for option in ("--strict", "--replace", "--quiet"):
        assert option in section


def test_build_prints_lines_that_fit_100_columns(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["build", "--out", str(out), "--quiet", "--methodology", "hsidi"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert any(line.strip().startswith("left, other:") for line in said)
    long = [line for line in said if len(line) > 100 and str(out) not in line]
    assert not long, long


# ---------------------------------------------------------------------- first run
def test_first_run_says_it_compiles_the_kernels(tmp_path, capsys, monkeypatch):
    cold = tmp_path / "cache"
    cold.mkdir()
    monkeypatch.setattr(_jit, "cache_dir", lambda: str(cold))
    nowhere = ["backtest", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]
    assert main(nowhere) == 2  # the notice comes before any work, even work that then fails
    notice = [line for line in capsys.readouterr().err.splitlines() if "compiling" in line]
    assert len(notice) == 1 and str(cold) in notice[0] and "once per machine" in notice[0]
    assert re.search(r"about \d+ s", notice[0])
    (cold / "x").mkdir()
    (cold / "x" / "kernel.py.f-1.nbi").write_bytes(b"")  # what Numba leaves after a compile
    assert main(nowhere) == 2
    assert "compiling" not in capsys.readouterr().err
    (cold / "x" / "kernel.py.f-1.nbi").unlink()
    monkeypatch.setattr(_jit.config, "DISABLE_JIT", True)  # nothing is compiled: nothing said
    assert main(nowhere) == 2
    assert "compiling" not in capsys.readouterr().err


def test_cache_is_cold_until_numba_has_cached_a_kernel(tmp_path, monkeypatch):
    """The notice's test against Numba's own cache layout, not a guess of it."""
    monkeypatch.setattr(_jit, "cache_dir", lambda: str(tmp_path))
    assert _jit.cache_is_cold()
    module = tmp_path / "tiny_kernel.py"
    module.write_text(
        "from engine._jit import njit\n\n@njit\ndef twice(x):\n    return 2 * x\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import tiny_kernel

    assert tiny_kernel.twice(3) == 6
    assert not _jit.cache_is_cold()


# ---------------------------------------------------------------------- export-data
def test_export_data_does_not_replace_a_folder_unasked(tmp_path, capsys):
    data = tmp_path / "m"
    assert main(["export-data", "--out", str(data), "--format", "csv"]) == 0
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    assert main(["export-data", "--out", str(data)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hsidi export-data: error:")
    assert "--replace" in err[0] and str(data) in err[0]
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert main(["export-data", "--out", str(data), "--replace"]) == 0
    names = sorted(p.name for p in data.iterdir())
    assert "prices.parquet" in names and "prices.csv" not in names
    assert "Replaced" in capsys.readouterr().out


def test_export_data_creates_the_folder_with_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["export-data", "--out", str(tmp_path / "m")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o755


# ---------------------------------------------------------------------- notebooks
@pytest.mark.slow
def test_readme_notebook_command_runs_a_notebook(tmp_path):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "python -m pytest tests/test_notebooks.py" in text
    line = next(x.strip() for x in text.splitlines() if x.strip().startswith("jupyter execute "))
    target = REPO / shlex.split(line)[2]
    assert target.is_file(), line
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import engine")])
    nbformat.write(notebook, tmp_path / "n.ipynb")
    jupyter = Path(sys.executable).parent / "jupyter"
    assert jupyter.exists(), "the dev extra (nbclient, jupyter_core) installs the jupyter script"
    done = subprocess.run(
        [str(jupyter), "execute", str(tmp_path / "n.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
