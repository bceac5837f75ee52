"""In-training scores: the recorder callback, and CumulativeAccuracy, CELoss and FirstIteration
from its records equal to aucurriculum's."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from lib import (callbacks, classes, definitions, difficulty, paths, scoring, toolkit,
                 training)
from lib.datasets import layout_of


class _Data:
    def __init__(self, dataset):
        self.train_dataset = dataset


class _Trainer:
    """What the recorder reads of autrainer's trainer: data, model, device, run folder."""

    def __init__(self, folder, samples=10):
        torch.manual_seed(0)
        features = torch.randn(samples, 4)
        targets = torch.arange(samples) % 3
        self.data = _Data([(features[i], targets[i], i) for i in range(samples)])
        self.model = torch.nn.Linear(4, 3)
        self.DEVICE = "cpu"
        self.output_directory = folder


def test_recorder_writes_each_epoch_once_and_atomically(tmp_path, monkeypatch):
    trainer = _Trainer(tmp_path)
    recorder = callbacks.ScoredSplitRecorder("train", batch_size=4)
    recorder.cb_on_val_end(trainer, 1, {})

    def passes(file):  # the record without the seconds the pass took
        with np.load(file) as record:
            assert float(record["seconds"]) > 0
            return {key: record[key].tolist() for key in record.files if key != "seconds"}

    recorded_first = passes(callbacks.records_dir(tmp_path) / "epoch_1.npz")
    recorder.cb_on_val_end(trainer, 1, {})  # a continued run repeats an epoch
    assert sorted(p.name for p in callbacks.records_dir(tmp_path).iterdir()) == ["epoch_1.npz"]
    assert passes(callbacks.records_dir(tmp_path) / "epoch_1.npz") == recorded_first
    first = (callbacks.records_dir(tmp_path) / "epoch_1.npz").read_bytes()
    with np.load(callbacks.records_dir(tmp_path) / "epoch_1.npz") as record:
        assert list(record["position"]) == list(range(10))
        logits = trainer.model(torch.stack([x for x, _, _ in trainer.data.train_dataset]))
        assert (record["predicted"] == logits.argmax(1).numpy()).all()
        assert record["true_probability"].dtype == np.float32

    def killed(file, **arrays):
        open(file, "wb").write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", killed)
    with pytest.raises(KeyboardInterrupt):
        recorder.cb_on_val_end(trainer, 2, {})
    assert not (callbacks.records_dir(tmp_path) / "epoch_2.npz").exists()
    assert (callbacks.records_dir(tmp_path) / "epoch_1.npz").read_bytes() == first


class _AugmentedDataset(torch.utils.data.Dataset):
    """Log-mels behind a transform as autrainer's dataset wrapper has it (augmentation last)."""

    def __init__(self, features, targets, transform):
        self.features, self.targets, self.transform = features, targets, transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, item):
        return self.transform(self.features[item], index=item), self.targets[item], item


def test_the_recorder_scores_the_clips_without_the_training_augmentation(tmp_path):
    from autrainer.transforms import SmartCompose

    from lib.augmentations import TelephoneBand

    trainer = _Trainer(tmp_path)
    features = -54.0 + 5.0 * torch.randn(12, 1, 101, 64)
    targets = torch.arange(12) % 3
    transform = SmartCompose([TelephoneBand(p=1.0, generator_seed=0)])
    trainer.data = _Data(_AugmentedDataset(features, targets, transform))
    trainer.model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(101 * 64, 3))
    callbacks.ScoredSplitRecorder("train", batch_size=5).cb_on_val_end(trainer, 1, {})
    with np.load(callbacks.record_file(tmp_path, 1)) as record:
        clean = torch.softmax(trainer.model(features), dim=1)[torch.arange(12), targets]
        augmented = torch.softmax(trainer.model(torch.stack(
            [transform(x, index=0) for x in features])), dim=1)[torch.arange(12), targets]
        # batches of 5 against one of 12: the BLAS kernels may round differently
        np.testing.assert_allclose(record["true_probability"], clean.detach().numpy(),
                                   rtol=1e-4, atol=1e-8)
        assert not np.allclose(record["true_probability"], augmented.detach().numpy())
    assert trainer.data.train_dataset.transform is transform  # put back afterwards


def test_training_config_names_the_recorder_and_keeps_best_and_last(smoke_data):
    work = toolkit.write_training_config("smoke", ["OfflineKeywords"], {"Cnn10": [1]},
                                         toolkit.Settings(3, 8, 1e-3, precision="bf16",
                                                          device="cpu"),
                                         record="train", every_epoch=False)
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())
    assert config["callbacks"] == [{"lib.callbacks.ScoredSplitRecorder":
                                    {"subset": "train", "batch_size": 8}}]
    assert config["save_frequency"] == 3


