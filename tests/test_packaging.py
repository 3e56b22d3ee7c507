"""The engine as a user gets it: a built wheel installed into a fresh environment runs ``hsidi build``;
``import engine`` is quick and loads the stages on first use."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _clean_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["MPLBACKEND"] = "Agg"
    return env


def test_import_engine_is_lazy_and_stages_load_on_use():
    code = (
        "import sys, engine\n"
        "heavy = [m for m in ('pandas', 'numba', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert engine.fund.EtfConfig and engine.report.tracking_report and engine.rules.load_history\n"
        "assert callable(engine.build_index) and engine.data.default_market\n"
        "assert 'fund' in dir(engine)\n"
        "try:\n"
        "    engine.no_such_stage\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_stage' in str(exc)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=120)


def _source_copy(dest: Path) -> Path:
    """The files a build reads, copied (links kept) so the build leaves nothing in the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    dest.mkdir()
    shutil.copytree(ROOT / "engine", dest / "engine", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "methodology", dest / "methodology", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.mark.slow
def test_wheel_installs_and_hsidi_build_runs_from_it(tmp_path):
    src = _source_copy(tmp_path / "src")
    wheels = tmp_path / "wheels"
    run = dict(check=True, capture_output=True, text=True, env=_clean_env(), timeout=300)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(src)],
        **run,
    )  # fmt: skip
    (wheel,) = wheels.glob("hsidi_engine-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **run)
    vpy = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], **run
        ).stdout.strip()
    )
    # Install with this interpreter's pip into the new environment, without dependencies; the
    # dependencies are then borrowed from this environment (a path entry appended after the
    # environment's own site-packages, so the installed engine comes first), so nothing is downloaded.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(purelib),
         str(wheel)],
        **run,
    )  # fmt: skip
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (purelib / "_borrowed_deps.pth").write_text("\n".join(parents) + "\n")

    where = subprocess.run(
        [str(vpy), "-c", "import engine, engine.rules as r; print(engine.__file__); "
         "print(r.methodology_dir()); print(sorted(p.name for p in r.methodology_dir().glob('*.toml')))"],
        cwd=tmp_path, **run,
    ).stdout.splitlines()  # fmt: skip
    assert Path(where[0]).is_relative_to(purelib), where  # the installed copy, not the checkout
    assert Path(where[1]).is_relative_to(purelib) and not Path(where[1]).is_symlink()
    assert "hsidi-2023-05.toml" in where[2] and "hsidi-2025-08.toml" in where[2]

    hsidi = venv / "bin" / "hsidi"
    if not hsidi.exists():  # pip --target writes scripts under purelib/bin
        hsidi = purelib / "bin" / "hsidi"
    out = tmp_path / "out"
    done = subprocess.run(
        [str(vpy), str(hsidi), "build", "--quiet", "--out", str(out), "--methodology", "hsidi"],
        cwd=tmp_path, **run,
    )  # fmt: skip
    assert "Wrote index outputs" in done.stdout
    assert (out / "index_levels_hsidi.parquet").stat().st_size > 0
    version = subprocess.run([str(vpy), str(hsidi), "--version"], cwd=tmp_path, **run)
    assert version.stdout.strip().endswith("0.1.0")
