"""The figure check every figure function passes through (``lib.plots.finished``): a legend
over the data, a band of a 0-1 quantity outside 0-1 and two look-alike series fail it, each
with one line naming the figure; the same figures drawn as the chapters draw them pass."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lib import plots  # noqa: E402
from lib.plots import classes as class_figures, validation as validation_figures  # noqa: E402


@pytest.fixture(autouse=True)
def closed():
    yield
    plt.close("all")


def test_a_legend_over_the_data_fails_and_one_beside_it_passes():
    fig, ax = plt.subplots()
    ax.bar(["a", "b", "c"], [5, 9, 7], label="train")
    ax.set_ylabel("clips (count)")
    ax.legend(loc="upper center")
    assert plots.problems(fig) == ["legend covers train"]
    ax.get_legend().remove()
    plots.legend_beside(ax)
    assert plots.problems(fig) == []


def test_a_chance_line_across_the_panel_is_not_data_under_a_legend():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0.2, 0.3, 0.35], label="dev accuracy")
    ax.axhline(0.95, color="0.5", ls=":", label="chance")
    ax.set(ylim=(0, 1), ylabel="accuracy")
    ax.legend(loc="upper right")
    assert plots.problems(fig) == []


def test_a_band_of_a_recall_past_one_fails():
    fig, ax = plt.subplots()
    grid = np.linspace(0, 1, 5)
    ax.fill_between(grid, grid * 0 + 0.8, grid * 0.2 + 1.0)
    ax.set_ylabel("test recall (fraction)")
    assert plots.problems(fig) == ["test recall (fraction) drawn from 0.80 to 1.20, "
                                   "outside 0-1"]
    ax.set_ylabel("training labels flipped (%)")  # a percentage is not a fraction
    assert plots.problems(fig) == []


def test_look_alike_series_fail_and_style_may_tell_one_colour_apart():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="C0", label="log power")
    ax.plot([0, 1], [1, 0], color="C0", ls="--", label="importance")
    plots.legend_beside(ax)
    assert plots.problems(fig) == []
    ax.plot([0, 1], [0.5, 0.5], color="C0", label="again")
    plots.legend_beside(ax)
    assert plots.problems(fig) == ["'log power' and 'again' share a colour and a style"]


def test_a_failing_figure_is_one_line_naming_it():
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [4, 4], label="train")
    ax.set_title("clips per class")
    ax.legend(loc="center")
    with pytest.raises(plots.FigureError, match=r"^figure 'clips per class': legend covers "
                                                r"train$"):
        plots.finished(fig)


def test_the_roc_figure_shows_the_best_scores_and_the_ones_kept():
    curve = pd.DataFrame({"fpr": [0, 0.5, 1], "tpr": [0, 0.7, 1]})
    names = [f"score {i}" for i in range(12)]
    aurocs = {name: 0.5 + i / 100 for i, name in enumerate(names)}
    fig = validation_figures.roc_curves({n: curve for n in names}, aurocs, "ROC",
                                        keep=("score 0",))
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert len(labels) == validation_figures.ROC_CURVES_SHOWN + 1  # and chance
    assert any(label.startswith("score 0 ") for label in labels)  # kept, though the lowest
    assert any(label.startswith("score 11 ") for label in labels)
    assert "6 of 12 scores" in fig.axes[0].get_legend().get_title().get_text()


def test_the_class_scatter_keeps_its_band_inside_recall():
    overview = pd.DataFrame({"mean_difficulty": [0.2, 0.3, 0.5, 0.6, 0.7, 0.8],
                             "test_recall": [1.0, 1.0, 0.9, 0.95, 0.7, 0.6]},
                            index=list("abcdef"))
    grid = np.linspace(0.2, 0.8, 20)
    from lib import classes

    band = classes.regression_band(overview["mean_difficulty"], overview["test_recall"], grid)
    with pytest.raises(plots.FigureError, match="outside 0-1"):
        class_figures.difficulty_recall(overview, (grid, *band), "unbounded", 1 / 6)
    band = classes.regression_band(overview["mean_difficulty"], overview["test_recall"], grid,
                                   bounds=(0, 1))
    class_figures.difficulty_recall(overview, (grid, *band), "bounded", 1 / 6)


def test_scatters_of_one_colour_are_told_apart_by_their_markers():
    fig, ax = plt.subplots()
    ax.scatter([0], [0.5], marker="o", color="C0", label="ours")
    ax.scatter([1], [0.6], marker="D", color="C0", label="paper")
    plots.legend_beside(ax)
    assert plots.problems(fig) == []
    ax.scatter([2], [0.7], marker="o", color="C0", label="again")
    plots.legend_beside(ax)
    assert plots.problems(fig) == ["'ours' and 'again' share a colour and a style"]


def test_hollow_markers_are_told_apart_by_their_edge_colour():
    fig, ax = plt.subplots()
    for colour, band in (("C2", "easy"), ("C0", "medium"), ("C3", "hard")):
        ax.plot([0], [0.5], "o", mfc="none", color=colour, label=f"{band}: importance peak")
    plots.legend_beside(ax)
    assert plots.problems(fig) == []


def test_a_title_written_over_the_y_label_fails_and_the_pacing_figure_passes():
    from lib.plots import curricula as curricula_figures

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2], [3, 4])
    ax.set_ylabel("training samples drawn from (count)")
    ax.set_title("OfflineKeywords: training samples each epoch draws from, a long title")
    fig.tight_layout()
    assert any(p.startswith("title 'OfflineKeywords") and p.endswith("covers the y label")
               for p in plots.problems(fig))
    fig = curricula_figures.pacing([120, 224, 330, 440, 545, 600], 600,
                                   "SyntheticScenes: training samples each epoch draws from")
    assert plots.problems(fig) == []


def test_the_own_data_figures_pass_the_check():
    """Drawn only for a user's dataset, which the smoke build has not: the import's clip
    lengths, and two orderings of one schedule on the curricula's learning curves."""
    from lib.plots import curricula as curricula_figures, data as data_figures

    rng = np.random.default_rng(0)
    clips = pd.DataFrame({"source_seconds": rng.uniform(0.3, 2.0, 60),
                          "split": ["train"] * 48 + ["dev"] * 6 + ["test"] * 6})
    data_figures.durations(clips, 1.2, "mine: clip lengths before the copy")
    curves = pd.DataFrame([{"point": point, "schedule": schedule, "epoch": epoch,
                            "dev_accuracy": 0.3 + 0.05 * epoch + 0.01 * i}
                           for i, (point, schedule) in enumerate(
                               [("no curriculum", "none"), ("curriculum (A)", "curriculum"),
                                ("curriculum (B)", "curriculum"), ("random", "random")])
                           for epoch in range(1, 5)])
    curricula_figures.learning_curves(curves, 1 / 3, "mine: dev accuracy while training")


def test_a_bar_chart_of_many_groups_shows_both_ends_and_a_single_share_is_a_point():
    table = pd.DataFrame({"mean_rank": np.linspace(0.9, 0.1, 148)},
                         index=[f"voice {i}" for i in range(148)])
    fig = validation_figures.mean_rank_bars(table, "voice", "voices")
    assert len(fig.axes[0].patches) == validation_figures.GROUPS_SHOWN
    assert "of 148" in fig.axes[0].get_title()
    point = pd.DataFrame({"score": ["A", "B"], "flip_fraction": [0.25, 0.25],
                          "auroc": [0.9, 0.6], "flagged_by_cleanlab": [0.3, 0.3]})
    fig = validation_figures.noise_sweep(point, "sweep")
    assert "a point, not a sweep" in fig.get_suptitle()

