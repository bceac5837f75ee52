"""The smoke ensemble: trained through autrainer, reused, resumed, scored and checked."""
import shutil
from dataclasses import replace

import pandas as pd
import pytest

from lib import (difficulty, groundtruth, paths, profiles, record, retraining, scoring, toolkit,
                 training)


def test_every_planned_run_is_an_autrainer_run_folder(smoke_notebooks, smoke, ensemble):
    runs = ensemble.runs
    assert len(runs) == len(smoke["DATASETS"]) * len(smoke["MODELS"]) * len(smoke["SEEDS"])
    for run in runs:
        training.check_run("smoke", run, smoke["EPOCHS"])
    metrics = pd.read_csv(paths.training_dir("smoke") / "runs.csv")
    assert sorted(metrics["run"]) == sorted(r.name for r in runs)
    assert metrics["best_epoch"].between(1, smoke["EPOCHS"]).all()


def test_unchanged_parameters_do_not_retrain(smoke_notebooks, smoke, ensemble):
    finished = {r.name: training.run_dir("smoke", r).joinpath("metrics.csv").stat().st_mtime_ns
                for r in ensemble.runs}
    lines = []
    training.train_ensemble("smoke", ensemble, log=lines.append)
    assert lines[0].startswith(f"{len(finished)} of {len(finished)} runs already trained")
    assert finished == {r: training.run_dir("smoke", r).joinpath("metrics.csv").stat()
                        .st_mtime_ns for r in finished}


def test_interrupted_or_outdated_runs_are_the_only_ones_trained_again(private_results, smoke,
                                                                      ensemble):
    runs = ensemble.runs
    keywords = [r for r in runs if r.dataset == "OfflineKeywords"]
    interrupted, outdated = keywords[-1], keywords[0]
    (training.run_dir("smoke", interrupted) / "metrics.csv").unlink()  # as if killed mid-run
    (training.run_dir("smoke", outdated) / training.DATA_RECORD).write_text("older data")
    before = {r.name: (training.run_dir("smoke", r) / "metrics.csv").stat().st_mtime_ns
              for r in runs if r not in (interrupted, outdated)}
    params = {**smoke, "DATASETS": ["OfflineKeywords"]}
    lines = []
    training.train_ensemble("smoke", training.Ensemble.from_parameters(params), log=lines.append,
                            summarise=False)  # autrainer's aggregate is not under test here
    assert any(outdated.label in line and "data that has changed" in line for line in lines)
    assert any(line.startswith(f"{len(keywords) - 2} of {len(keywords)} runs already trained; "
                               "training 2") for line in lines)
    for run in (interrupted, outdated):
        assert any(run.label in line and "epochs in" in line for line in lines)
        training.check_run("smoke", run, smoke["EPOCHS"])
    assert before == {r: (training.run_dir("smoke", r) / "metrics.csv").stat().st_mtime_ns
                      for r in before}
    # No optimizer state is kept: scoring reads only the models, and a one-cycle run is
    # trained afresh, never continued (lib.toolkit.retain).
    assert not list(training.run_dir("smoke", interrupted).glob("*/optimizer.pt"))
    assert not list(training.run_dir("smoke", interrupted).glob("_initial/*.pt"))


def test_orderings_join_runs_that_saw_different_training_sets(smoke_notebooks, ensemble,
                                                              scorer):
    """autrainer's DCASE dev split depends on the seed, so the scene runs saw different
    training samples: each sample's score counts only the runs that saw it."""
    ordering = scoring.read_ordering("smoke", "SyntheticScenes")
    per_run = scoring.run_scores("smoke", scorer, ensemble.runs_of("SyntheticScenes"),
                                 ensemble.settings.epochs)
    seen = {run: set(table["sample_id"]) for run, table in per_run.items()}
    assert len(set.union(*seen.values())) > len(set.intersection(*seen.values()))
    for row in ordering.itertuples():
        assert row.runs == sum(row.sample_id in ids for ids in seen.values())
        saw = [t[t["sample_id"] == row.sample_id] for t in per_run.values()]
        assert row.count == sum(int(s["count"].iloc[0]) for s in saw if len(s))
    assert ordering["rank"].between(0, 1).all()
    assert ordering["rank"].is_monotonic_increasing


