"""Tests for losslab.report.curves: the learning-curve and box-plot figures."""

from __future__ import annotations

import warnings

import numpy as np

from losslab.report.curves import learning_curves, metric_boxes


def curves(repeats: int = 4, epochs: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {k: rng.random((repeats, epochs)) for k in ("loss_train", "loss_test", "metric_train", "metric_test")}


def test_held_out_curve_is_named_as_asked_and_nothing_warns():
    long_title = "sparse_categorical_crossentropy(class_weight=(0.842, 1.23, 1.49)): 30 trials " * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tight_layout warning once leaked to the console
        fig = learning_curves(curves(), title=long_title, loss_label="loss", metric_label="accuracy", held_label="validation")
        fig.canvas.draw()
        boxes = metric_boxes([("held-out accuracy", "accuracy", {"a_very_long_loss_name_" * 3: np.arange(5.0), "b": np.ones(5)})],
                             title="accuracy of every trial")
        boxes.canvas.draw()
    top = fig.axes[0]
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["train", "validation"]
    default = learning_curves(curves(), title="t", loss_label="loss", metric_label="accuracy")
    assert [t.get_text() for t in default.axes[0].get_legend().get_texts()] == ["train", "test"]


def test_box_names_are_shown_as_given_when_asked():
    values = {"sparse_categorical_\ncrossentropy": np.arange(3.0), "mse": np.ones(3)}
    fig = metric_boxes([("p", "rmse", values)], title="t", break_underscores=False, panel_width=5.0)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["sparse_categorical_\ncrossentropy", "mse"]
    assert tuple(fig.get_size_inches()) == (5.0, 4.4)
    tutorial = metric_boxes([("p", "rmse", {"mean_squared_error": np.arange(3.0)})], title="t")
    assert [t.get_text() for t in tutorial.axes[0].get_xticklabels()] == ["mean\nsquared\nerror"]


def test_positive_values_over_three_decades_go_on_a_log_scale():
    # statsmodels' star98: poisson's blown-up trials reach a held-out rmse of 2.6e9 beside ~300.
    blown = {"mse": np.array([290.0, 310.0, 420.0]), "poisson": np.array([300.0, 2.6e9, 4e7])}
    assert metric_boxes([("p", "rmse", blown)], title="t").axes[0].get_yscale() == "log"
    near = {"mse": np.array([290.0, 310.0]), "poisson": np.array([300.0, 2.9e5])}  # under 1000x: linear
    assert metric_boxes([("p", "rmse", near)], title="t").axes[0].get_yscale() == "linear"
    signed = {"a": np.array([-1e6, 0.5]), "b": np.array([0.6, 0.7])}  # r2 can be negative: no log scale
    assert metric_boxes([("p", "r2", signed)], title="t").axes[0].get_yscale() == "linear"


def test_the_learning_rate_figure_uses_a_log_scale_for_a_blown_up_loss(monkeypatch):
    import pandas as pd

    from losslab.report import sections

    drawn = []
    monkeypatch.setattr(sections, "png", lambda fig: drawn.append(fig.axes[0].get_yscale()) or b"")
    rows = [("poisson", t, lr, 10, 300.0 if lr > 0.001 else 7e9, True) for t in range(3) for lr in (0.001, 0.01)]
    rows += [("mse", t, lr, 10, 280.0 + lr, True) for t in range(3) for lr in (0.001, 0.01)]
    frame = pd.DataFrame(rows, columns=["loss", "trial", "lr", "epoch", "val_score", "chosen"])
    sections.tuning_figure(frame, metric="rmse", higher_is_better=False, names={})
    sections.tuning_figure(frame[frame.loss == "mse"], metric="rmse", higher_is_better=False, names={})
    assert drawn == ["log", "linear"]
