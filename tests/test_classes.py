"""Class-level recall, difficulty and the paper's correlations."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import classes, paths, record, scoring


def _recalls(train: dict[str, list[float]], test: dict[str, list[float]]) -> pd.DataFrame:
    labels = ["a", "b", "c", "d"]
    rows = [{"run": run, "subset": subset, "label": label, "recall": value}
            for subset, table in (("train", train), ("test", test))
            for run, values in table.items() for label, value in zip(labels, values)]
    return pd.DataFrame(rows)


def test_correlations_against_a_hand_computed_case():
    recalls = _recalls(train={"r1": [0.9, 0.8, 0.7, 0.6], "r2": [0.9, 0.6, 0.8, 0.7]},
                       test={"r1": [0.5, 0.4, 0.3, 0.2], "r2": [0.5, 0.4, 0.3, 0.2]})
    ordering = pd.DataFrame({"sample_id": list("123456789"),
                             "label": list("aabbccddd"),
                             "rank": [0.0, 0.2, 0.3, 0.5, 0.6, 0.4, 0.9, 1.0, 0.8]})
    overview = classes.overview(recalls, ordering)
    # Mean difficulty: a 0.1, b 0.4, c 0.5, d 0.9; mean train: a .9, b .7, c .75, d .65.
    assert overview["mean_difficulty"].round(6).tolist() == [0.1, 0.4, 0.5, 0.9]
    assert overview["train_samples"].tolist() == [2, 2, 2, 3]
    table = classes.correlations(overview, recalls).set_index("Base")["Spearmanr"]
    # Train ranks a>c>b>d vs test a>b>c>d: d = (0, 1, 1, 0), rho = 1 - 6*2/(4*15) = 0.8.
    assert table["Train - Test correlation"] == pytest.approx(0.8)
    # r1 agrees perfectly (1.0); r2's train order a>c>d>b gives d = (0,2,1,1): rho = 0.4.
    assert table["Train - Test correlation (over single train recalls)"] == pytest.approx(0.7)
    std = classes.correlations(overview, recalls).set_index("Base")["STD"]
    assert std["Train - Test correlation (over single train recalls)"] == pytest.approx(0.3)
    assert table["Difficulty Test"] == pytest.approx(-1.0)


def test_recall_per_class():
    predictions = pd.DataFrame({"label": ["a", "a", "b", "b", "b"],
                                "predicted": ["a", "b", "b", "b", "a"]})
    assert classes.recall_per_class(predictions).to_dict() == pytest.approx(
        {"a": 0.5, "b": 2 / 3})


def test_regression_band_contains_the_line_and_widens_away_from_the_mean():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 20)
    y = 1 - 0.5 * x + rng.normal(0, 0.05, 20)
    grid = np.linspace(0, 1, 11)
    fitted, low, high = classes.regression_band(x, y, grid)
    assert (low < fitted).all() and (fitted < high).all()
    width = high - low
    assert width[0] > width[5] and width[-1] > width[5]
    slope = stats.linregress(x, y).slope
    assert (fitted[1] - fitted[0]) / 0.1 == pytest.approx(slope)
    assert high.max() > 1  # a recall's band, unbounded, runs past 1 at the easy end ...
    bounded = classes.regression_band(x, y, grid, bounds=(0, 1))
    assert all(part.max() <= 1 and part.min() >= 0 for part in bounded)  # ... bounded, not
    assert (bounded[1] == low).all()


def test_published_tables_are_the_papers():
    correlations = classes.published_correlations("SpeechCommands").set_index("Base")
    assert correlations.loc["Difficulty Test", "Spearmanr"] == pytest.approx(-0.5936, abs=1e-4)
    assert classes.published_correlations("DCASE2020Task1A").set_index("Base").loc[
        "Difficulty Test", "Spearmanr"] == pytest.approx(-0.9273, abs=1e-4)
    overview = classes.published_overview("SpeechCommands")
    assert len(overview) == 35 and "no" in overview.index
    assert len(classes.published_overview("DCASE2020Task1A")) == 10


def test_test_predictions_are_autrainers_and_cached(smoke_notebooks, smoke, ensemble):
    run = ensemble.runs[0]
    test = classes.predictions("smoke", run, "test")
    metrics = pd.read_csv(paths.training_dir("smoke") / "runs.csv").set_index("run")
    accuracy = (test["label"] == test["predicted"]).mean()
    assert accuracy == pytest.approx(metrics.loc[run.name, "test_accuracy"], abs=1e-6)
    cache = paths.predictions_file("smoke", run.name, "train")
    classes.predictions("smoke", run, "train")
    before = cache.stat().st_mtime_ns
    train = classes.predictions("smoke", run, "train")
    assert cache.stat().st_mtime_ns == before
    ordering = scoring.read_ordering("smoke", run.dataset)
    assert set(ordering["sample_id"]) <= set(train["sample_id"])


def test_class_chapter_records_its_numbers(smoke_notebooks, smoke):
    summary = record.load("smoke", record.Classes.CHAPTER)
    for dataset in smoke["DATASETS"]:
        numbers = summary[dataset]
        assert numbers[record.Classes.CLASSES] >= 3
        assert set(numbers[record.Classes.CORRELATIONS]) == set(classes.CORRELATIONS)


def test_the_correlation_table_names_each_correlation_in_words_beside_the_papers():
    ours = pd.DataFrame({"Base": list(classes.CORRELATIONS), "Spearmanr": [0.9, 0.8, -0.75],
                         "STD": [0.0, 0.05, 0.0], "n": [6] * 3, "p": [0.01, float("nan"), 0.11]})
    table = classes.correlations_beside_paper(ours, classes.published_correlations(
        "SpeechCommands"))
    assert list(table["correlation"]) == list(classes.CORRELATION_NAMES.values())
    assert "Base" not in table and "Spearmanr" not in table  # no raw csv headers
    assert table["spread over runs (ours)"].isna().tolist() == [True, False, True]