def test_keyword_ordering_equals_aucurriculums_where_runs_agree(smoke_notebooks, smoke, scorer):
    ours = scoring.read_ordering("smoke", "OfflineKeywords").set_index("sample_id")
    theirs = scoring.aucurriculum_ensemble("smoke", scorer, "OfflineKeywords")
    theirs = theirs.set_index("sample_id")
    assert set(ours.index) == set(theirs.index)
    assert (ours["score"] - theirs["score"].reindex(ours.index)).abs().max() < 1e-12


def test_dynamics_cover_every_training_sample_of_every_run(smoke_notebooks, smoke):
    table = pd.read_csv(paths.dynamics_file("smoke", "OfflineKeywords"))
    ordering = scoring.read_ordering("smoke", "OfflineKeywords")
    assert set(table["sample_id"]) == set(ordering["sample_id"])
    assert (table.groupby("sample_id").size() == len(smoke["MODELS"]) * len(smoke["SEEDS"])).all()
    assert (table["epochs"] == smoke["EPOCHS"]).all()


def test_missing_run_folder_is_one_line(private_results, smoke, ensemble, scorer):
    ordering = paths.ordering_file("smoke", "OfflineKeywords").read_bytes()
    run = ensemble.runs[0]
    shutil.rmtree(training.run_dir("smoke", run))
    with pytest.raises(training.RunError) as err:
        scoring.score_ensemble("smoke", ensemble, scorer, log=lambda line: None)
    assert "run folder missing" in str(err.value) and run.name in str(err.value)
    assert "\n" not in str(err.value)
    assert paths.ordering_file("smoke", "OfflineKeywords").read_bytes() == ordering


def test_missing_epoch_outputs_are_one_line(private_results, smoke, ensemble, scorer):
    ordering = paths.ordering_file("smoke", "OfflineKeywords").read_bytes()
    run = ensemble.runs[1]
    (training.run_dir("smoke", run) / "epoch_2" / "train_outputs.npy").unlink()
    with pytest.raises(training.RunError) as err:
        scoring.score_ensemble("smoke", ensemble, scorer, log=lambda line: None)
    assert "epoch 2 outputs missing (train_outputs.npy)" in str(err.value)
    assert paths.ordering_file("smoke", "OfflineKeywords").read_bytes() == ordering
    with pytest.raises(training.RunError, match="epoch 2 outputs missing"):
        scoring.run_dynamics("smoke", run, smoke["EPOCHS"], "best")


@pytest.mark.parametrize("change, message", [
    ({"SCORING": "Confidence"}, "unknown scoring function 'Confidence'"),
    ({"SEEDS": []}, "empty ensemble"),
])
def test_bad_scoring_request_is_one_line_and_keeps_the_ordering(private_results, smoke,
                                                                change, message):
    ordering = paths.ordering_file("smoke", "OfflineKeywords").read_bytes()
    with pytest.raises(difficulty.DifficultyError) as err:
        values = {**smoke, **change}
        scoring.score_ensemble("smoke", training.Ensemble.from_parameters(values),
                               scoring.Scoring.from_parameters(values), log=lambda line: None)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert paths.ordering_file("smoke", "OfflineKeywords").read_bytes() == ordering


def test_second_process_on_the_same_profile_is_refused(private_results):
    with toolkit.exclusive("smoke"):
        with pytest.raises(toolkit.ToolkitError, match="in use by another"):
            with toolkit.exclusive("smoke"):
                pass


def test_chapters_run_at_once_wait_for_a_folder_in_use(private_results, monkeypatch):
    """Under ``lib.run --jobs`` the second holder waits for the first instead of failing."""
    import threading

    monkeypatch.setenv(toolkit.WAIT_FOR_LOCK_ENV, "1")
    order: list[str] = []
    held, release = threading.Event(), threading.Event()

    def first() -> None:
        with toolkit.exclusive("smoke"):
            order.append("first in")
            held.set()
            release.wait(10)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    threading.Timer(0.5, release.set).start()
    with toolkit.exclusive("smoke"):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_unknown_scoring_is_refused_by_the_toolkit_layer_too():
    with pytest.raises(toolkit.ToolkitError, match="unknown scoring function"):
        toolkit.score("smoke", "Confidence", {"OfflineKeywords": ["run"]}, "best", "train",
                      "cpu", 8)


