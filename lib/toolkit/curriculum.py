"""aucurriculum's ``curriculum`` command: scoring configs of every definition of difficulty, the
files they write, and curriculum training."""
from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Protocol

import pandas as pd

from lib import launchers, paths
from lib.profiles import SCORING_FUNCTIONS, precision_problem
from lib.launchers import Launcher
from lib.toolkit.commands import (dataset_id, EXPERIMENT, experiment_dir, load_dataset,
                                  resolve_device, _run_sweep, runs_dir, ToolkitError, torch_home,
                                  write_dataset_configs, _write_yaml)
from lib.toolkit.runs import best_checkpoint, METRICS_FILE
from lib.toolkit.training_configs import (AUGMENTATION_IDS, model_id, SCHEDULERS, Settings,
                                          _write_augmentation_config, _write_model_configs,
                                          _write_optimizer_config, _write_scheduler_config)


def score_id(scoring: str, dataset: str) -> str:
    """The paper's score ids: ``CumulativeAccuracySpeechCommands``."""
    return f"{scoring}{dataset}"


def scores_dir(profile: str, scoring: str, subset: str) -> Path:
    """aucurriculum's output folder for one scoring function and subset.

    aucurriculum names it after the scoring type only (where its curriculum training reads
    the ordering), and reuses any ``scores.csv`` it finds, so a subset other than ``train``
    goes into the name, or a changed subset would silently reuse old scores.
    """
    suffix = "" if subset == "train" else f"_{subset}"
    return experiment_dir(profile) / "curriculum" / f"{scoring}{suffix}"


def score_run_dir(profile: str, scoring: str, subset: str, stop: str, run: str) -> Path:
    """Where aucurriculum writes one run's ``scores.csv`` (run name + first letter of stop)."""
    return scores_dir(profile, scoring, subset) / f"{run}_{stop[0]}"


def score(profile: str, scoring: str, runs_per_dataset: dict[str, list[str]], stop: str,
          subset: str, device: str, batch_size: int,
          watch: Callable[[], None] | None = None, launcher: Launcher = Launcher(),
          log: Callable[[str], None] = print) -> None:
    """Score each dataset's runs with ``aucurriculum curriculum`` (one sweep over datasets).

    Each dataset gets the paper's scoring config (``curriculum/scoring/<Score><Dataset>.yaml``)
    listing its runs explicitly.
    """
    if scoring not in SCORING_FUNCTIONS:
        raise ToolkitError(f"unknown scoring function {scoring!r}; known: "
                           f"{', '.join(SCORING_FUNCTIONS)}")
    for dataset, runs in runs_per_dataset.items():
        if not runs:
            raise ToolkitError(f"empty ensemble: no runs to score for {dataset}")
    score_configs(profile, subset,
                  {score_id(scoring, dataset): (scoring, run_settings(runs, stop, subset))
                   for dataset, runs in runs_per_dataset.items()},
                  device, batch_size, watch, launcher, log)


def run_settings(runs: list[str], stop: str, subset: str) -> dict[str, Any]:
    """The settings of a scoring function that scores trained runs."""
    return {"run_name": list(runs), "stop": stop, "subset": subset}


#: The per-sample loss of aucurriculum's loss-based definitions: plain cross-entropy, -log p of
#: the label (training weights it by class, BalancedCrossEntropyLoss; a per-sample score
#: should not depend on its class's size).
CRITERION = "autrainer.criterions.CrossEntropyLoss"


def loss_settings(runs: list[str], stop: str, subset: str) -> dict[str, Any]:
    """CELoss's settings: each run's per-sample cross-entropy at its ``stop`` model."""
    return {**run_settings(runs, stop, subset), "criterion": CRITERION}


