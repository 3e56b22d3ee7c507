"""What the command line printed: the one error line of a refused command."""

from __future__ import annotations


def one_line_error(capsys, command: str) -> str:
    """The single ``hsidi <command>: error:`` line on stderr, with no traceback.  Warnings and the
    cold-cache compile notice are not errors and are left out (which lines appear depends on the
    data and on whether the kernels were compiled before)."""
    err = capsys.readouterr().err
    notes = (f"hsidi {command}: warning", f"hsidi {command}: compiling")
    lines = [line for line in err.splitlines() if not line.startswith(notes)]
    assert len(lines) == 1 and lines[0].startswith(f"hsidi {command}: error:"), err
    assert "Traceback" not in err
    return lines[0]
