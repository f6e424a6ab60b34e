"""The landscape figures: files, panel titles, log scales, the same picture for the same seed."""

import copy

import matplotlib.image
import numpy as np
import pytest

from losslab.report import landscape as R
from losslab.landscapes import slices as L
from losslab.landscapes import training as T


@pytest.fixture(scope="module")
def circles():
    return T.tutorial_training("circles", "bce,squared_hinge", epochs=3)


@pytest.fixture(scope="module")
def plane(circles):
    return L.compute(circles, mode="plane", grid=5, seed=7)


@pytest.fixture(scope="module")
def plane_fig(plane):
    import matplotlib.pyplot as plt

    fig = R.plane_figure(plane)
    yield fig
    plt.close(fig)


def test_plane_writes_contour_and_surface(tmp_path, plane):
    paths = R.draw(plane, tmp_path)
    assert [p.name for p in paths] == ["circles_plane.png", "circles_plane_surface.png"]
    for p in paths:
        image = matplotlib.image.imread(p)
        assert image.shape[1] > 900 and image.std() > 0.05  # two wide panels with something drawn in them


def test_interpolation_writes_one_figure(tmp_path, circles):
    line = L.compute(circles, mode="interpolate", grid=5, seed=7)
    assert [p.name for p in R.draw(line, tmp_path)] == ["circles_interpolate.png"]
    import matplotlib.pyplot as plt

    fig = R.interpolation_figure(line)
    axes = fig.axes
    plt.close(fig)
    assert len(axes) == 4
    assert [ln.get_label() for ln in axes[0].get_lines()[:2]] == ["train", "test"]
    np.testing.assert_array_equal(axes[0].get_lines()[0].get_ydata(), line.slices["binary_crossentropy"].values["loss_train"])


def test_every_panel_names_the_loss_the_data_and_the_seed(plane, plane_fig):
    titles = [ax.get_title() for ax in plane_fig.axes if "\n" in ax.get_title()]
    assert len(titles) == 2
    for title, loss in zip(titles, ["binary_crossentropy", "squared_hinge"]):
        assert loss in title and "circles" in title and "seed 7" in title
    other = copy.copy(plane)
    other.direction_seed = 11
    assert "seed 11" in R._title(other, other.slices["squared_hinge"])
    surface = R.surface_figure(plane)
    assert all("seed 7" in ax.get_title() and "circles" in ax.get_title() for ax in surface.axes)


def test_the_path_is_drawn_where_the_landscape_puts_it(plane, plane_fig):
    s = plane.slices["binary_crossentropy"]
    drawn = [ln for ln in plane_fig.axes[0].get_lines() if ln.get_label() == "optimiser's path (per epoch)"]
    assert len(drawn) == 1
    np.testing.assert_array_equal(drawn[0].get_xdata(), s.path[:, 0])
    np.testing.assert_array_equal(drawn[0].get_ydata(), s.path[:, 1])


def test_levels_turn_logarithmic_over_a_wide_range():
    levels, log = R._levels(np.array([[0.01, 1.0], [10.0, 50.0]]))
    assert log and levels[0] == pytest.approx(0.01) and levels[-1] == pytest.approx(50.0)
    np.testing.assert_allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))
    levels, log = R._levels(np.array([[0.4, 0.5], [0.6, np.inf]]))
    assert not log and levels[-1] == pytest.approx(0.6)


def test_non_finite_values_still_draw(tmp_path, plane):
    broken = copy.deepcopy(plane)
    s = broken.slices["squared_hinge"]
    s.values["loss_train"][0, 0] = np.inf
    s.values["metric_test"][0, 1] = np.nan
    assert all(p.exists() for p in R.draw(broken, tmp_path))


def test_the_same_seed_draws_the_same_picture(tmp_path, circles, plane):
    R.plane_figure(plane, tmp_path / "a.png")
    R.plane_figure(L.compute(circles, mode="plane", grid=5, seed=7), tmp_path / "b.png")
    R.plane_figure(L.compute(circles, mode="plane", grid=5, seed=7, direction_seed=8), tmp_path / "c.png")
    a, b, c = (matplotlib.image.imread(tmp_path / f"{k}.png") for k in "abc")
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
