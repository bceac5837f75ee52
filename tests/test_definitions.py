"""Definitions of difficulty: each one's formula, the join per sample id, the judging, the
plan's one-line errors, and the smoke chapter's run of every definition through aucurriculum;
cleanlab on the network's out-of-fold probabilities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import (cleanlab_baseline, definitions, difficulty, findings, groundtruth, paths,
                 record, toolkit)
from lib.datasets import LAYOUTS
from lib.definitions import DefinitionError, Plan, Scored
from lib.record import Definitions


def _epochs(right: list[list[int]], probability: list[list[float]] | None = None):
    ids = np.array(["a", "b", "c", "d"])
    return [difficulty.EpochOutputs(e + 1, ids, np.asarray(
        probability[e] if probability else np.full(4, 0.5), dtype=np.float32),
        np.asarray(r, dtype=bool)) for e, r in enumerate(right)]


def test_first_iteration_is_the_share_of_epochs_before_a_sample_is_right_for_good():
    epochs = _epochs([[0, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 0]])
    assert difficulty.first_iteration(epochs, 3).to_dict() == \
        {"a": 1 / 3, "b": 0.0, "c": 2 / 3, "d": 1.0}
    # up to the best epoch only: at epoch 2, "c" is wrong at the last epoch counted
    assert difficulty.first_iteration(epochs, 2).to_dict() == \
        {"a": 0.5, "b": 0.0, "c": 1.0, "d": 1.0}


def test_celoss_is_minus_log_the_true_class_probability_of_the_stop_epoch():
    epochs = _epochs([[1] * 4, [1] * 4], [[0.5] * 4, [1.0, 0.5, 0.25, 1e-50]])
    loss = difficulty.true_class_loss(epochs, 2)
    assert loss["a"] == 0.0 and loss["b"] == pytest.approx(np.log(2))
    assert loss["c"] == pytest.approx(np.log(4)) and np.isfinite(loss["d"])
    assert difficulty.true_class_loss(epochs, 1)["c"] == pytest.approx(np.log(2))


def _parameters(**changes):
    values = {"DEFINITIONS": ["CumulativeAccuracy", "Random"], "DEFINITION_MODELS": ["Cnn10"],
              "PROBES": ["fc1"], "CV_FOLDS": 3, "CV_EPOCHS": 2, "TEACHER": "",
              "MODELS": ["Cnn10", "Cnn14"]}
    return {**values, **changes}


@pytest.mark.parametrize("changes, named", [
    ({"DEFINITIONS": ["CumulativeAccuracy", "Confidence"]}, "DEFINITIONS"),
    ({"DEFINITIONS": ["TransferTeacher"]}, "TEACHER"),
    ({"DEFINITION_MODELS": ["Cnn14"], "MODELS": ["Cnn10"]}, "DEFINITION_MODELS"),
])
def test_a_plan_that_does_not_fit_is_one_line_naming_the_parameter(changes, named):
    with pytest.raises(DefinitionError) as err:
        Plan.from_parameters(_parameters(**changes))
    assert "\n" not in str(err.value) and str(err.value).startswith(named)


def test_a_teacher_makes_transfer_teacher_a_definition():
    plan = Plan.from_parameters(_parameters(DEFINITIONS=["TransferTeacher"],
                                            TEACHER="Cnn14-16k-T"))
    assert plan.teacher == "Cnn14-16k-T"


def test_cvloss_folds_are_put_together_on_the_sample_id(tmp_path):
    files = {}
    for fold, ids in enumerate((["x", "z"], ["y"])):
        files[f"fold {fold}"] = tmp_path / f"{fold}" / "scores.csv"
        files[f"fold {fold}"].parent.mkdir()
        pd.DataFrame({"path": ids, "scores": [float(fold)] * len(ids)}).to_csv(
            files[f"fold {fold}"], index=False)
    table = definitions._read_scores(files, "path")
    assert table["folds"].to_dict() == {"x": 0.0, "z": 0.0, "y": 1.0}
    pd.DataFrame({"path": ["x"], "scores": [2.0]}).to_csv(files["fold 1"], index=False)
    with pytest.raises(DefinitionError, match="'x' is scored by two CVLoss folds"):
        definitions._read_scores(files, "path")


def test_runs_are_joined_on_the_sample_id_not_on_the_row():
    first = pd.Series([0.1, 0.9], index=["easy", "hard"])
    second = pd.Series([0.8, 0.2], index=["hard", "easy"])  # rows the other way round
    scored = Scored("CELoss", pd.DataFrame({"r1": first, "r2": second}), "test", 0.0, 0)
    assert scored.ensemble().to_dict() == {"easy": pytest.approx(0.15),
                                           "hard": pytest.approx(0.85)}
    easier = Scored("CumulativeAccuracy", pd.DataFrame({"r1": first}), "test", 0.0, 0)
    assert easier.ensemble()["easy"] > easier.ensemble()["hard"]  # oriented higher = harder


def test_stability_is_one_for_identical_runs_and_near_zero_for_noise():
    generator = np.random.default_rng(0)
    base = pd.Series(generator.random(200))
    same = Scored("CELoss", pd.DataFrame({f"r{i}": base for i in range(4)}), "test", 0.0, 0)
    assert definitions.stability(same, {}) == {Definitions.RUN_TO_RUN: pytest.approx(1.0),
                                               Definitions.SPLIT_HALF: pytest.approx(1.0)}
    noise = Scored("Random", pd.DataFrame({f"seed {i}": generator.random(2000)
                                           for i in range(4)}), "test", 0.0, 0)
    assert abs(definitions.stability(noise, {})[Definitions.RUN_TO_RUN]) < 0.1
    one = Scored("CVLoss", pd.DataFrame({"folds": base}), "test", 0.0, 0)
    assert all(np.isnan(v) for v in definitions.stability(one, {}).values())


def _judged():
    """Scores of 400 samples, 20 flipped: CELoss finds them, Random does not, cleanlab too."""
    generator = np.random.default_rng(1)
    index = [f"s{i}" for i in range(400)]
    flipped = pd.Series([i < 20 for i in range(400)], index=index)
    truth = pd.DataFrame({"label": "x", "label_flipped": flipped,
                          "nonspeech": pd.Series(False, index=index)})
    scores = pd.DataFrame({"CELoss": flipped * 3.0 + generator.random(400),
                           "FirstIteration": flipped * 0.3 + generator.random(400),
                           "Random": generator.random(400),
                           record.CLEANLAB_NETWORK: flipped * 9.0 + generator.random(400)},
                          index=index)
    return scores, truth


def test_the_best_definition_is_judged_beyond_the_intervals_without_the_extras():
    scores, truth = _judged()
    table = definitions.detection_table(scores, truth, draws=200)
    assert set(table["kind"]) == {"flipped label"}  # no non-speech sample: no row
    best = definitions.best_by_kind(table)["flipped label"]
    assert best[Definitions.DEFINITION] == "CELoss"  # cleanlab is no definition, Random the control
    assert best[Definitions.RUNNER_UP] == "FirstIteration"
    assert best[Definitions.BEYOND_INTERVALS]
    found = table.set_index("definition")
    assert found.loc["CELoss", "in_hardest"] == 1.0
    assert found.loc["Random", "auroc_low"] < 0.5 < found.loc["Random", "auroc_high"]


def test_the_record_and_its_opening_carry_the_numbers(monkeypatch, tmp_path):
    scores, truth = _judged()
    table = definitions.detection_table(scores, truth, draws=200)
    runs = {name: Scored(name, scores[[name]], "aucurriculum", 60.0, 10**6)
            for name in ("CELoss", "FirstIteration", "Random")}
    pairs = definitions.agreement(scores[list(runs)])
    numbers = definitions.key_numbers({"OfflineKeywords": definitions.Compared(
        runs, pairs, {name: definitions.stability(s, {}) for name, s in runs.items()},
        detection=table, cleanlab_flagged={record.CLEANLAB_NETWORK: 20})})
    entry = numbers["OfflineKeywords"]
    assert entry[Definitions.COST]["CELoss"] == {Definitions.SOURCE: "aucurriculum",
                                                 Definitions.MINUTES: 1.0,
                                                 Definitions.DISK_MB: 1.0}
    assert entry[Definitions.STABILITY]["CELoss"][Definitions.SPLIT_HALF] is None  # one column
    assert entry[Definitions.MEAN_AGREEMENT] == pytest.approx(
        pairs[("CELoss", "FirstIteration")].rho, abs=1e-4)
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    record.save("smoke", Definitions.CHAPTER, numbers)
    opening = findings.opening("smoke", Definitions.CHAPTER)
    best = entry[Definitions.BEST]["flipped label"]
    assert f"found best by CELoss (AUROC {best[Definitions.AUROC]:.3f}" in opening
    assert "clear of FirstIteration" in opening and "Random, the control" in opening
    assert "cleanlab on the network's out-of-fold probabilities" in opening


def test_probes_sit_at_the_end_of_each_conv_block_and_on_the_embedding():
    assert toolkit.probe_nodes("Cnn10", ["conv_block2", "conv_block4", "conv_block6", "fc1"]) \
        == ["avg_pool2d_1", "avg_pool2d_3", "fc1"]  # Cnn10 has no sixth block
    assert toolkit.probe_nodes("Cnn14", ["conv_block6"]) == ["avg_pool2d_5"]


def test_prediction_depth_traces_the_mixed_precision_models():
    """aucurriculum's PredictionDepth cuts the torch.fx graph of the run's model."""
    import torch
    import torch.fx
    from autrainer.models import Cnn10 as Plain

    from lib.models import Cnn10

    model = Cnn10(output_dim=3, precision="bf16").eval()
    traced = torch.fx.symbolic_trace(model)  # the plain network, traced in float32
    plain = Plain(output_dim=3).eval()
    plain.load_state_dict(model.state_dict())
    x = torch.randn(2, 1, 101, 64)
    with torch.no_grad():
        assert torch.allclose(traced(x), plain(x), atol=1e-5)
    assert "avg_pool2d_3" in {node.name for node in traced.graph.nodes}


# --- The smoke chapter: every definition through the real aucurriculum path ----------------

def test_the_smoke_chapter_scores_every_definition_through_aucurriculum(smoke_notebooks, smoke):
    entry = record.load("smoke", Definitions.CHAPTER)["OfflineKeywords"]
    plan = Plan.from_parameters(smoke)
    assert list(entry[Definitions.COST]) == list(plan.definitions)
    for name, cost in entry[Definitions.COST].items():
        expected = (record.Definitions.FROM_DIFFICULTY if name == "CumulativeAccuracy"
                    else record.Definitions.FROM_AUCURRICULUM)  # smoke scores with aucurriculum
        assert cost[Definitions.SOURCE] == expected, name
    for name in plan.definitions:
        table = pd.read_csv(paths.definition_file("smoke", "OfflineKeywords", name),
                            index_col="sample_id")
        assert table.notna().all().all() and len(table) == entry[Definitions.SAMPLES], name
    assert set(entry[Definitions.DETECTION]) == set(groundtruth.INJECTED)  # the keyword set's
    assert record.CLEANLAB_NETWORK in entry[Definitions.CLEANLAB_FLAGGED]


def test_cleanlab_sees_each_sample_only_through_the_fold_that_held_it_out(
        smoke_notebooks, smoke, ensemble, monkeypatch):
    plan = Plan.from_parameters(smoke)
    dataset = "OfflineKeywords"
    probabilities = definitions.out_of_fold_probabilities("smoke", ensemble, plan, dataset,
                                                          "best", "train")
    settings = definitions._aucurriculum_settings("smoke", ensemble, plan, "CVLoss", dataset,
                                                  plan.runs(ensemble, dataset), "best", "train")
    files = toolkit.scored_files("smoke", "CVLoss", "train", *settings.values())
    id_column = LAYOUTS[dataset].index_column
    held_out = {fold: set(pd.read_csv(file)[id_column]) for fold, file in files.items()}
    training_ids = set(toolkit.run_split_table(
        toolkit.runs_dir("smoke") / ensemble.runs_of(dataset)[0].name)[id_column])
    assert set().union(*held_out.values()) == training_ids
    assert sum(len(ids) for ids in held_out.values()) == len(training_ids)  # a partition
    for fold, ids in held_out.items():
        assert (probabilities.loc[sorted(ids), cleanlab_baseline.FOLD] == fold).all()
    # Each row is the prediction CVLoss scored the sample with: its loss is -log p(label).
    losses = pd.read_csv(paths.definition_file("smoke", dataset, "CVLoss"),
                         index_col="sample_id")["folds"]
    labels = pd.concat([pd.read_csv(f).set_index(id_column)["label"] for f in files.values()])
    given = [probabilities.loc[s, labels[s]] for s in losses.index]
    assert np.allclose(-np.log(np.asarray(given, dtype=float)), losses.to_numpy(), atol=1e-4)
    seen = {}
    monkeypatch.setattr(cleanlab_baseline, "cleanlab_scores",
                        lambda labels, matrix, classes: seen.update(matrix=matrix))
    cleanlab_baseline.network_cleanlab(labels, probabilities)
    classes = [c for c in probabilities.columns if c != cleanlab_baseline.FOLD]
    assert np.array_equal(seen["matrix"], probabilities.loc[labels.index, classes].to_numpy())


def test_a_teacher_pretrained_here_never_hears_a_scored_word(smoke):
    from lib import teacher

    with pytest.raises(teacher.TeacherError) as err:
        teacher.Teacher.from_parameters({**smoke, "TEACHER_WORDS": ["left", "three"]})
    assert str(err.value).startswith("TEACHER_WORDS shares three with KEYWORDS")
    assert teacher.Teacher.from_parameters({**smoke, "TEACHER_WORDS": []}) is None
    taught = teacher.Teacher.from_parameters(smoke)
    assert set(taught.data.keywords).isdisjoint(smoke["KEYWORDS"])
    assert taught.data.seed != smoke["DATA_SEED"] and taught.data.flip_fraction == 0.0
    assert taught.model == smoke["DEFINITION_MODELS"][0]
    with pytest.raises(DefinitionError, match="^TEACHER and TEACHER_WORDS both"):
        Plan.from_parameters(_parameters(DEFINITIONS=["TransferTeacher"], TEACHER="Cnn14-16k-T",
                                         TEACHER_WORDS=["left", "right"]))
    plan = Plan.from_parameters(_parameters(DEFINITIONS=["TransferTeacher"],
                                            TEACHER_WORDS=["left", "right"]))
    assert plan.with_teacher(taught, {"fingerprint": "f", "seconds": 12.0,
                                      "disk_bytes": 1}).teacher == "Cnn10-teacher"


def test_the_pretrained_teacher_reaches_aucurriculum_without_its_head(smoke_notebooks):
    """autrainer finds the teacher's weights in the profile's torch hub, not the user's."""
    import torch

    config = paths.toolkit_dir("smoke") / "conf" / "model" / "Cnn10-teacher.yaml"
    weights = toolkit.torch_home("smoke") / "hub" / "checkpoints" / "Cnn10-teacher.pth"
    assert config.is_file() and weights.is_file()
    state = torch.load(weights, weights_only=True)["model"]
    assert "fc1.weight" in state and not any(k.startswith("out.") for k in state)
    entry = record.load("smoke", Definitions.CHAPTER)["OfflineKeywords"]
    assert entry[Definitions.TEACHER]["words"] == ["left", "right"]
