"""The command line's one translation (``losslab.cli.errors``): library messages name Python
arguments; every command prints them as flags, in one line.
"""

from __future__ import annotations

import pytest
import typer.main

import losslab
from losslab.cli import app, main
from losslab.cli.errors import COMMANDS, FLAGS, SWITCHES, command_of, flag, to_flags
from losslab.experiment.estimate import EstimateTooLong
from cli_output import one_line_error  # tests/cli_output.py

SMALL = ["--epochs", "2", "--hidden", "4"]


# ---------------------------------------------------------------------- the table
def _options() -> dict[str, set[str]]:
    """Every option of every command (``losses`` and its subcommand included), as Typer builds them."""
    group = typer.main.get_command(app)
    found: dict[str, set[str]] = {}

    def walk(command, name):
        for param in command.params:
            if param.param_type_name == "option":
                found.setdefault(name, set()).update(param.opts + param.secondary_opts)
        for sub, child in getattr(command, "commands", {}).items():
            walk(child, f"{name} {sub}".strip())

    walk(group, "")
    return found


def _flags_of(command: str) -> set[str]:
    """The flags the table gives the Python arguments of ``command``."""
    out = set()
    for argument in COMMANDS[command]:
        out |= {f for f in SWITCHES[argument] if f.startswith("--")} if argument in SWITCHES else {FLAGS[argument]}
    return out


def test_the_table_names_every_option_of_every_command_and_nothing_else():
    options = _options()
    assert set(COMMANDS) <= set(options), "commands in cli.errors.COMMANDS that the app does not have"
    # Options of the command line alone, with no Python argument behind them: never in a library message.
    cli_only = {"": {"--version", "--debug"}, "reproduce": {"--plots", "--no-plots"}}
    for command, found in options.items():
        expected = cli_only.get(command, set()) | (_flags_of(command) if command in COMMANDS else set())
        assert found == expected, (command, "missing from the table:", found - expected, "not options:", expected - found)


@pytest.mark.parametrize(("argument", "expected"), [
    ("repeats", "--repeats"), ("batch_size", "--batch-size"), ("extra_metrics", "--also"), ("confirm", "--yes"),
    ("stratify", "--no-stratify"), ("out", "--out"), ("hidden", "--hidden"), ("fmt", "--format"),
    ("output_activation", "--output"), ("output_units", "--units"), ("path", "--out"),
])
def test_flag_spells_each_argument_as_its_command_line_option(argument, expected):
    assert flag(argument) == expected


@pytest.mark.parametrize(("message", "expected"), [
    ("compare: expected repeats >= 1. Received: repeats=0.", "compare: expected --repeats >= 1. Received: --repeats 0."),
    ("Model: expected lr to be one learning rate > 0 or several. Received: lr=[0.001, 0.01].",
     "Model: expected --lr to be one learning rate > 0 or several. Received: --lr 0.001,0.01."),
    ("Received: extra_metrics=('f1_macro', 'accuracy').", "Received: --also f1_macro,accuracy."),
    ("Received: losses=['huber(delta=2)', 'mse'].", "Received: --losses 'huber(delta=2),mse'."),
    ("Received: out='/tmp/my study', which is a file.", "Received: --out '/tmp/my study', which is a file."),
    ("Pass confirm=True, or make it smaller. Received: confirm=False.", "Pass --yes, or make it smaller. Received: without --yes."),
    ("stratify=False splits at random; dropna=True drops them", "--no-stratify splits at random; --dropna drops them"),
    ("Nothing was changed: use another folder (out=...).", "Nothing was changed: use another folder (--out ...)."),
    ("no study in s: expected s/study.sqlite. Make one first with compare(..., out='s').",
     "no study in s: expected s/study.sqlite. Make one first with `losslab compare ... --out s`."),
    ("Received: epochs=1e-3.", "Received: --epochs 1e-3."),
    ("s is damaged: Run repair('/tmp/my study') to copy them.", "s is damaged: Run `losslab repair '/tmp/my study'` to copy them."),
    # Python that is not an option of a command stays Python: loss parameters, other calls.
    ("unknown parameter of huber(delta=2): Received: delta=2.", "unknown parameter of huber(delta=2): Received: delta=2."),
    ("pass e.g. Design('kfold', k=5, repeats=10).", "pass e.g. Design('kfold', k=5, repeats=10)."),
    ("30 repeats of 5 epochs; the metric is accuracy", "30 repeats of 5 epochs; the metric is accuracy"),
    ("reported elsewhere (`losslab report s --out FILE`)", "reported elsewhere (`losslab report s --out FILE`)"),
])
def test_to_flags(message, expected):
    assert to_flags(message) == expected