@pytest.fixture(scope="module")
def recorded(smoke_notebooks, smoke, tmp_path_factory):
    """The smoke runs trained again with the recorder and every checkpoint kept, in a private
    results folder. aucurriculum's side: the book's own scores of its runs (stop best: the
    Difficulty chapter's; CELoss and FirstIteration: the Definitions chapter's), and stop last
    scored here; the retrained runs are the book's to the byte (tested below)."""
    ensemble = replace(training.Ensemble.from_parameters(smoke), recorded="train",
                       aucurriculum="reference")
    by_book = scoring.Scoring(stop="best", engine="aucurriculum")
    theirs = {"best": ({d: scoring.read_ordering("smoke", d) for d in ensemble.datasets},
                       {d: scoring.aucurriculum_scores("smoke", by_book, ensemble.runs_of(d))
                        for d in ensemble.datasets})}
    both = {(dataset, name, None): definitions.stored("smoke", dataset, name).scores
            for dataset in ensemble.datasets for name in definitions.RECORDED}
    original = paths.RESULTS
    paths.RESULTS = tmp_path_factory.mktemp("in_training") / "results"
    try:
        toolkit.write_training_config(
            "smoke", list(ensemble.datasets),
            {m: list(ensemble.seeds_of(m)) for m in ensemble.models},
            replace(ensemble.settings, augmentation="none"), record="train", every_epoch=True)
        toolkit.train("smoke", log_name="train-all")
        by_aucurriculum = scoring.Scoring(stop="last", engine="aucurriculum")
        orderings = scoring.score_ensemble("smoke", replace(ensemble, recorded=None),
                                           by_aucurriculum, log=lambda line: None)
        theirs["last"] = (orderings, {d: scoring.aucurriculum_scores(
            "smoke", by_aucurriculum, ensemble.runs_of(d)) for d in ensemble.datasets})
        ours = {stop: {d: scoring.run_scores("smoke", scoring.Scoring(stop=stop,
                                                                      engine="in-training"),
                                             ensemble.runs_of(d), ensemble.settings.epochs)
                       for d in ensemble.datasets} for stop in ("best", "last")}
        agreement = scoring.engine_agreement(  # the stop scored here
            "smoke", ensemble, scoring.Scoring(stop="last", engine="in-training"))
        dynamics = {run.name: scoring.run_eval_dynamics("smoke", run, ensemble.settings.epochs,
                                                        "best")
                    for run in ensemble.runs}
        folders = {run.name: training.run_dir("smoke", run) for run in ensemble.runs}
        plan = definitions.Plan(definitions.RECORDED, ensemble.models, ("fc1",), 2, 1)
        by_dataset = definitions.score_all("smoke", ensemble, plan, list(ensemble.datasets),
                                           "best", "train", log=lambda line: None)
        both.update({(dataset, name, "train"): scored.scores  # from the records: no command
                     for dataset, of_dataset in by_dataset.items()
                     for name, scored in of_dataset.items()})
    finally:
        paths.RESULTS = original
    return ensemble, theirs, ours, agreement, dynamics, folders, both


@pytest.mark.parametrize("stop", ["best", "last"])
def test_in_training_scores_equal_aucurriculums_run_by_run_and_ensembled(recorded, stop):
    ensemble, theirs, ours, *_ = recorded
    orderings, per_run = theirs[stop]
    for dataset in ensemble.datasets:
        for run, table in per_run[dataset].items():
            mine = ours[stop][dataset][run].set_index("sample_id").sort_index()
            theirs_run = table.set_index("sample_id").sort_index()
            assert list(mine.index) == list(theirs_run.index), run
            assert (mine["label"].astype(str) == theirs_run["label"].astype(str)).all()
            assert np.abs(mine["sum"] / mine["count"]
                          - theirs_run["sum"] / theirs_run["count"]).max() < 1e-12, run
        joined = difficulty.join_runs(ours[stop][dataset]).set_index("sample_id")["score"]
        reference = orderings[dataset].set_index("sample_id")["score"]
        assert (joined.sort_index() - reference.sort_index()).abs().max() < 1e-12


@pytest.mark.parametrize("definition", definitions.RECORDED)
def test_celoss_and_first_iteration_from_the_records_equal_aucurriculums(recorded, definition):
    """Read from the records of every run, they are aucurriculum's numbers, sample by sample."""
    ensemble, *_, both = recorded
    for dataset in ensemble.datasets:
        ours, theirs = both[dataset, definition, "train"], both[dataset, definition, None]
        assert list(ours.columns) == [run.name for run in ensemble.runs_of(dataset)]
        assert sorted(ours.index) == sorted(theirs.index)
        difference = (ours - theirs.loc[ours.index, ours.columns]).abs().max().max()
        assert difference < (1e-4 if definition == "CELoss" else 1e-12), dataset


