"""What the command line printed, as the CLI tests read it (shared by tests/test_cli.py and tests/cli/)."""

from __future__ import annotations


def one_line_error(capsys) -> str:
    """The one line a refused command printed on stderr (no traceback), starting ``losslab: error: ``."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("losslab: error: ")
    return lines[0]
