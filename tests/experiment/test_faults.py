"""A fault battery with real processes and real files: SIGKILL at random moments then resume,
Ctrl-C, two writers, a damaged store, a read-only medium, a full disk, hostile names.

Each test runs `losslab` in child processes as a user would. Tests that need a mount (a
read-only bind mount, a small tmpfs) run only as root where mounting is allowed, and say
why they are skipped otherwise. Figures (kills, trials at each kill, trials readable...) are
printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stored import count_rows  # tests/experiment/stored.py

import losslab
from losslab.api import DiskFull

pytestmark = pytest.mark.slow

STUDY = ["--dataset", "iris", "--losses", "sparse_categorical_crossentropy,kld", "--repeats", "3", "--cv", "2",
         "--epochs", "4", "--hidden", "6", "--batch-size", "16", "--seed", "7"]
TRIALS = 2 * 3 * 2

# The CLI in a child process; each commit (one split, two trials) is followed by a pause of
# argv[1] seconds, so that a signal lands between commits or inside a batch.
CHILD = textwrap.dedent("""
    import sys, time
    import torch
    torch.set_num_threads(1)
    from losslab.experiment import runner
    from losslab.experiment.store import Store
    runner.MAX_REPLICATES = 2
    _add = Store.add
    def add(self, results):
        _add(self, results)
        time.sleep(float(sys.argv[1]))
    Store.add = add
    from losslab.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def start(args: list[str], pause: float = 0.0, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(pause), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd)