def test_only_the_running_command_s_arguments_become_flags():
    custom = "my.py:f: expected problem in ('regression', 'binary'). Received: problem='counts'."
    assert to_flags(custom, "compare") == custom  # a custom loss's metadata: compare has no --problem
    assert "Received: --problem counts." in to_flags(custom, "landscape")
    assert to_flags("expected data to be a file. Received: data=3.", "compare") == "expected data to be a file. Received: data=3."
    assert to_flags("expected data to be a file. Received: data=3.", "check") == "expected --data to be a file. Received: --data 3."
    assert command_of(["--debug", "compare", "--dataset", "iris"]) == "compare" and command_of([]) is None


def test_the_confirmation_a_long_study_asks_for_is_yes():
    line = to_flags(str(EstimateTooLong(7200.0, "2 h")))
    assert "--yes" in line and "confirm" not in line


# ---------------------------------------------------------------------- what each command prints
@pytest.mark.parametrize(("argv", "python", "flags"), [
    (["--repeats", "0"], "repeats=0", "--repeats 0"),
    (["--epochs", "0", "--hidden", "4"], "epochs=0", "--epochs 0"),
    (["--lr", "0.1,0.1", *SMALL], "lr=[0.1, 0.1]", "--lr 0.1,0.1"),
    (["--metric", "rmse", *SMALL], "metric='rmse'", "--metric rmse"),
    (["--losses", " , ", *SMALL], None, "--losses"),
    (["--validation-split", "0.7", *SMALL], "validation_split=0.7", "--validation-split 0.7"),
    (["--executor", "spark", *SMALL], "executor='spark'", "--executor spark"),
])
def test_compare_refusals_name_flags_and_the_library_names_arguments(tmp_path, capsys, argv, python, flags):
    out = tmp_path / "study"
    argv = ["compare", "--dataset", "iris", *argv, "--out", str(out)] + ([] if "--repeats" in argv else ["--repeats", "2"])
    assert main(argv) == 2
    line = one_line_error(capsys)
    assert flags in line, line
    assert python is None or python not in line, line
    assert not out.exists()
    if python is None:
        return
    # The same refusal from Python names the argument as compare() spells it.
    kwargs = {"repeats": 0} if python.startswith("repeats") else {"repeats": 2}
    kwargs.update(epochs=2, hidden=(4,))
    key, value = python.split("=", 1)
    kwargs[key] = eval(value)  # noqa: S307  (a literal written above)
    with pytest.raises(ValueError) as info:
        losslab.compare(dataset="iris", out=tmp_path / "py", **kwargs)
    assert python in str(info.value) and "--" not in str(info.value)


def test_an_out_that_is_a_file_says_out_in_python_and_the_flag_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "results.txt"
    path.write_text("mine")
    with pytest.raises(ValueError, match=r"expected out to be a folder\. Received: out='.*results\.txt', which is a file"):
        losslab.compare(dataset="iris", repeats=2, epochs=2, hidden=(4,), out=path)
    assert main(["compare", "--dataset", "iris", "--repeats", "2", *SMALL, "--out", str(path)]) == 2
    line = one_line_error(capsys)
    assert f"expected --out to be a folder. Received: --out {path}, which is a file." in line
    assert path.read_text() == "mine"


def test_another_study_in_the_folder_says_use_another_out(tmp_path, capsys):
    out = tmp_path / "study"
    losslab.compare(dataset="iris", repeats=2, epochs=2, hidden=(4,), batch_size=16, out=out)
    with pytest.raises(ValueError, match=r"use another folder \(out=\.\.\.\)"):
        losslab.compare(dataset="iris", repeats=2, epochs=2, hidden=(4,), batch_size=8, out=out)
    assert main(["compare", "--dataset", "iris", "--repeats", "2", *SMALL, "--batch-size", "8", "--out", str(out)]) == 2
    line = one_line_error(capsys)
    assert "holds a different study" in line and "use another folder (--out ...)" in line and "out=" not in line


def test_report_of_a_folder_without_a_study_gives_the_command_that_makes_one(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"Make one first with compare\(\.\.\., out='.*'\)"):
        losslab.load_study(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    assert f"Make one first with `losslab compare ... --out {tmp_path}`." in one_line_error(capsys)


def test_reproduce_and_landscape_name_their_flags(tmp_path, capsys):
    assert main(["reproduce", "--only", " , ", "--out", str(tmp_path / "r")]) == 2
    line = one_line_error(capsys)
    assert "expected --only to name at least one experiment" in line and "only=" not in line
    assert main(["landscape", "--problem", "moons", "--out", str(tmp_path / "l")]) == 2
    line = one_line_error(capsys)
    assert "expected --problem in" in line and "Received: --problem moons." in line and "--dataset ..." in line