def probe_nodes(model: str, places: list[str]) -> list[str]:
    """The nodes of ``model``'s traced graph (autrainer's PANNs) at each place of
    :data:`lib.profiles.PROBE_PLACES` it has: a conv block's output is the pooling that ends
    it (torch.fx numbers those ``avg_pool2d``, ``avg_pool2d_1``, ...), ``fc1`` the embedding."""
    import torch.fx
    from autrainer import models

    graph = torch.fx.symbolic_trace(getattr(models, model)(output_dim=2)).graph
    names = [node.name for node in graph.nodes]
    nodes = []
    for place in places:
        if place == "fc1":
            nodes.append("fc1")
        elif f"{place}_bn2" in names:
            after = names[names.index(f"{place}_bn2"):]
            nodes.append(next(n for n in after if n.startswith("avg_pool2d")))
    return nodes


#: aucurriculum's k of PredictionDepth's k-NN probes.
PROBE_NEIGHBOURS = 30


def prediction_depth_settings(runs: dict[str, str], places: list[str], stop: str,
                              subset: str, samples: int) -> dict[str, Any]:
    """PredictionDepth's settings for runs (name -> model) scoring ``samples`` samples: probes
    at ``places`` (exact node names, as aucurriculum's anchored patterns), its k-NN and pooling
    as aucurriculum ships them (k at most ``samples - 1``: a tiny split has fewer than 30)."""
    return {**run_settings(list(runs), stop, subset),
            "probe_placements": {run: [f"{node}$" for node in probe_nodes(model, places)]
                                 for run, model in runs.items()},
            "max_embedding_size": 65536, "match_dimensions": True,
            "knn_n_neighbors": min(PROBE_NEIGHBOURS, samples - 1)}


def random_settings(dataset: str, seed: int, subset: str) -> dict[str, Any]:
    """Random's settings: a uniform score per sample, drawn with ``seed``."""
    return {"dataset": dataset_id(dataset), "seed": seed, "subset": subset}


#: The column of a presented ordering (:func:`lib.paths.presented_ordering_file`) that
#: Predefined reads: the sample's position from easiest (0) to hardest, no two alike.
PRESENTED_COLUMN = "position"


def predefined_settings(file: Path, dataset: str) -> dict[str, Any]:
    """Predefined's settings: the scores in ``file``'s :data:`PRESENTED_COLUMN`, higher is
    harder, row by row against the dataset's training split as aucurriculum loads it
    (:func:`training_split`)."""
    return {"file": str(file.resolve()), "scores_column": PRESENTED_COLUMN, "reverse": False,
            "dataset": dataset_id(dataset), "subset": "train"}


#: Where autrainer carves dev out of ``train.csv`` (DCASE), curriculum runs carve it with this
#: seed whatever their own: aucurriculum scores an ordering on the split of seed 0, which
#: autrainer reads as unset (``dev_split_seed or seed``), so without a fixed carve the ordering
#: and the runs would see different splits. It is the carve of the main ensemble's seed 1.
CURRICULUM_DEV_SPLIT_SEED = 1


def training_split(profile: str, dataset: str) -> pd.DataFrame:
    """The training split as aucurriculum's Predefined and Random load it and curriculum runs
    train on it (:data:`CURRICULUM_DEV_SPLIT_SEED`), rows in the dataset's order: what a
    presented ordering must follow row by row."""
    return load_dataset(profile, dataset, seed=0,
                        dev_split_seed=CURRICULUM_DEV_SPLIT_SEED).df_train.reset_index(drop=True)


def predefined_run_dir(profile: str, file: Path, dataset: str) -> Path:
    """Where aucurriculum's Predefined keeps the scores of one presented ``file``
    (``<dataset id>_<file stem>``): it reuses them while they exist."""
    return scores_dir(profile, "Predefined", "train") / f"{dataset_id(dataset)}_{file.stem}"


#: lib's curriculum schedules (:data:`lib.profiles.CURRICULUM_SCHEDULES`) -> aucurriculum's
#: curriculum config: the random schedule is a curriculum over Random's scores.
CURRICULUM_TYPES = {"curriculum": "Curriculum", "anti": "AntiCurriculum",
                    "random": "Curriculum"}


#: The first letter aucurriculum puts in a run's name for each curriculum and sampling.
_SHORT = {"Curriculum": "C", "AntiCurriculum": "A", "Balanced": "B", "Unbalanced": "U",
          "Original": "O"}


