"""``hsidi verify`` reruns only what the manifest provably describes, into its scratch folder; outputs
record the command as typed (byte-identical across folders); ``--out`` symlinks are written through;
a garbled manifest is one line and exit 2, before any work."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.terminal import one_line_error

import engine._commands as commands
import engine.cli as cli
from engine._files import MANIFEST, MANIFEST_FORMAT, read_manifest
from engine._verify import WritesPath
from engine.cli import main

BUILD = ["build", "--methodology", "hsidi", "--quiet"]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _manifest(folder: Path, runs: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT, "runs": runs}))
    return folder


# ---------------------------------------------------------------------- provenance
def _run_in(folder: Path, monkeypatch) -> None:
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert main(["export-data", "--out", "data", "--format", "csv"]) == 0
    Path("fund.toml").write_text("management_fee = 0.006\n")
    assert main([*BUILD, "--data", "data", "--out", "out"]) == 0
    assert (
        main(["backtest", "--data", "data", "--config", "fund.toml", "--quiet", "--out", "out"])
        == 0
    )


def test_same_command_in_two_folders_writes_identical_bytes(tmp_path, monkeypatch, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    _run_in(one, monkeypatch)
    _run_in(two, monkeypatch)
    a, b = _tree(one / "out"), _tree(two / "out")
    assert sorted(a) == sorted(b) and MANIFEST in a and "fund_nav.parquet" in a
    assert [name for name in a if a[name] != b[name]] == []  # manifest and Parquet metadata too
    for name, data in a.items():
        assert str(tmp_path).encode() not in data, f"{name} records a machine path"
    run = read_manifest(one / "out")["runs"]["backtest"]
    assert run["argv"] == [
        "backtest",
        "--data",
        "data",
        "--config",
        "fund.toml",
        "--quiet",
        "--out",
        "out",
    ]
    assert run["command"] == "hsidi backtest --data data --config fund.toml --quiet --out out"
    # verify from another folder: relative inputs are read where the command ran (out's parent)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["verify", "one/out"]) == 0
    said = capsys.readouterr().out
    assert "build: 6 files match" in said and "backtest: 8 files match" in said
    assert _tree(one / "out") == a  # verify writes nothing into the folder it checks
    (one / "fund.toml").write_text("management_fee = 0.007\n")  # an input changed: a mismatch
    assert main(["verify", str(one / "out")]) == 1
    assert "backtest: MISMATCH" in capsys.readouterr().out


# ---------------------------------------------------------------------- verify cannot be steered
PLANTED = {
    "second --out": ["build", "--out", "o", "--quiet", "--out", "{evil}"],
    "second --out=": ["build", "--out", "o", "--out={evil}"],
    "abbreviated --ou": ["build", "--out", "o", "--ou", "{evil}"],
    "export-data under build": ["export-data", "--out", "{evil}"],
    "unknown option": ["build", "--out", "o", "--output", "{evil}"],
    "help": ["build", "-h"],
    "empty argv": [],
    "terminal escapes": ["build", "--out", "o", "--methodology", "hsidi\x1b[2J"],
    "too long": ["build", "--out", "o", *["--quiet"] * 300],
}


@pytest.mark.parametrize("argv", PLANTED.values(), ids=PLANTED.keys())
def test_verify_refuses_a_command_it_cannot_prove(tmp_path, capsys, argv):
    evil = tmp_path / "elsewhere"
    folder = _manifest(
        tmp_path / "o", {"build": {"files": {}, "argv": [a.format(evil=evil) for a in argv]}}
    )
    before = _tree(tmp_path)
    assert main(["verify", str(folder)]) == 2
    line = one_line_error(capsys, "verify")
    assert "refuses to rerun" in line and "runs.build.argv" in line
    assert not evil.exists() and _tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_verify_refuses_any_other_option_that_writes_a_path(tmp_path, capsys, monkeypatch):
    """An option declared as writing a path (as --out is) other than --out is refused."""
    make = cli.make_parser

    def with_log_option():
        parser = make()
        build = parser._subparsers._group_actions[0].choices["build"]
        build.add_argument("--log", action=WritesPath)  # a future option writing a file
        return parser

    monkeypatch.setattr(cli, "make_parser", with_log_option)
    evil = tmp_path / "log.txt"
    argv = ["build", "--out", "o", "--log", str(evil)]
    folder = _manifest(tmp_path / "o", {"build": {"files": {}, "argv": argv}})
    assert main(["verify", str(folder)]) == 2
    line = one_line_error(capsys, "verify")
    assert "writes a path other than --out" in line and "value='log'" in line
    assert not evil.exists()


def test_verify_of_a_missing_folder_or_a_file_names_it(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in one_line_error(capsys, "verify")
    (tmp_path / "f").write_text("x")
    assert main(["verify", str(tmp_path / "f")]) == 2
    assert "not a folder" in one_line_error(capsys, "verify")


@pytest.mark.parametrize("run", ["export-data", "verify", "check"])
def test_verify_reruns_only_commands_that_write_an_output_set(tmp_path, capsys, run):
    evil = tmp_path / "elsewhere"
    folder = _manifest(tmp_path / "o", {run: {"files": {}, "argv": [run, "--out", str(evil)]}})
    assert main(["verify", str(folder)]) == 2
    assert "must be one of build" in one_line_error(capsys, "verify")
    assert not evil.exists()


def test_verify_forces_the_rerun_into_its_scratch_folder(tmp_path, capsys, monkeypatch):
    """A well-formed recorded --out pointing elsewhere is replaced by the scratch folder."""
    from engine.errors import DataError

    seen = []

    def fake_build(args):
        seen.append((args.out, args.argv))
        raise DataError("stopped by the test")

    monkeypatch.setattr(cli, "cmd_build", fake_build)
    evil = tmp_path / "elsewhere"
    argv = ["build", "--out", str(evil), "--quiet"]
    folder = _manifest(tmp_path / "o", {"build": {"files": {}, "argv": argv}})
    assert main(["verify", str(folder)]) == 1
    assert "could not rerun" in capsys.readouterr().out
    ((out, recorded),) = seen
    assert Path(out).parent.name.startswith("hsidi-verify.") and Path(out) != evil
    assert recorded == argv  # the rerun records the command as it was typed
    assert not evil.exists() and not Path(out).exists()


GARBLED = {
    "empty": b"",
    "truncated": b'{"format": "hsidi-outputs/1", "runs": {"build": {"files": {',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "nested past the limit": json.dumps(
        {"format": MANIFEST_FORMAT, "runs": {"build": {"x": json.loads("[" * 40 + "]" * 40)}}}
    ).encode(),
    "not UTF-8": b'{"format": "\xff"}',
    "a list": b"[1, 2]",
    "wrong format": json.dumps({"format": "other/1", "runs": {}}).encode(),
    "runs missing": json.dumps({"format": MANIFEST_FORMAT}).encode(),
    "files a list": json.dumps(
        {"format": MANIFEST_FORMAT, "runs": {"build": {"files": [], "argv": ["build"]}}}
    ).encode(),
    "argv of numbers": json.dumps(
        {"format": MANIFEST_FORMAT, "runs": {"build": {"files": {}, "argv": [1, 2]}}}
    ).encode(),
    "argv missing": json.dumps(
        {"format": MANIFEST_FORMAT, "runs": {"build": {"files": {}}}}
    ).encode(),
    "file outside": json.dumps(
        {
            "format": MANIFEST_FORMAT,
            "runs": {"build": {"files": {"index_levels/../../x": "0" * 64}, "argv": ["build"]}},
        }
    ).encode(),
    "bad digest": json.dumps(
        {
            "format": MANIFEST_FORMAT,
            "runs": {"build": {"files": {"index_levels.png": 5}, "argv": ["build"]}},
        }
    ).encode(),
    "huge": b'{"format": "hsidi-outputs/1", "runs": {}, "pad": "' + b"x" * (2 * 2**20) + b'"}',
}


@pytest.mark.parametrize("content", GARBLED.values(), ids=GARBLED.keys())
def test_garbled_manifest_is_one_line_exit_2_for_verify_and_out(
    tmp_path, capsys, monkeypatch, content
):
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / MANIFEST).write_bytes(content)
    assert main(["verify", str(folder)]) == 2
    assert "manifest.json" in one_line_error(capsys, "verify")

    def no_build(*a, **k):
        raise AssertionError("built before checking --out")

    monkeypatch.setattr(commands, "build_variants", no_build)
    assert main([*BUILD, "--out", str(folder)]) == 2  # checked before any work
    assert "manifest.json" in one_line_error(capsys, "build")
    assert (folder / MANIFEST).read_bytes() == content


# ---------------------------------------------------------------------- --out symlinks
def test_out_symlink_to_a_folder_is_written_through(tmp_path, capsys):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):  # a new set, then one replacing it (the swap path)
        assert main([*BUILD, "--out", str(link)]) == 0
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert "build" in read_manifest(real)["runs"]
        assert (real / "index_levels_hsidi.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]  # no debris


def test_out_dangling_symlink_or_link_to_a_file_is_refused(tmp_path, capsys):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    assert main([*BUILD, "--out", str(link)]) == 2
    assert "dangling" in one_line_error(capsys, "build")
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()
    file = tmp_path / "file"
    file.write_text("x")
    link2 = tmp_path / "link2"
    link2.symlink_to(file)
    assert main([*BUILD, "--out", str(link2)]) == 2
    assert "not a folder" in one_line_error(capsys, "build")
    assert link2.is_symlink() and file.read_text() == "x"


@pytest.mark.parametrize(
    "folder, recorded, expected",
    [
        ("/home/u/runs/o", "o", "/home/u/runs"),
        ("/home/u/runs/o", "runs/o", "/home/u"),
        ("/home/u/runs/o", "./runs/o/", "/home/u"),
        ("/home/u/runs/o", ".", "/home/u/runs/o"),
        ("/home/u/runs/o", "other", None),  # moved or renamed: the current folder
        ("/home/u/runs/o", "../o", None),  # cannot be inverted: the current folder
        ("/home/u/runs/o", "/home/u/runs/o", None),  # absolute: the current folder
    ],
)
def test_run_folder_takes_the_recorded_out_off_the_verified_folder(folder, recorded, expected):
    from engine._verify import run_folder

    got = run_folder(Path(folder), recorded)
    assert got == (Path.cwd() if expected is None else Path(expected))