def test_chapters_record_their_key_numbers(smoke_notebooks, smoke, ensemble):

    T, D = record.Training, record.Difficulty
    trained = record.load("smoke", T.CHAPTER)
    assert trained[T.RUNS] == len(ensemble.runs)
    assert set(trained[T.TEST_ACCURACY]) == {record.model_key(d, m) for d in smoke["DATASETS"]
                                             for m in smoke["MODELS"]}
    scored = record.load("smoke", D.CHAPTER)
    assert scored["OfflineKeywords"][D.SAMPLES] == 24
    assert scored["OfflineKeywords"][D.OURS_VS_AUCURRICULUM] == 0.0
    assert scored["SyntheticScenes"][D.OURS_VS_AUCURRICULUM] > 0.0
    share = difficulty.HardestShare(**scored["OfflineKeywords"][D.HARDEST][groundtruth.FLIPPED])
    assert share.flagged == 2 and 0 <= share.in_hardest <= 2


def test_a_run_trains_with_augmentation_through_autrainer(smoke_notebooks, ensemble,
                                                          tmp_path, monkeypatch):
    """One smoke run again with the band limit and the masks: its own run folder, autrainer's
    saved config names the pipeline, and the augmentation changed what it learned (same seed,
    same data order, other training outputs than the book's run without augmentation)."""
    from dataclasses import replace

    from omegaconf import OmegaConf

    plain = replace(ensemble, datasets=("OfflineKeywords",), seeds=(1,), seeds_by_model=())
    augmented = replace(plain, settings=replace(plain.settings,
                                                augmentation="telephone+specaugment"))
    book_run_dir = training.run_dir("smoke", plain.runs[0])
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    runs = training.train_ensemble("smoke", augmented, log=lambda line: None, summarise=False)
    assert [r.name for r in runs] == [plain.runs[0].name.replace(
        "_None_1", f"_{toolkit.AUGMENTATION_IDS['telephone+specaugment']}_1")]
    folder = training.run_dir("smoke", runs[0])
    training.check_run("smoke", runs[0], augmented.settings.epochs)
    config = OmegaConf.to_container(OmegaConf.load(folder / ".hydra" / "config.yaml"))
    assert [next(iter(step)) if isinstance(step, dict) else step
            for step in config["augmentation"]["pipeline"]] == [
        "lib.augmentations.TelephoneBand", "lib.augmentations.SpecMasks"]
    assert config["optimizer"] == toolkit.FUSED_ADAM  # the project's config, not autrainer's
    first = "epoch_1/train_outputs.npy"
    assert (folder / first).read_bytes() != (book_run_dir / first).read_bytes()


def test_what_each_run_keeps_follows_who_reads_it():
    """Under the in-training engine only each dataset's first run keeps every epoch's model
    (aucurriculum scores it beside the records); the rest keep what scoring reads; a pruning
    point keeps no state; the paper's runs (no schedule) also keep what continuing needs."""
    demo = training.Ensemble.from_parameters(profiles.load("demo"))
    first, *others = demo.runs
    assert demo.retention_of(first) == "every-epoch"
    assert {demo.retention_of(run) for run in others} == {"scored"}
    assert not demo.resumable  # a one-cycle run is trained afresh, never continued
    point = retraining.small(demo, "OfflineKeywords", [1])
    assert [point.retention_of(run) for run in point.runs] == ["none"]
    paper = training.Ensemble.from_parameters(profiles.load("paper"))
    assert paper.resumable and paper.aucurriculum == "reference"
    everything = replace(paper, aucurriculum="all")
    assert {everything.retention_of(run) for run in everything.runs} == {"every-epoch"}


@pytest.mark.parametrize("steps_per_epoch, epochs", [(1, 1), (2, 1), (2, 2), (3, 1), (10, 6)])
def test_a_one_cycle_schedule_fits_a_tiny_training_set(steps_per_epoch, epochs):
    """A pruned smoke-sized set gives 4 steps: torch's warm-up of one step divided by zero."""
    import torch
    from lib.schedulers import OneCycleLR

    optimizer = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), lr=1e-3)
    schedule = OneCycleLR(optimizer, 1e-3, epochs, {"d": steps_per_epoch}, "d", pct_start=0.25)
    rates = []
    for _ in range(epochs * steps_per_epoch):
        optimizer.step()
        rates.append(schedule.get_last_lr()[0])
        schedule.step()
    assert max(rates) <= 1e-3 and rates[-1] <= rates[0]
    if epochs * steps_per_epoch >= 3:
        assert max(rates) == pytest.approx(1e-3) and rates[-1] < rates[0]

