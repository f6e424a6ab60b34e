"""Tests for losslab.experiment.estimate and the runner's chunks: the plan, its time estimate,
chunks of about a minute committed as they finish, and the confirmation of very long studies.

Tests never assert wall time: the step costs are given, or only checked for their form.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.experiment import estimate, planning, runner, trials
from losslab.experiment.estimate import Chunk, EstimateTooLong, StepCost, chunk_splits
from losslab.experiment.spec import Candidate, Model, Resampling, StudySpec
from losslab.experiment.store import Store

# 1 ms per step, 10 us per replicate-row: a chunk's seconds are easy to count by hand.
COST = StepCost(per_step=1e-3, per_row=1e-5, per_eval_row=1e-6)


def test_chunks_fit_the_budget_and_cover_every_split_in_order():
    splits = list(range(10))
    # 3 replicates per split, 10 epochs of 5 steps of 32 rows, 20 evaluation rows:
    # k splits cost 10 * (5 * (1e-3 + 3k * 32e-5) + 3k * 20e-6) = 0.05 + 0.0486 k seconds.
    chunks = chunk_splits(splits, 3, cost=COST, epochs=10, steps=5, batch_size=32, eval_rows=20, budget=0.2)
    assert [s for c in chunks for s in c.splits] == splits
    assert all(c.seconds <= 0.2 for c in chunks)
    assert [len(c.splits) for c in chunks] == [3, 3, 3, 1]  # 10 splits, at most 3 a chunk
    for c in chunks:
        assert c.replicates == 3 * len(c.splits)
        assert math.isclose(c.seconds, 0.05 + 0.0486 * len(c.splits))


def test_a_split_over_budget_is_a_chunk_of_its_own_and_replicates_are_capped():
    over = chunk_splits([0, 1, 2], 3, cost=COST, epochs=10**4, steps=5, batch_size=32, eval_rows=20, budget=1.0)
    assert [c.splits for c in over] == [(0,), (1,), (2,)]
    capped = chunk_splits(list(range(10)), 4, cost=COST, epochs=1, steps=1, batch_size=1, eval_rows=1, budget=1e9,
                          max_replicates=12)
    assert max(c.replicates for c in capped) <= 12 and [len(c.splits) for c in capped] == [3, 3, 3, 1]
    assert chunk_splits([], 3, cost=COST, epochs=1, steps=1, batch_size=1, eval_rows=1) == []


@pytest.mark.parametrize("seconds, text", [(0.2, "about 1 s"), (42.4, "about 42 s"), (200, "about 3 min"),
                                           (9000, "about 2.5 h")])
def test_durations_in_words(seconds, text):
    assert estimate.duration(seconds) == text


def test_measure_times_the_engine_on_this_machine():
    estimate._MEASURED.clear()
    cost = estimate.measure(5, (8,), 1, 16)
    assert cost.per_step > 0 and cost.per_row > 0 and cost.per_eval_row > 0 and cost.per_shuffle_row > 0
    assert cost.per_eval_row <= cost.per_row
    assert cost.threads in estimate.threads_to_try()
    assert estimate.measure(5, (8,), 1, 16) is cost  # measured once per shape


def _regression(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return pd.DataFrame(X, columns=list("abc")), pd.Series(X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=n), name="y")


def _spec(repeats=6, epochs=3):
    return StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"), Candidate.parse("mae")),
                     metric="rmse", resampling=Resampling.from_cli(repeats=repeats, cv=None),
                     model=Model(hidden=(4,), epochs=epochs, batch_size=8))


def test_with_early_stopping_the_estimate_says_it_counts_every_epoch():
    # Early stopping ends most trials sooner; not "at most": a small study's fixed costs can
    # outweigh what it saves.
    X, y = _regression()
    spec = _spec()
    stopping = dataclasses.replace(spec, model=Model(hidden=(4,), epochs=3, batch_size=8, patience=2,
                                                     validation_split=0.2))
    plain = runner.schedule(planning.plan(spec, X, y), cost=COST)
    bounded = runner.schedule(planning.plan(stopping, X, y), cost=COST)
    assert not plain.stops_early and "at most" not in plain.describe()
    assert bounded.stops_early
    text = bounded.describe()
    assert ", about " in text and "at most" not in text
    assert text.endswith(" on this machine if every epoch runs (early stopping usually ends sooner)")


def test_with_early_stopping_chunks_trained_here_are_sized_at_four_budgets_and_ray_chunks_at_one():
    # The estimate counts every epoch; early stopping trains a fraction of them, so chunks in
    # this process take STOPPING_CHUNK_FACTOR minutes of that estimate (more networks in
    # lockstep); chunks shipped to workers keep one minute (more chunks to spread).
    class Shipped:
        in_process = False

    X, y = _regression(n=400)
    stopping = dataclasses.replace(_spec(repeats=30), model=Model(hidden=(4,), epochs=200, batch_size=8, patience=2,
                                                                  validation_split=0.2))
    plan = planning.plan(stopping, X, y)
    # 240 fitting rows, 30 steps of 8 an epoch, 200 epochs: k splits (2 networks each) cost
    # 200 * (30 * (1e-3 + 2k * 8 * 5e-4) + 2k * 60 * 1e-6) = 6 + 48.024 k seconds.
    cost = StepCost(per_step=1e-3, per_row=5e-4, per_eval_row=1e-6)
    here, shipped = runner.schedule(plan, cost=cost), runner.schedule(plan, cost=cost, executor=Shipped())
    assert estimate.STOPPING_CHUNK_FACTOR == 4.0
    assert here.budget == 4 * estimate.CHUNK_SECONDS and shipped.budget == estimate.CHUNK_SECONDS
    assert [len(b[2]) for b in here.batches] == [4] * 7 + [2]  # 4 splits: 198 s <= 240 < 246 s
    assert [len(b[2]) for b in shipped.batches] == [1] * 30  # 1 split: 54 s <= 60 < 102 s
    assert [b[2] for b in here.batches] == [b[2] for b in runner.schedule(plan, cost=cost, budget=240.0).batches]
    # Without early stopping a chunk is a minute of the estimate, wherever it trains.
    plain = runner.schedule(planning.plan(_spec(repeats=30), X, y), cost=cost)
    assert plain.budget == estimate.CHUNK_SECONDS
    plan.schedule = dataclasses.replace(here, threads=1)
    notes = runner.design_notes(plan, batch_given=False)[0]
    assert any(n.startswith("Trained in chunks estimated at about 4 min each with every epoch counted") for n in notes)


def test_each_chunk_is_committed_as_it_finishes_and_chunking_does_not_change_the_numbers(tmp_path):
    X, y = _regression()
    spec = _spec()
    results = {}
    for name, budget in (("chunked", 0.0), ("whole", 1e9)):
        plan = planning.plan(spec, X, y)
        # Each split (2 trials) is over a zero budget: six chunks; a huge budget: one.
        plan.schedule = runner.schedule(plan, cost=COST, budget=budget)
        assert len(plan.schedule.batches) == (6 if budget == 0 else 1)
        stored = []
        with Store.create_or_resume(tmp_path / name, spec, "fp", {}) as store:
            runner.run(plan, store, on_trials=lambda rs, store=store: stored.append(len(store.finished())))
            results[name] = pd.DataFrame([{"loss": r.loss, "repeat": r.repeat, **r.metrics} for r in store.trials()])
        # The store holds each chunk's trials as soon as on_trials hears of them.
        assert stored == ([2, 4, 6, 8, 10, 12] if budget == 0 else [12])
    # Another batch composition: the same trials to float32 rounding.
    pd.testing.assert_frame_equal(results["chunked"], results["whole"], check_exact=False, rtol=1e-5)


def test_the_schedule_describes_the_plan_and_counts_what_is_left(tmp_path):
    X, y = _regression()
    plan = planning.plan(_spec(), X, y)
    sched = runner.schedule(plan, cost=COST, budget=0.0)
    assert sched.trials == 12 and sched.total_seconds == pytest.approx(sum(sched.seconds))
    assert sched.describe().startswith("12 trials (2 losses x 6 splits) in 6 chunks, about ")
    assert sched.describe().endswith(" on this machine")
    done = {("mean_squared_error", 0, 0), ("mean_absolute_error", 0, 0), ("mean_squared_error", 1, 0)}
    resumed = runner.schedule(plan, done, cost=COST, budget=0.0)
    assert resumed.trials == 9 and len(resumed.batches) == 5
    assert "9 trials (2 losses x 6 splits, 3 already stored)" in resumed.describe()
    assert runner.schedule(plan, {t for t in plan.trials}, cost=COST).describe() == "all 12 trials already stored"


def test_on_start_sees_the_schedule(tmp_path):
    X, y = _regression()
    seen = []
    losslab.compare(X, y, losses=["mse", "mae"], repeats=2, epochs=2, hidden=(4,), out=tmp_path,
                    on_start=lambda plan, todo: seen.append((todo, plan.schedule)))
    (todo, sched), = seen
    assert todo == 4 and sched.trials == 4 and sched.total_seconds > 0 and isinstance(sched.batches[0][2][0].train, np.ndarray)


def test_a_study_estimated_beyond_an_hour_needs_confirm_and_nothing_is_written(tmp_path):
    X, y = _regression()
    folder = tmp_path / "long"
    with pytest.raises(EstimateTooLong, match=r"trials .* about [\d.]+ h on this machine.*Expected confirm=True") as info:
        losslab.compare(X, y, losses=["mse", "mae"], repeats=10_000, epochs=100_000, hidden=(4,), out=folder)
    assert info.value.seconds > estimate.CONFIRM_SECONDS
    assert isinstance(info.value, ValueError) and not folder.exists()


def test_chunk_is_a_plain_record():
    c = Chunk((1, 2), 6, 1.5)
    assert (c.splits, c.replicates, c.seconds) == ((1, 2), 6, 1.5)


# ---------------------------------------------------------------------- the command line
def test_cli_on_a_pipe_refuses_a_study_beyond_an_hour_without_yes(tmp_path, capsys):
    from losslab.cli import main

    folder = tmp_path / "long"
    argv = ["compare", "--dataset", "iris", "--losses", "sparse_categorical_crossentropy,kld", "--repeats", "10000", "--epochs", "100000",
            "--hidden", "4", "--out", str(folder)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "h on this machine" in err and "--yes" in err and "confirm" not in err
    assert not folder.exists()


def test_cli_on_a_pipe_prints_the_plan_and_plain_progress_lines(tmp_path, capsys):
    from losslab.cli import main

    assert main(["compare", "--dataset", "iris", "--losses", "sparse_categorical_crossentropy,kld", "--repeats", "2", "--epochs", "3",
                 "--hidden", "4", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "Plan: 4 trials (2 losses x 2 splits) in 1 chunk, about " in out
    # A pipe gets no bar: the last state as one plain line, with the elapsed time first.
    assert "\x1b[" not in out and "4 trials done, best so far " in out and "100% of training" in out


def test_plain_progress_lines_say_elapsed_share_and_time_left():
    import io

    from rich.console import Console

    from losslab.cli.compare import _Lines

    buffer = io.StringIO()
    lines = _Lines(Console(file=buffer, width=200), every=0.0)
    with lines:
        task = lines.add_task("12 trials to train", total=100)
        lines.advance(task, 4)  # too little to extrapolate from: no time left yet
        lines.advance(task, 21)
        lines.update(task, description="6 trials done", completed=50)
    printed = buffer.getvalue().splitlines()
    assert printed[0] == "[0:00] 12 trials to train: 4% of training"
    assert printed[1].startswith("[0:00] 12 trials to train: 25% of training, about 0:00 left")
    assert printed[2].startswith("[0:00] 6 trials done: 50% of training")
    assert len(printed) == 3  # nothing new at the end: not printed twice


# ---------------------------------------------------------------------- work and memory per epoch
@pytest.mark.parametrize("n_train, batch", [(10, 10), (32, 32), (6_400, 32), (7_500, 32), (12_800, 64),
                                            (37_500, 128), (750_000, 1024)])
def test_the_default_minibatch_grows_with_the_table(n_train, batch):
    assert planning.default_batch_size(n_train) == batch


def test_a_large_table_gets_a_larger_default_batch_and_says_so(tmp_path):
    rng = np.random.default_rng(0)
    n = 9_000  # 6,750 training rows: about 200 steps of 32 would be 211
    X = pd.DataFrame(rng.normal(size=(n, 2)), columns=["a", "b"])
    y = pd.Series(X.a + 0.1 * rng.normal(size=n), name="y")
    spec = _spec(repeats=1, epochs=1)
    assert planning.plan(spec, X, y, cap_batch=True).spec.model.batch_size == 32
    given = dict(losses=["mse"], repeats=1, epochs=1, hidden=(2,), protocol="fixed")  # every training row fits
    study = losslab.compare(pd.concat([X] * 2, ignore_index=True), pd.concat([y] * 2, ignore_index=True), **given,
                            out=tmp_path / "big")  # 13,500 training rows
    assert study.spec.model.batch_size == 64
    assert study.info["design"]["batch_size"] == 64 and study.info["design"]["batch_rule"] == "default"
    assert any(n.startswith("Minibatch: 64 rows (Keras' 32 up to 6,400 training rows") for n in study.info["notes"])
    kept = losslab.compare(X, y, **given, batch_size=32, out=tmp_path / "given")
    assert kept.spec.model.batch_size == 32 and kept.info["design"]["batch_rule"] == "given"


def test_curves_on_a_sample_and_the_score_on_every_held_out_row(tmp_path, monkeypatch):
    X, y = _regression(n=200)
    plain = losslab.compare(X, y, losses=["mse"], repeats=2, epochs=3, hidden=(4,), protocol="fixed", out=tmp_path / "all")
    monkeypatch.setattr(trials, "CURVE_ROWS", 20)  # 50 held-out rows per trial: curves on 20 of them
    calls = []
    real = trials.train
    monkeypatch.setattr(trials, "train", lambda X, m, reps, **kw: calls.append(reps) or real(X, m, reps, **kw))
    sampled = losslab.compare(X, y, losses=["mse"], repeats=2, epochs=3, hidden=(4,), protocol="fixed", out=tmp_path / "sampled")
    assert all(len(r.test) == 20 for r in calls[0])
    assert any("fixed sample of 20 of each trial's 50 held-out rows" in n for n in sampled.info["notes"])
    a, b = plain.trials(), sampled.trials()
    # The same models: the score (every held-out row) equal to float32 rounding; the curve differs.
    np.testing.assert_allclose(a.rmse, b.rmse, rtol=1e-5)
    assert all(r.n_test == 50 for r in sampled.results)
    np.testing.assert_allclose(plain.results[0].history["loss_train"], sampled.results[0].history["loss_train"], rtol=1e-6)
    assert plain.results[0].history["loss_test"] != sampled.results[0].history["loss_test"]


def test_evaluation_in_blocks_of_rows_equals_one_pass(monkeypatch):
    from losslab import losses
    from losslab.engine import Member, Network, Replicate, lockstep, train

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    labels = (X[:, 0] > 0).astype(int)
    members = [Member(losses.get("bce"), "sigmoid", labels.astype(float), labels=labels)]
    reps = [Replicate(0, s, np.arange(200), np.arange(200, 300 - s)) for s in range(3)]  # unequal test rows: masks
    kwargs = dict(network=Network(4, (5,), 1), epochs=2, batch_size=16, metrics=("accuracy",))
    whole = train(X, members, reps, **kwargs)
    monkeypatch.setattr(lockstep, "EVAL_ELEMENTS", 3 * 7 * 5)  # blocks of 7 rows
    blocks = train(X, members, reps, **kwargs)
    for split in ("train", "test"):
        np.testing.assert_allclose(blocks.loss[split], whole.loss[split], rtol=1e-5)
        np.testing.assert_allclose(blocks.metrics["accuracy"][split], whole.metrics["accuracy"][split], rtol=1e-6)
        for a, b in zip(blocks.outputs[split], whole.outputs[split]):
            np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(blocks.final("test"), whole.final("test"), rtol=1e-5)


def test_float32_features_are_trained_without_a_copy():
    from losslab.engine import trainer

    X = np.ones((5, 2), dtype=np.float32)
    assert trainer._as_training_array(X, "float32") is X
    assert trainer._as_training_array(X, "float64").dtype == np.float64
    assert trainer._as_training_array(np.asfortranarray(np.ones((5, 2), np.float32)), "float32").flags.c_contiguous


@pytest.mark.parametrize("load, threads, expected", [(0.3, 2, 2), (2.4, 2, 2), (14.0, 2, 1), (14.0, 1, 1), (14.0, None, None)])
def test_a_chunk_trains_with_one_thread_once_the_machine_is_busy(monkeypatch, load, threads, expected):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert estimate.threads_now(threads) == expected


def test_the_runner_checks_the_threads_before_each_chunk(tmp_path, monkeypatch):
    import os

    X, y = _regression()
    plan = planning.plan(_spec(), X, y)
    plan.schedule = runner.schedule(plan, cost=COST, budget=0.0)
    plan.schedule = dataclasses.replace(plan.schedule, threads=2)  # chosen on a quiet machine
    loads = iter([0.5, 14.0] * 3)  # then other work arrives, and leaves, and arrives
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (next(loads),) * 3)
    seen = []
    real = trials.train

    def spy(*args, threads=None, **kwargs):
        seen.append(threads)
        return real(*args, threads=1, **kwargs)  # (one thread here: the test does not time anything)

    monkeypatch.setattr(trials, "train", spy)
    with Store.create_or_resume(tmp_path / "s", plan.spec, "fp", {}) as store:
        runner.run(plan, store)
    assert seen == [2, 1, 2, 1, 2, 1]