#: autrainer's scheduler config of the curriculum runs under ``onecycle``, sized to the
#: optimiser steps a paced run takes (fewer than a full run's).
PACED_SCHEDULER = "OneCycle-paced"


def curriculum_scheduler_id(scheduler: str) -> str:
    """The scheduler config id of a curriculum run."""
    return PACED_SCHEDULER if scheduler == "onecycle" else SCHEDULERS[scheduler]


class Pace(Protocol):
    """How a curriculum presents its ordering (:class:`lib.curricula.Pacing`): aucurriculum's
    pacing function, its initial share, the share of the run after which every sample is in,
    and its sampling."""
    function: str
    initial_size: float
    final_iteration: float
    sampling: str


def curriculum_run_name(dataset: str, model: str, seed: int, settings: Settings,
                        schedule: str, scoring_id: str, pace: Pace) -> str:
    """aucurriculum's run folder name (its ``_aucurriculum_train_`` sweep subdir)."""
    curriculum = CURRICULUM_TYPES[schedule]
    return (f"{dataset_id(dataset)}_{model_id(model, settings.precision)}_{settings.optimizer}"
            f"_{settings.learning_rate}_{settings.batch_size}_epoch_{settings.epochs}"
            f"_{curriculum_scheduler_id(settings.scheduler)}"
            f"_{AUGMENTATION_IDS[settings.augmentation]}_{_SHORT[curriculum]}"
            f"_{_SHORT[pace.sampling]}_{scoring_id}_{pace.function}_{pace.initial_size}"
            f"_{pace.final_iteration}_{seed}")


def pace_sizes(pacing: str, initial_size: float, final_iteration: float, epochs: int,
               samples: int) -> list[int]:
    """How many training samples each epoch (1-based) draws from under aucurriculum's pacing
    function: the size before epoch 1 is its value at iteration 0, and it grows only when an
    epoch's loader is exhausted. aucurriculum's own check of the values raises ValueError."""
    from aucurriculum.curricula import pacing as functions

    function = getattr(functions, pacing)(initial_size=initial_size,
                                          final_iteration=final_iteration,
                                          total_iterations=epochs, dataset_size=samples)
    return [function.get_dataset_size(epoch) for epoch in range(epochs)]