def test_trained_again_with_the_recorder_a_bf16_run_is_the_books_to_the_byte(recorded):
    """The recorder does not change what a run learns, and a bf16 run on a CPU is
    deterministic: every epoch's outputs, batch order and model state are those of the book's
    runs, trained without the recorder."""
    ensemble, *_, folders, _ = recorded
    for run in ensemble.runs:
        book, again = training.run_dir("smoke", run), folders[run.name]
        assert book != again
        for epoch in range(1, ensemble.settings.epochs + 1):
            for name in ("train_outputs.npy", "train_indices.npy", "dev_outputs.npy"):
                name = f"epoch_{epoch}/{name}"
                assert (again / name).read_bytes() == (book / name).read_bytes(), (run, name)
            state = f"epoch_{epoch}/{toolkit.MODEL_STATE}"
            before = torch.load(book / state, weights_only=True)
            after = torch.load(again / state, weights_only=True)
            assert all(torch.equal(after[k], before[k]) for k in before), (run, state)


def test_reference_runs_agree_and_eval_mode_dynamics_come_from_the_records(recorded):
    ensemble, _, _, agreement, dynamics, *_ = recorded
    assert list(agreement["run"]) == [scoring.short_run(ensemble.runs_of(d)[0])
                                      for d in ensemble.datasets]
    assert (agreement["max_difference"] < 1e-12).all()
    for table in dynamics.values():
        assert table["learned_from"].between(1, ensemble.settings.epochs + 1).all()
        assert (table["epochs"] == ensemble.settings.epochs).all()


def test_a_run_without_records_is_one_line_and_keeps_the_ordering(private_results, smoke,
                                                                  ensemble):
    before = paths.ordering_file("smoke", "OfflineKeywords").read_bytes()
    with pytest.raises(difficulty.DifficultyError) as err:
        scoring.score_ensemble("smoke", replace(ensemble, recorded="train"),
                               scoring.Scoring(engine="in-training"), log=lambda line: None)
    message = str(err.value)
    assert "\n" not in message and ensemble.runs[0].name in message
    assert "no in-training record of epoch 1" in message and "SCORING_ENGINE" in message
    assert paths.ordering_file("smoke", "OfflineKeywords").read_bytes() == before


def test_learned_for_good_is_the_first_epoch_right_from_then_on():
    ids = np.array(["a", "b", "c", "d"])
    right = [np.array([0, 1, 1, 0]), np.array([1, 1, 0, 0]), np.array([1, 1, 1, 0])]
    epochs = [difficulty.EpochOutputs(e + 1, ids, np.full(4, 0.5), r.astype(bool))
              for e, r in enumerate(right)]
    table = difficulty.dynamics(epochs).set_index("sample_id")
    assert table["learned_from"].to_dict() == {"a": 2, "b": 1, "c": 3, "d": 4}
    assert isinstance(pd.Series(table["learned_from"]).iloc[0], (int, np.integer))


def test_train_predictions_are_read_from_the_best_epochs_record_as_a_forward_pass_gives_them(
        recorded):
    """The best checkpoint's predictions on the recorded split come from its record (no pass
    run again), and a forward pass of the checkpoint gives the same class wherever its top two
    classes are not a near-tie (bf16 sums in another batch order may swap those)."""
    ensemble, *_, folders, _ = recorded
    for run in ensemble.runs:
        folder = folders[run.name]
        best = int(training.best_record(folder)["iteration"])
        source = classes._prediction_source(folder, "train")
        assert source == callbacks.record_file(folder, best)
        assert classes._prediction_source(folder, "dev") == toolkit.best_checkpoint(folder)
        with np.load(source) as record:
            from_record = record["predicted"][np.argsort(record["position"])]
        table = toolkit.run_split_table(folder, "train")
        column = layout_of(run.dataset).index_column
        probabilities = toolkit.RunModel(folder).probabilities(
            [np.load(toolkit.features_file("smoke", run.dataset, sample_id))
             for sample_id in table[column]], batch_size=ensemble.settings.batch_size)
        top_two = np.sort(probabilities, axis=1)[:, -2:]
        clear = top_two[:, 1] - top_two[:, 0] > 1e-2
        assert clear.any(), run.name
        assert (from_record[clear] == probabilities.argmax(axis=1)[clear]).all(), run.name