def cli(args: list[str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, "0", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def committed(folder: Path) -> int:
    return count_rows(folder / "study.sqlite")


def wait_for(condition, child: subprocess.Popen | None = None, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if child is not None and child.poll() is not None:
            raise AssertionError(f"the child ended first (rc {child.returncode}): {child.stderr.read()[-2000:]}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The study run once without interruption: what every interrupted one must end up equal to."""
    out = tmp_path_factory.mktemp("reference") / "study"
    done = cli(["compare", *STUDY, "--out", str(out)])
    assert done.returncode == 0, done.stderr
    return losslab.load_study(out).trials()


def same_trials(folder: Path, reference: pd.DataFrame) -> None:
    got = losslab.load_study(folder).trials()
    assert len(got) == TRIALS and not got.duplicated(["loss", "repeat", "fold"]).any()
    # Same seeds, same numbers (to float32 rounding of another batching).
    pd.testing.assert_frame_equal(got, reference, check_exact=False, rtol=1e-5)


# ---------------------------------------------------------------------- SIGKILL at random moments
def test_sigkill_at_random_moments_then_resume_loses_nothing(tmp_path, reference):
    rng = np.random.default_rng(2026)
    out = tmp_path / "study"
    seen = []
    for _ in range(8):
        before = committed(out)
        if before == TRIALS:  # the last kill landed after the last commit
            break
        child = start(["compare", *STUDY, "--out", str(out)], pause=0.4)
        # One kill in four while the process starts (imports, data, plan); the others after one or
        # two more commits, then up to one batch's time more (in training, in a pause, in a commit).
        starting = rng.random() < 0.25
        target = before if starting else min(TRIALS - 1, before + 2 * int(rng.integers(1, 3)))
        extra = float(rng.uniform(0.0, 3.0 if starting else 0.8))
        try:
            wait_for(lambda target=target: committed(out) >= target, child)
            time.sleep(extra)
        except AssertionError:
            pass  # it finished first
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
        now = committed(out)
        # Nothing committed is ever lost: the count never goes down.
        assert now >= (seen[-1][2] if seen else 0)
        seen.append((target, round(extra, 2), now, child.returncode))
        if child.returncode == 0:
            break
    print(f"\nSIGKILL battery (killed after >= n stored + s, trials stored, exit status): {seen}")
    assert sum(rc == -signal.SIGKILL and 0 < n < TRIALS for _, _, n, rc in seen) >= 3, seen
    final = cli(["compare", *STUDY, "--out", str(out)])
    assert final.returncode == 0, final.stderr
    same_trials(out, reference)


def test_a_report_killed_while_writing_leaves_the_old_report_or_the_new_one_whole(tmp_path, reference):
    out = tmp_path / "study"
    assert cli(["compare", *STUDY, "--out", str(out)]).returncode == 0
    rng = np.random.default_rng(7)
    started = time.monotonic()
    assert cli(["report", str(out)]).returncode == 0
    whole = time.monotonic() - started
    outcomes = []
    for _ in range(4):
        child = start(["report", str(out)])
        # Late in the run, where the report is drawn and written.
        delay = float(rng.uniform(0.6 * whole, 1.05 * whole))
        try:
            child.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
        text = (out / "report.html").read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>") and text.rstrip().endswith("</html>")
        outcomes.append((round(delay, 2), child.returncode))
    print(f"\nreport kills (a whole run {whole:.1f} s; delay s, exit status): {outcomes}")


# ---------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_says_how_many_trials_are_stored_and_the_same_command_resumes(tmp_path, reference):
    out = tmp_path / "study"
    child = start(["compare", *STUDY, "--out", str(out)], pause=1.0)
    wait_for(lambda: committed(out) >= 2, child)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    stored = committed(out)
    assert 2 <= stored < TRIALS
    assert one_line(stderr) == (f"losslab: interrupted: {stored} trials stored in {out}; run the same command to resume.")
    print(f"\nCtrl-C: {stored} of {TRIALS} trials stored")
    resumed = cli(["compare", *STUDY, "--out", str(out)])
    assert resumed.returncode == 0, resumed.stderr
    same_trials(out, reference)


# ---------------------------------------------------------------------- two writers
def test_a_second_writer_names_the_process_that_holds_the_study(tmp_path, reference):
    out = tmp_path / "study"
    # Slow commits (4 s each, 6 of them): the second process starts while the first holds the study.
    first = start(["compare", *STUDY, "--out", str(out)], pause=4.0)
    wait_for(lambda: committed(out) >= 2, first)
    second = cli(["compare", *STUDY, "--out", str(out)])
    assert second.returncode == 2
    line = one_line(second.stderr)
    assert line.startswith(f"losslab: error: {out} is in use by process {first.pid} (")
    assert "two runs cannot write one study at once" in line
    # A reader is never refused while the writer runs.
    assert cli(["report", str(out), "--out", str(tmp_path / "during.html")]).returncode == 0
    assert first.wait(timeout=120) == 0, first.stderr.read()
    first.stdout.close()
    first.stderr.close()
    again = cli(["compare", *STUDY, "--out", str(out)])
    assert again.returncode == 0, again.stderr
    same_trials(out, reference)


def test_two_writers_started_together_one_runs_one_is_refused(tmp_path, reference):
    out = tmp_path / "study"
    # Slow commits (3 s each, 6 of them): the runs overlap even when one process starts seconds late.
    children = [start(["compare", *STUDY, "--out", str(out)], pause=3.0) for _ in range(2)]
    results = [(c.wait(timeout=180), c.communicate()[1]) for c in children]
    codes = sorted(rc for rc, _ in results)
    print(f"\ntwo writers at once: exit statuses {codes}")
    assert codes == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert "is in use by process" in one_line(refused)
    same_trials(out, reference)


# ---------------------------------------------------------------------- damaged store
def damage_one_trial_page(path: Path) -> tuple[int, int]:
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    pages = [i for i in range(1, len(data) // size) if b'"loss_train"' in data[i * size:(i + 1) * size]]
    victim = pages[len(pages) // 2]
    data[victim * size: victim * size + 12] = b"\xee" * 12
    path.write_bytes(bytes(data))
    return victim, len(pages)


def test_a_damaged_store_reports_in_one_line_and_repair_copies_what_is_readable(tmp_path):
    study = ["--dataset", "iris", "--losses", "sparse_categorical_crossentropy,kld", "--repeats", "20", "--epochs", "40",
             "--hidden", "6", "--batch-size", "16", "--seed", "3"]
    out = tmp_path / "study"
    assert cli(["compare", *study, "--out", str(out)]).returncode == 0
    before = losslab.load_study(out).trials()
    page, pages = damage_one_trial_page(out / "study.sqlite")
    damaged = sha(out / "study.sqlite")

    for args in (["report", str(out)], ["compare", *study, "--out", str(out)]):
        done = cli(args)
        assert done.returncode == 2
        line = one_line(done.stderr)
        assert "is damaged (SQLite: " in line and f"Run `losslab repair {out}`" in line
    readable = int(line.split(" trials are readable")[0].rsplit(" ", 1)[1])
    assert sha(out / "study.sqlite") == damaged  # neither command wrote to it

    fixed = cli(["repair", str(out)])
    assert fixed.returncode == 0, fixed.stderr
    repaired = tmp_path / "study-repaired"
    assert f"Copied {readable} trials into {repaired}; {40 - readable} could not be read" in " ".join(fixed.stdout.split())
    assert sha(out / "study.sqlite") == damaged
    print(f"\ndamaged page {page} of {pages} trial pages: {readable} of 40 trials readable and copied")
    kept = losslab.load_study(repaired).trials()
    pd.testing.assert_frame_equal(kept, before.merge(kept[["loss", "repeat", "fold"]]), check_exact=True)

    resumed = cli(["compare", *study, "--out", str(repaired)])
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(losslab.load_study(repaired).trials(), before, check_exact=False, rtol=1e-5)


# ---------------------------------------------------------------------- read-only medium
def _mount(args: list[str]) -> str | None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return "mounting needs root and mount(8)"
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    return None if done.returncode == 0 else f"mount {' '.join(args)} failed: {done.stderr.strip()}"


@pytest.fixture
def read_only_copy(tmp_path):
    """A folder and a read-only bind mount of it (unmounted afterwards)."""
    source, view = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    why = _mount(["--bind", str(source), str(view)])
    if why:
        pytest.skip(why)
    try:
        why = _mount(["-o", "remount,bind,ro", str(view)])
        if why:
            pytest.skip(why)
        yield source, view
    finally:
        subprocess.run(["umount", str(view)], check=False)


def test_a_study_on_a_read_only_medium_is_reported(tmp_path, read_only_copy, reference):
    source, view = read_only_copy
    assert cli(["compare", *STUDY, "--out", str(source / "done")]).returncode == 0
    # A writer killed after some commits: the last trials are still in its write-ahead log.
    child = start(["compare", *STUDY, "--out", str(source / "killed")], pause=1.0)
    wait_for(lambda: committed(source / "killed") >= 4, child)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    child.stderr.close()
    stored = committed(source / "killed")
    assert (source / "killed" / "study.sqlite-wal").stat().st_size > 0
    here = tmp_path / "here"
    here.mkdir()
    with pytest.raises(OSError):
        (view / "probe").write_text("x")  # the mount is read-only indeed

    done = cli(["report", str(view / "done"), "--format", "csv"], cwd=here)
    assert done.returncode == 0, done.stderr
    assert (here / "done-report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert len(pd.read_csv(here / "done-trials.csv")) == TRIALS
    assert "read-only: the report went to the current directory" in " ".join(done.stdout.split())
    pd.testing.assert_frame_equal(losslab.load_study(view / "done").trials(), reference)
    assert len(losslab.load_study(view / "killed").results) == stored

    refused = cli(["report", str(view / "done"), "--out", str(view / "done" / "copy.html")], cwd=here)
    assert refused.returncode == 2 and "Read-only file system" in one_line(refused.stderr)
    resumed = cli(["compare", *STUDY, "--out", str(view / "killed")], cwd=here)
    assert resumed.returncode == 2
    line = one_line(resumed.stderr)
    assert f"{view / 'killed'} is read-only" in line and f"its {stored} trials can be read and reported" in line


# ---------------------------------------------------------------------- full disk
@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    why = _mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)])
    if why:
        pytest.skip(why)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_study_that_clearly_does_not_fit_is_refused_before_training(small_disk):
    big = ["--dataset", "iris", "--repeats", "30", "--epochs", "2000", "--hidden", "4", "--out", str(small_disk / "s")]
    started = time.monotonic()
    done = cli(["compare", *big])
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "not enough disk space for this study" in line and "its 60 trials to train need about" in line
    assert "MB free" in line
    assert not (small_disk / "s").exists()  # refused before the study folder was made
    print(f"\nfull-disk refusal before training after {time.monotonic() - started:.1f} s: {line}")


def test_a_disk_that_fills_up_keeps_the_committed_trials(small_disk, tmp_path):
    kwargs = dict(dataset="iris", losses="sparse_categorical_crossentropy,kld", repeats=12, epochs=300, hidden=(4,),
                  batch_size=32, seed=1)
    out = small_disk / "study"

    def fill(plan, todo):
        # After the free-space check: leave room for a few trials only (~17 kB each).
        free = shutil.disk_usage(small_disk).free
        (small_disk / "ballast").write_bytes(b"\0" * max(0, free - 90_000))

    from losslab.experiment import runner

    old = runner.MAX_REPLICATES
    runner.MAX_REPLICATES = 2  # one commit per split
    try:
        with pytest.raises(DiskFull) as caught:
            losslab.compare(**kwargs, out=out, on_start=fill)
    finally:
        runner.MAX_REPLICATES = old
    text = str(caught.value)
    stored = committed(out)
    print(f"\ndisk full: {stored} of 24 trials kept; {text}")
    assert 0 < stored < 24 and "\n" not in text
    assert f"the {stored} trials stored so far are kept" in text and f"the {24 - stored} trials left need about" in text
    (small_disk / "ballast").unlink()
    resumed = losslab.compare(**kwargs, out=out)
    reference = losslab.compare(**kwargs, out=tmp_path / "reference")
    pd.testing.assert_frame_equal(resumed.trials(), reference.trials(), check_exact=False, rtol=1e-5)


# ---------------------------------------------------------------------- hostile names
def test_hostile_names_are_escaped_in_the_report_and_the_terminal(tmp_path):
    rng = np.random.default_rng(0)
    script = '<script>alert("x")</script>'
    attribute = '" onmouseover="alert(1)'
    target = "<img src=x onerror=alert(2)>"
    markup = "[red]boom[/red]"
    frame = pd.DataFrame({script: rng.normal(size=60), attribute: rng.normal(size=60), markup: rng.normal(size=60)})
    frame[target] = (frame[script] + 0.3 * rng.normal(size=60) > 0).map({True: "<b>yes</b>", False: "no & maybe"})
    path = tmp_path / "<i>table<i>&co.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "study"
    done = cli(["compare", str(path), "--target", target, "--repeats", "3", "--epochs", "3", "--hidden", "4",
                "--out", str(out)])
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    for hostile in (script, target, "<b>yes</b>", "<i>table<i>", 'onmouseover="alert'):
        assert hostile not in page, hostile
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "&lt;i&gt;table&lt;i&gt;&amp;co" in page
    assert "<script" not in page.lower()
    assert "Verdict:" in done.stdout