def write_curriculum_config(profile: str, model: str,
                            points: Mapping[str, list[tuple[str, str]]], seeds: list[int],
                            settings: Settings, pace: Pace, paced_steps: Mapping[str, int],
                            launcher: Launcher = Launcher()) -> Path:
    """``conf/curricula.yaml``: aucurriculum's curriculum training of ``model`` on each
    dataset of ``points`` for each of its (schedule, scoring config id) and each seed, with
    the main runs' settings and one pacing. aucurriculum sweeps dataset x curriculum x
    scoring x seed; the combinations not in ``points`` are excluded with the sweeper's
    filters, beside its own (runs that finished; partial curricula). Only the best and the
    last model states are written. A one-cycle schedule is sized to each dataset's
    ``paced_steps``, the optimiser steps of a paced run."""
    work = write_dataset_configs(profile, list(points), CURRICULUM_DEV_SPLIT_SEED)
    epochs, precision, scheduler = settings.epochs, settings.precision, settings.scheduler
    device = resolve_device(settings.device)
    problem = precision_problem(precision, device.split(":")[0])
    if problem:
        raise ToolkitError(problem)
    _write_model_configs(work, [model], precision)
    _write_optimizer_config(work)
    if scheduler == "onecycle":  # one "epoch" of all the run's steps: the same cycle
        _write_scheduler_config(work, scheduler, 1,
                                {dataset_id(d): steps for d, steps in paced_steps.items()},
                                PACED_SCHEDULER)
    else:
        _write_scheduler_config(work, scheduler, epochs, None)
    _write_augmentation_config(work, settings.augmentation)
    pairs = [pair for wanted in points.values() for pair in wanted]
    types = sorted({CURRICULUM_TYPES[schedule] for schedule, _ in pairs})
    scorings = list(dict.fromkeys(scoring for _, scoring in pairs))
    wanted = {(dataset_id(d), CURRICULUM_TYPES[schedule], scoring)
              for d, given in points.items() for schedule, scoring in given}
    excluded = [{"type": "expr", "expr": f"dataset.id == '{dataset_id(d)}' and "
                                         f"curriculum.id == '{kind}' and "
                                         f"curriculum.scoring.id == '{scoring}'"}
                for d in points for kind in types for scoring in scorings
                if (dataset_id(d), kind, scoring) not in wanted]
    sweep = {"+seed": ", ".join(str(s) for s in seeds),
             "+batch_size": settings.batch_size, "+learning_rate": settings.learning_rate,
             "dataset": ", ".join(dataset_id(d) for d in points),
             "model": model_id(model, precision),
             "optimizer": settings.optimizer, "scheduler": curriculum_scheduler_id(scheduler),
             "augmentation": AUGMENTATION_IDS[settings.augmentation],
             "curriculum": ", ".join(types), "curriculum/scoring": ", ".join(scorings),
             "curriculum/pacing": pace.function, "curriculum/sampling": pace.sampling,
             "curriculum.pacing.initial_size": pace.initial_size,
             "curriculum.pacing.final_iteration": pace.final_iteration}
    plugin, hydra = launcher.hydra(work, launchers.job_name(profile, "train"), device)
    _write_yaml(work / "conf" / "curricula.yaml", {
        "defaults": ["_aucurriculum_train_", "_self_", *plugin],
        "results_dir": "results", "experiment_id": EXPERIMENT, "iterations": epochs,
        "device": device, "progress_bar": False, "save_frequency": epochs,
        "continue_training": False,
        "hydra": {"sweeper": {"filters": [
            {"type": "exists", "path": METRICS_FILE},
            {"type": "class", "target": "aucurriculum.core.filters.FilterPartialCurriculum"},
            *excluded], "params": sweep}, **hydra}})
    return work


def train_curricula(profile: str, watch: Callable[[], None] | None = None,
                    launcher: Launcher = Launcher(), log: Callable[[str], None] = print) -> None:
    """Run ``aucurriculum train`` on ``conf/curricula.yaml`` (``logs/curricula.log``); as
    autrainer's, it skips every run that has its ``metrics.csv``."""
    _run_sweep("aucurriculum", ["train", "-cn", "curricula"], profile, "train", "curricula",
               watch, launcher, log)


def transfer_weights(profile: str, run_dir: Path, name: str, drop: str) -> Path:
    """A run's best model state as autrainer reads transfer weights (``{"model": state}``),
    without the parameters starting with ``drop`` (its output layer), in :func:`torch_home`."""
    import torch

    state = torch.load(best_checkpoint(run_dir), map_location="cpu", weights_only=True)
    target = torch_home(profile) / "hub" / "checkpoints" / f"{name}.pth"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    torch.save({"model": {k: v for k, v in state.items() if not k.startswith(drop)}}, partial)
    partial.replace(target)
    return target


def write_teacher_config(profile: str, model: str, config_id: str, weights: Path) -> None:
    """``conf/model/<config_id>.yaml``: autrainer's ``model`` (float32) loading ``weights``
    through its ``transfer`` mechanism (found in :func:`torch_home` by file name)."""
    _write_yaml(paths.toolkit_dir(profile) / "conf" / "model" / f"{config_id}.yaml", {
        "id": config_id, "_target_": f"autrainer.models.{model}", "transfer": str(weights),
        "transform": {"type": "grayscale", "base": [{"autrainer.transforms.Normalize": None}]}})


def teacher_settings(dataset: str, teacher: str, subset: str) -> dict[str, Any]:
    """TransferTeacher's settings: an SVM on the embeddings of the autrainer model config
    ``teacher`` (its ``transfer`` weights, never trained on ``dataset``)."""
    return {"model": teacher, "dataset": dataset_id(dataset), "subset": subset}


