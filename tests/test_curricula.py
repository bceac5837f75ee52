"""Curricula: the ordering reaches aucurriculum by sample id, the pacing limits what the first
epochs draw, bad pacing is one line, and the smoke notebook trains through aucurriculum."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from lib import curricula, paths, profiles, record, toolkit, training
from lib.datasets import LAYOUTS


def _split(n: int = 12) -> pd.DataFrame:
    labels = ["no", "one", "tree"]
    return pd.DataFrame({"filename": [f"{labels[i % 3]}/clip_{i:02d}.wav" for i in range(n)],
                         "label": [labels[i % 3] for i in range(n)]})


def test_a_presented_ordering_follows_the_split_row_by_row_whatever_the_row_orders():
    split = _split()
    score = pd.Series(np.arange(12.0), index=split["filename"])  # clip_11 hardest
    shuffled_split = split.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled_score = score.sample(frac=1.0, random_state=2)
    table = curricula.presented(shuffled_score, shuffled_split, "filename")
    assert list(table["sample_id"]) == list(shuffled_split["filename"])
    by_id = table.set_index("sample_id")[toolkit.PRESENTED_COLUMN]
    assert list(by_id.sort_values().index) == list(score.index)


def test_ties_are_broken_by_sample_id_not_by_row_order():
    split = _split()
    score = pd.Series(1.0, index=split["filename"])
    first = curricula.presented(score, split, "filename").set_index("sample_id")
    again = curricula.presented(score, split.iloc[::-1].reset_index(drop=True),
                                "filename").set_index("sample_id")
    column = toolkit.PRESENTED_COLUMN
    assert first[column].equals(again[column].reindex(first.index))
    assert sorted(first[column]) == list(range(12))


def test_a_sample_without_a_score_is_placed_at_the_median_in_one_line():
    split = _split()
    score = pd.Series(np.arange(11.0), index=split["filename"][:11])
    lines = []
    table = curricula.presented(score, split, "filename", log=lines.append)
    assert len(lines) == 1 and "1 of 12" in lines[0]
    position = table.set_index("sample_id")[toolkit.PRESENTED_COLUMN]
    assert 4 <= position[split["filename"][11]] <= 6


def test_the_paced_steps_follow_what_the_sampling_draws():
    labels = pd.Series(["a"] * 10 + ["b"] * 4)
    pacing = curricula.Pacing("Linear", 0.5, 0.5, "Balanced")
    assert pacing.sizes(14, 2) == [7, 14]
    assert pacing.drawn(labels, 2) == [6, 14]  # 3 per class
    assert pacing.steps(labels, 2, 4) == 2 + 4
    original = curricula.Pacing("Linear", 0.5, 0.5, "Original")
    assert original.drawn(labels, 2) == [7, 14]  # 5 + 2


def test_the_pacing_grows_the_drawn_share_to_the_whole_split():
    pacing = curricula.Pacing("Linear", 0.2, 0.5, "Balanced")
    sizes = pacing.sizes(600, 8)
    assert sizes[0] == 120 and sizes[-1] == 600 and sizes == sorted(sizes)
    assert sizes[4:] == [600] * 4
    assert curricula.sample_epochs_share(pacing, 600, 8) == pytest.approx(sum(sizes) / 4800)


@pytest.mark.parametrize("pacing, problem", [
    (curricula.Pacing("Linear", 0.01, 0.5, "Balanced"), "fewer than one per class"),
    (curricula.Pacing("Sideways", 0.2, 0.5, "Balanced"), "CURRICULUM_PACING"),
    (curricula.Pacing("Linear", 1.5, 0.5, "Balanced"), "Initial size must be in (0, 1]"),
    (curricula.Pacing("Linear", 0.2, 0.5, "Lopsided"), "CURRICULUM_SAMPLING"),
])
def test_bad_pacing_is_one_line(pacing, problem):
    with pytest.raises(curricula.CurriculumError) as caught:
        pacing.check(60, 6, 8)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_bad_pacing_parameters_are_one_line_before_anything_runs():
    with pytest.raises(profiles.ProfileError) as caught:
        profiles.check(CURRICULUM_FINAL_ITERATION=1.5)
    assert "CURRICULUM_FINAL_ITERATION" in str(caught.value)
    with pytest.raises(profiles.ProfileError):
        profiles.check(CURRICULUM_SCHEDULES=["sideways"])


def test_the_random_schedule_is_trained_once_for_every_ordering():
    assert curricula.points_to_train(["CELoss", "CumulativeAccuracy"],
                                     ["curriculum", "anti", "random"]) == [
        ("curriculum", "CELoss"), ("anti", "CELoss"), ("curriculum", "CumulativeAccuracy"),
        ("anti", "CumulativeAccuracy"), ("random", "")]


def test_the_training_config_sweeps_only_the_points_asked_for(smoke_data):
    """Both datasets in one sweep, each with its own orderings and its own paced cycle."""
    nested = paths.curriculum_profile("smoke")
    for dataset in ("SyntheticScenes", "OfflineKeywords"):
        paths.dataset_dir(nested, dataset).parent.mkdir(parents=True, exist_ok=True)
    work = toolkit.write_curriculum_config(
        nested, "Cnn10",
        {"SyntheticScenes": [("curriculum", "ASyntheticScenes"), ("anti", "ASyntheticScenes"),
                             ("random", "RandomSyntheticScenes")],
         "OfflineKeywords": [("curriculum", "AOfflineKeywords")]},
        [1, 2], toolkit.Settings(2, 8, 1e-3, "Adam", "onecycle", "bf16", device="cpu"),
        curricula.Pacing("Linear", 0.5, 0.5, "Balanced"),
        {"SyntheticScenes": 7, "OfflineKeywords": 5})
    config = yaml.safe_load((work / "conf" / "curricula.yaml").read_text())
    scheduler = yaml.safe_load((work / "conf" / "scheduler" / f"{toolkit.PACED_SCHEDULER}.yaml")
                               .read_text())
    assert scheduler["epochs"] == 1  # one cycle over each paced run's steps
    assert scheduler["steps_per_epoch"] == {"SyntheticScenes-16k": 7, "OfflineKeywords-16k": 5}
    dataset = yaml.safe_load((work / "conf" / "dataset" / "SyntheticScenes-16k.yaml").read_text())
    assert dataset["dev_split_seed"] == toolkit.CURRICULUM_DEV_SPLIT_SEED
    sweep = config["hydra"]["sweeper"]["params"]
    assert sweep["dataset"] == "SyntheticScenes-16k, OfflineKeywords-16k"
    assert sweep["curriculum"] == "AntiCurriculum, Curriculum"
    assert sweep["curriculum/scoring"] == ("ASyntheticScenes, RandomSyntheticScenes, "
                                           "AOfflineKeywords")
    assert sweep["+seed"] == "1, 2" and sweep["scheduler"] == toolkit.PACED_SCHEDULER
    excluded = {f["expr"] for f in config["hydra"]["sweeper"]["filters"] if f["type"] == "expr"}
    kept = {("SyntheticScenes-16k", "Curriculum", "ASyntheticScenes"),
            ("SyntheticScenes-16k", "AntiCurriculum", "ASyntheticScenes"),
            ("SyntheticScenes-16k", "Curriculum", "RandomSyntheticScenes"),
            ("OfflineKeywords-16k", "Curriculum", "AOfflineKeywords")}
    every = {(d, k, s) for d in ("SyntheticScenes-16k", "OfflineKeywords-16k")
             for k in ("AntiCurriculum", "Curriculum")
             for s in ("ASyntheticScenes", "RandomSyntheticScenes", "AOfflineKeywords")}
    assert excluded == {f"dataset.id == '{d}' and curriculum.id == '{k}' and "
                        f"curriculum.scoring.id == '{s}'" for d, k, s in every - kept}
    assert config["defaults"][0] == "_aucurriculum_train_"


@pytest.fixture(scope="module")
def trained(smoke_notebooks):
    """What notebooks/09_curricula trained on the smoke keyword set."""
    values = profiles.load("smoke")
    ensemble = training.Ensemble.from_parameters(values)
    pacing = curricula.Pacing.from_parameters(values)
    orderings = curricula.resolve("smoke", "OfflineKeywords", values["CURRICULUM_ORDERINGS"])
    points = curricula.train("smoke", ensemble, {"OfflineKeywords": orderings},
                             values["CURRICULUM_SCHEDULES"], pacing,
                             values["CURRICULUM_SEEDS"], log=lambda line: None
                             )["OfflineKeywords"]
    return values, pacing, orderings, points


def test_the_smoke_notebook_trains_through_aucurriculum_and_records_every_point(trained):
    values, _, orderings, points = trained
    numbers = record.load("smoke", record.Curricula.CHAPTER)["OfflineKeywords"]
    assert [p.name for p in points] == list(numbers[record.Curricula.POINTS])
    assert numbers[record.Curricula.ORDERINGS] == orderings
    for point in points:
        for run in point.runs:
            folder = training.run_dir(point.profile, run)
            config = yaml.safe_load((folder / ".hydra" / "config.yaml").read_text())
            assert config["curriculum"]["type"] == toolkit.CURRICULUM_TYPES[point.schedule]
            assert (folder / "pace.csv").is_file()  # aucurriculum's pace manager ran
            assert not list(folder.glob("*/optimizer.pt"))


def test_the_pacing_limits_what_the_first_epoch_drew(trained):
    """The first epoch's saved batches hold exactly the paced share: under the curriculum, the
    easiest per class of the presented ordering; the last epoch draws the whole split."""
    values, pacing, orderings, points = trained
    nested = paths.curriculum_profile("smoke")
    split = toolkit.training_split(nested, "OfflineKeywords")
    sizes = pacing.sizes(len(split), values["EPOCHS"])
    assert sizes[0] < len(split)
    point = next(p for p in points if p.schedule == "curriculum")
    folder = training.run_dir(point.profile, point.runs[0])
    ids = toolkit.run_split_table(folder, "train")[LAYOUTS["OfflineKeywords"].index_column]
    drawn = [set(ids.to_numpy()[np.load(toolkit.epoch_outputs_files(folder, epoch)[2])])
             for epoch in (1, values["EPOCHS"])]
    labels = split[LAYOUTS["OfflineKeywords"].target_column].astype(str)
    assert len(drawn[0]) == pacing.drawn(labels, values["EPOCHS"])[0]
    assert len(drawn[1]) == len(split)
    presented = pd.read_csv(paths.presented_ordering_file(nested, "OfflineKeywords",
                                                          point.ordering))
    presented["label"] = presented["sample_id"].map(split.set_index(
        LAYOUTS["OfflineKeywords"].index_column)[LAYOUTS["OfflineKeywords"].target_column])
    per_class = sizes[0] // presented["label"].nunique()
    easiest = presented.sort_values(toolkit.PRESENTED_COLUMN).groupby("label").head(per_class)
    assert drawn[0] == set(easiest["sample_id"])


def test_a_changed_row_order_is_caught_when_aucurriculum_reads_it_back(trained):
    _, _, orderings, _ = trained
    nested = paths.curriculum_profile("smoke")
    table = pd.read_csv(paths.presented_ordering_file(nested, "OfflineKeywords", orderings[0]))
    config = curricula.scoring_id(orderings[0], "OfflineKeywords")
    curricula.check_read_back(nested, "OfflineKeywords", config, table)
    wrong = table.assign(**{toolkit.PRESENTED_COLUMN: table[toolkit.PRESENTED_COLUMN][::-1]
                            .to_numpy()})
    with pytest.raises(curricula.CurriculumError, match="do not follow"):
        curricula.check_read_back(nested, "OfflineKeywords", config, wrong)


def test_a_curriculum_seed_without_a_main_run_is_one_line(smoke_notebooks):
    ensemble = training.Ensemble.from_parameters(profiles.load("smoke"))
    with pytest.raises(curricula.CurriculumError) as caught:
        curricula.baseline("smoke", ensemble, "OfflineKeywords", [99])
    assert str(caught.value).startswith("CURRICULUM_SEEDS: seed 99") and "\n" not in str(
        caught.value)