#: autrainer's scheduler config of the CVLoss fold models, sized to a fold's training part.
FOLD_SCHEDULER = "OneCycle-folds"


def cv_fold_steps(folds: int, batch_size: int, subset: str, train_rows: int,
                  scored_rows: int) -> int:
    """Optimiser steps of an epoch of a CVLoss fold model: it trains on the other folds of
    the ``scored_rows`` samples of ``subset`` (plus the ``train_rows`` training samples when
    the scored split is not train, as aucurriculum does)."""
    fold_rows = scored_rows - scored_rows // folds + (train_rows if subset != "train" else 0)
    return -(-fold_rows // batch_size)


def write_fold_scheduler(profile: str, scheduler: str, epochs: int,
                         steps_per_epoch: Mapping[str, int]) -> None:
    """The CVLoss fold models' schedule (:data:`FOLD_SCHEDULER`, none: the schedule's own),
    sized for each dataset of ``steps_per_epoch`` (dataset -> :func:`cv_fold_steps`)."""
    if scheduler != "none":
        _write_scheduler_config(paths.toolkit_dir(profile), scheduler, epochs,
                                {dataset_id(d): steps for d, steps in steps_per_epoch.items()},
                                FOLD_SCHEDULER)


def cv_settings(dataset: str, model: str, folds: int, seed: int, settings: Settings,
                subset: str) -> dict[str, Any]:
    """CVLoss's settings: ``folds`` models of ``model``, each trained ``settings.epochs`` epochs
    (no augmentation; lib's are off while aucurriculum runs) under
    :func:`write_fold_scheduler`'s schedule on the other folds of ``subset``, then scoring its
    own fold with its best model state."""
    epochs, batch_size, scheduler = settings.epochs, settings.batch_size, settings.scheduler
    return {"splits": folds, "criterion": CRITERION, "stop": "best", "subset": subset,
            "setup": {"filters": None, "dataset": dataset_id(dataset),
                      "model": model_id(model, settings.precision),
                      "optimizer": settings.optimizer, "learning_rate": settings.learning_rate,
                      "scheduler": SCHEDULERS[scheduler] if scheduler == "none"
                      else FOLD_SCHEDULER,
                      "augmentation": "None", "seed": seed, "batch_size": batch_size,
                      "inference_batch_size": batch_size, "plotting": "Default",
                      "training_type": "epoch", "iterations": epochs, "eval_frequency": 1,
                      "save_frequency": epochs, "save_train_outputs": False,
                      "save_dev_outputs": False, "save_test_outputs": False}}


def _drop_stale_scores(profile: str, scoring: str, subset: str, settings: dict[str, Any]) -> None:
    """Delete the scores of a run whose training finished after they were written (retrained);
    aucurriculum would reuse them."""
    if "run_name" not in settings:
        return
    for run, scored in scored_files(profile, scoring, subset, settings).items():
        trained = runs_dir(profile) / run / METRICS_FILE
        if scored.is_file() and trained.is_file() and \
                trained.stat().st_mtime > scored.stat().st_mtime:
            shutil.rmtree(scored.parent)


def score_configs(profile: str, subset: str, configs: dict[str, tuple[str, dict[str, Any]]],
                  device: str, batch_size: int, watch: Callable[[], None] | None = None,
                  launcher: Launcher = Launcher(), log: Callable[[str], None] = print
                  ) -> dict[str, float]:
    """Run ``aucurriculum curriculum`` once over ``configs`` (score id -> scoring function and
    its settings), all on ``subset``, one job after another in the order given; each
    function's scores go to its :func:`scores_dir`. aucurriculum reuses any run's
    ``scores.csv`` it finds there. A teacher pretrained here is found in :func:`torch_home`
    (the user's own torch hub, where downloaded weights such as PANNs' are cached, is used
    otherwise). Returns each score id's seconds: from the end of the job before it (the
    first: from the command's start, which it thus includes) to the end of its own."""
    work = paths.toolkit_dir(profile)
    for config_id, (scoring, settings) in configs.items():
        _drop_stale_scores(profile, scoring, subset, settings)
        _write_yaml(work / "conf" / "curriculum" / "scoring" / f"{config_id}.yaml", {
            "id": config_id, "type": scoring,
            "_target_": f"aucurriculum.curricula.scoring.{scoring}", **settings})
    device = resolve_device(device)
    plugin, hydra = launcher.hydra(work, launchers.job_name(profile, "score"), device,
                                   concurrent=False)
    _write_yaml(work / "conf" / "score.yaml", {
        "defaults": ["_aucurriculum_score_", "_self_", *plugin],
        "results_dir": "results", "experiment_id": EXPERIMENT,
        "device": device, "batch_size": batch_size, "progress_bar": False,
        "correlation": {},
        "hydra": {"sweep": {"dir": "${results_dir}/${experiment_id}/curriculum/",
                            "subdir": scores_dir(profile, "${curriculum.scoring.type}",
                                                 subset).name},
                  "sweeper": {"params": {"curriculum/scoring": ", ".join(configs)}}, **hydra}})
    local = torch_home(profile)
    started = time.time()
    _run_sweep("aucurriculum", ["curriculum", "-cn", "score"], profile, "score", "score", watch,
               launcher, log, {"TORCH_HOME": str(local)} if local.is_dir() else None)
    seconds, previous = {}, started
    for config_id, (scoring, _) in configs.items():
        # aucurriculum writes a score id's ensemble file as the last step of its job.
        ended = (scores_dir(profile, scoring, subset) / f"{config_id}.csv").stat().st_mtime
        seconds[config_id], previous = max(ended - previous, 0.0), max(ended, previous)
    return seconds


def _prediction_depth_suffix(settings: dict[str, Any], run: str) -> str:
    """The hash aucurriculum appends to a PredictionDepth run folder (its probe settings)."""
    import hashlib

    key = "".join(sorted(settings["probe_placements"][run]) + [
        str(settings["max_embedding_size"]), str(settings["match_dimensions"]),
        str(settings["knn_n_neighbors"])])
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def scored_files(profile: str, scoring: str, subset: str, settings: dict[str, Any]
                 ) -> dict[str, Path]:
    """The ``scores.csv`` aucurriculum writes for ``settings`` (as :func:`score_configs` took
    them), keyed by what each scores with: a run's name, ``seed <n>`` (Random), ``fold <k>``
    (CVLoss; the folds together score every sample once), the teacher (TransferTeacher)."""
    folder = scores_dir(profile, scoring, subset)
    stop = settings.get("stop", "best")[0]
    if scoring == "Random":
        return {f"seed {settings['seed']}":
                folder / f"{settings['dataset']}_{settings['seed']}" / "scores.csv"}
    if scoring == "TransferTeacher":
        return {settings["model"]: folder / f"{settings['model']}_{settings['dataset']}"
                / "scores.csv"}
    if scoring == "CVLoss":
        s = settings["setup"]
        name = "_".join(str(part) for part in (
            s["dataset"], s["model"], s["optimizer"], s["learning_rate"], s["batch_size"],
            s["training_type"], s["iterations"], s["scheduler"], s["augmentation"], s["seed"],
            settings["criterion"].split(".")[-1], stop))
        return {f"fold {k}": folder / f"{k}_{name}" / "scores.csv"
                for k in range(settings["splits"])}
    criterion = f"_{settings['criterion'].split('.')[-1]}" if "criterion" in settings else ""
    files = {}
    for run in settings["run_name"]:
        name = f"{run}{criterion}_{stop}"
        if scoring == "PredictionDepth":
            name += f"_{_prediction_depth_suffix(settings, run)}"
        files[run] = folder / name / "scores.csv"
    return files


def fold_model_dirs(files: dict[str, Path]) -> dict[str, Path]:
    """CVLoss's fold folders (its :func:`scored_files`): each holds the fold model autrainer
    trained on the other folds (``_best/model.pt``) beside the scores of its own fold."""
    return {fold: file.parent for fold, file in files.items()}
