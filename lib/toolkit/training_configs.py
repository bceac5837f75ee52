"""``autrainer train``: the Hydra config of a training sweep, written from a run's settings, and
the run names autrainer gives it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from lib import launchers, paths
from lib.profiles import AUGMENTATIONS, PRECISIONS, SCHEDULES, precision_problem
from lib.datasets import layout_of
from lib.launchers import Launcher
from lib.toolkit.commands import (dataset_config, dataset_id, EXPERIMENT, resolve_device,
                                  _run_sweep, ToolkitError, _write_yaml)
from lib.toolkit.runs import METRICS_FILE


def model_id(model: str, precision: str) -> str:
    """autrainer's model config id: ``Cnn10`` in fp32 (the paper's), ``Cnn10-bf16`` otherwise,
    so runs of different precisions never share a folder."""
    return model if precision == "fp32" else f"{model}-{precision}"


def _write_model_configs(work: Path, models: list[str], precision: str) -> None:
    """``conf/model/<Model>-<precision>.yaml``: autrainer's Cnn10/Cnn14 config with the
    autocast subclass of :mod:`lib.models` as its target (fp32 uses autrainer's own)."""
    if precision not in PRECISIONS:
        raise ToolkitError(f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return
    for model in models:
        _write_yaml(work / "conf" / "model" / f"{model_id(model, precision)}.yaml", {
            "id": model_id(model, precision), "_target_": f"lib.models.{model}",
            "precision": precision,
            "transform": {"type": "grayscale", "base": [{"autrainer.transforms.Normalize": None}]}})


#: autrainer's ``Adam`` optimizer config, with torch's fused kernel: the same update in one
#: pass over the weights instead of several (measured on these 2 CPU cores: 274 -> 51 ms per
#: Cnn14 step of 80 M parameters, a sixth of its step time; 11 -> 4 ms for Cnn10; fused Adam
#: is also the fast path on a GPU). Written under the same id, so run names do not change.
FUSED_ADAM = {"id": "Adam", "_target_": "torch.optim.Adam", "fused": True}


def _write_optimizer_config(work: Path) -> None:
    """``conf/optimizer/Adam.yaml``: :data:`FUSED_ADAM`, found before autrainer's own."""
    _write_yaml(work / "conf" / "optimizer" / "Adam.yaml", FUSED_ADAM)


#: Learning-rate schedules (:data:`lib.profiles.SCHEDULES`) -> autrainer scheduler id
#: (``None``: constant, the paper's). ``cosine`` anneals the rate to zero over the run's
#: epochs, stepped once per epoch; ``onecycle`` warms it up from LEARNING_RATE / 25 to
#: LEARNING_RATE over the first quarter of the steps, then anneals it (cosine) towards zero,
#: stepped every batch.
SCHEDULERS = {"none": "None", "cosine": "Cosine", "onecycle": "OneCycle"}
assert set(SCHEDULERS) == set(SCHEDULES), "a schedule of lib.profiles without its autrainer id"


def _write_scheduler_config(work: Path, scheduler: str, epochs: int,
                            steps_per_epoch: Mapping[str, int] | None,
                            config_id: str | None = None) -> None:
    """``conf/scheduler/<id>.yaml`` (``config_id``: another id than the schedule's own, for a
    second sizing). ``steps_per_epoch`` (dataset id -> optimiser steps of an epoch) is needed
    by ``onecycle`` only: :class:`lib.schedulers.OneCycleLR` picks the run's own."""
    if scheduler not in SCHEDULERS:
        raise ToolkitError(f"unknown scheduler {scheduler!r}; known: {', '.join(SCHEDULERS)}")
    config_id = config_id or SCHEDULERS[scheduler]
    if scheduler == "cosine":
        _write_yaml(work / "conf" / "scheduler" / f"{config_id}.yaml", {
            "id": config_id, "_target_": "torch.optim.lr_scheduler.CosineAnnealingLR",
            "T_max": epochs, "step_frequency": "evaluation"})
    elif scheduler == "onecycle":
        # max_lr and the dataset are interpolated from the run's config, so the sweep's
        # learning rate and each run's own dataset size are used.
        _write_yaml(work / "conf" / "scheduler" / f"{config_id}.yaml", {
            "id": config_id, "_target_": "lib.schedulers.OneCycleLR",
            "max_lr": "${learning_rate}", "epochs": epochs,
            "steps_per_epoch": dict(steps_per_epoch or {}), "dataset": "${dataset.id}",
            "pct_start": 0.25, "cycle_momentum": False, "step_frequency": "batch"})


def _steps_per_epoch(root: Path, batch_size: int) -> int:
    """Optimiser steps of an epoch on a dataset's training split (autrainer keeps the last,
    partial batch). Sized on ``train.csv``: where autrainer carves the dev split out of it
    (DCASE), the cycle is a little longer than the run and ends just short of its minimum,
    the same for every seed."""
    return -(-len(pd.read_csv(root / "train.csv")) // batch_size)


@dataclass(frozen=True)
class Source:
    """A dataset as a training sweep reads it: autrainer's config id, the layout (a key of
    :func:`lib.datasets.layout_of`) and the folder, a profile's own or a nested profile's copy
    (a pruning or label-noise point, :func:`lib.training.train_points`)."""
    id: str
    layout: str
    root: Path


def sources(profile: str, datasets: list[str]) -> list[Source]:
    """A profile's own datasets as sweep sources."""
    return [Source(dataset_id(d), d, paths.dataset_dir(profile, d)) for d in datasets]


#: Training augmentations (:data:`lib.profiles.AUGMENTATIONS`) -> autrainer augmentation id
#: (``None``: autrainer's empty pipeline, the paper's).
AUGMENTATION_IDS = {"none": "None", "specaugment": "SpecMasks", "telephone": "TelephoneBand",
                    "telephone+specaugment": "TelephoneBand-SpecMasks"}
assert set(AUGMENTATION_IDS) == set(AUGMENTATIONS), \
    "an augmentation of lib.profiles without its autrainer id"


#: Each part of an augmentation as an autrainer pipeline step (lib.augmentations; their
#: defaults are the settings). The band limit comes first, so a mask may fall on it.
_AUGMENTATION_STEPS = {"telephone": "lib.augmentations.TelephoneBand",
                       "specaugment": "lib.augmentations.SpecMasks"}


def augmentation_parts(augmentation: str) -> list[str]:
    """The parts of an AUGMENTATION (``telephone+specaugment``), in the order they apply."""
    if augmentation not in AUGMENTATION_IDS:
        raise ToolkitError(f"unknown augmentation {augmentation!r}; known: "
                           f"{', '.join(AUGMENTATION_IDS)}")
    parts = [] if augmentation == "none" else augmentation.split("+")
    return sorted(parts, key=list(_AUGMENTATION_STEPS).index)


def augmentation_steps(augmentation: str) -> list[str]:
    """The classes of an augmentation's autrainer pipeline, in the order they apply."""
    return [_AUGMENTATION_STEPS[part] for part in augmentation_parts(augmentation)]


def augmentation_pipeline(augmentation: str, seed: int) -> Any:
    """autrainer's composed training augmentation, as a run with ``seed`` builds it."""
    from autrainer.augmentations import AugmentationPipeline

    return AugmentationPipeline(augmentation_steps(augmentation), seed).create_pipeline()


def _write_augmentation_config(work: Path, augmentation: str) -> None:
    """``conf/augmentation/<id>.yaml``: autrainer's ``AugmentationPipeline`` of the parts,
    seeded by the run's seed, so each run draws its own augmentations and repeats them."""
    steps = augmentation_steps(augmentation)
    if not steps:
        return
    _write_yaml(work / "conf" / "augmentation" / f"{AUGMENTATION_IDS[augmentation]}.yaml", {
        "id": AUGMENTATION_IDS[augmentation],
        "_target_": "autrainer.augmentations.AugmentationPipeline",
        "generator_seed": "${seed}", "pipeline": steps})


@dataclass(frozen=True)
class Settings:
    """How a run trains: every value of autrainer's training config that the profile sets
    (EPOCHS, BATCH_SIZE, LEARNING_RATE, OPTIMIZER, SCHEDULER, PRECISION, AUGMENTATION, DEVICE),
    passed whole to what writes a config or names a run."""
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str = "Adam"
    scheduler: str = "none"
    precision: str = "fp32"
    augmentation: str = "none"
    device: str = "auto"


def run_name(dataset: str, model: str, seed: int, settings: Settings) -> str:
    """autrainer's run folder name (its augmentation id is ``None`` without one, as in the
    paper)."""
    return sweep_run_name(dataset_id(dataset), model, seed, settings)


def sweep_run_name(source_id: str, model: str, seed: int, settings: Settings) -> str:
    """The run folder name autrainer gives a run of a sweep source (:class:`Source`)."""
    return (f"{source_id}_{model_id(model, settings.precision)}_{settings.optimizer}"
            f"_{settings.learning_rate}_{settings.batch_size}_epoch_{settings.epochs}"
            f"_{SCHEDULERS[settings.scheduler]}_{AUGMENTATION_IDS[settings.augmentation]}_{seed}")


def write_training_config(profile: str, datasets: list[str] | list[Source],
                          seeds: dict[str, list[int]], settings: Settings,
                          record: str | None = None, every_epoch: bool = True,
                          launcher: Launcher = Launcher(),
                          wanted: set[tuple[str, str, int]] | None = None) -> Path:
    """``conf/train.yaml``: the paper's ``conf/config.yaml`` with the profile's values.

    ``datasets`` are the profile's own (names) or :class:`Source` s, such as other profiles'
    copies. ``seeds`` maps each model to its seeds. autrainer sweeps the grid of every
    dataset, model and seed; the (model, seed) pairs outside a model's seeds, and with
    ``wanted`` every (source id, model, seed) not in it, are excluded with the sweeper's own
    filters, beside its filter that skips finished runs. ``record`` names a split that
    :class:`lib.callbacks.ScoredSplitRecorder` evaluates after every epoch (batches of
    ``batch_size``, as scoring uses, with the training augmentation off); without ``every_epoch``, autrainer keeps the model states
    of the best and the last epoch only (``save_frequency``). ``launcher`` sets Hydra's
    launcher plugin (:meth:`lib.launchers.Launcher.hydra`).
    """
    epochs, batch_size, precision = settings.epochs, settings.batch_size, settings.precision
    scheduler, augmentation = settings.scheduler, settings.augmentation
    models = list(seeds)
    all_seeds = sorted({s for model_seeds in seeds.values() for s in model_seeds})
    excluded = [{"type": "expr",
                 "expr": f"model.id == '{model_id(m, precision)}' and seed == {s}"}
                for m in models for s in all_seeds if s not in seeds[m]]
    given = [d if isinstance(d, Source) else sources(profile, [d])[0] for d in datasets]
    if wanted is not None:
        excluded += [{"type": "expr", "expr": f"dataset.id == '{source.id}' and model.id == "
                                              f"'{model_id(m, precision)}' and seed == {s}"}
                     for source in given for m in models for s in seeds[m]
                     if (source.id, m, s) not in wanted]
    work = paths.toolkit_dir(profile)
    for source in given:
        _write_yaml(work / "conf" / "dataset" / f"{source.id}.yaml",
                    {**dataset_config(layout_of(source.layout), source.root), "id": source.id})
    device = resolve_device(settings.device)
    problem = precision_problem(precision, device.split(":")[0])
    if problem:
        raise ToolkitError(problem)
    _write_model_configs(work, models, precision)
    _write_optimizer_config(work)
    _write_scheduler_config(work, scheduler, epochs,
                            {source.id: _steps_per_epoch(source.root, batch_size)
                             for source in given})
    _write_augmentation_config(work, augmentation)
    sweep = {"+seed": ", ".join(str(s) for s in all_seeds), "+batch_size": batch_size,
             "+learning_rate": settings.learning_rate,
             "dataset": ", ".join(source.id for source in given),
             "model": ", ".join(model_id(m, precision) for m in models),
             "optimizer": settings.optimizer}
    if scheduler != "none":
        sweep["scheduler"] = SCHEDULERS[scheduler]
    if augmentation != "none":
        sweep["augmentation"] = AUGMENTATION_IDS[augmentation]
    plugin, hydra = launcher.hydra(work, launchers.job_name(profile, "train"), device)
    config: dict[str, Any] = {
        "defaults": ["_autrainer_", "_self_", *plugin],
        "results_dir": "results", "experiment_id": EXPERIMENT, "iterations": epochs,
        "device": device, "progress_bar": False}
    if record is not None:
        config["callbacks"] = [{"lib.callbacks.ScoredSplitRecorder": {
            "subset": record, "batch_size": batch_size}}]
    # autrainer continues a finished run of fewer epochs when only EPOCHS grew; under a
    # schedule sized by EPOCHS that would resume the old schedule past its end (OneCycle
    # stops with "Tried to step 229 times"), so such runs are trained afresh.
    config["continue_training"] = scheduler == "none"
    if not every_epoch:
        config["save_frequency"] = epochs
    config["hydra"] = {"sweeper": {"filters": [{"type": "exists", "path": METRICS_FILE},
                                               *excluded], "params": sweep}, **hydra}
    _write_yaml(work / "conf" / "train.yaml", config)
    return work


def train(profile: str, watch: Callable[[], None] | None = None, log_name: str = "train",
          launcher: Launcher = Launcher(), log: Callable[[str], None] = print) -> None:
    """Run ``autrainer train`` on ``conf/train.yaml``; its output goes to ``logs/<log_name>.log``.

    autrainer skips every run that has its ``metrics.csv`` (written when a run finishes) and
    trains the others from scratch, so an interrupted sweep resumes with the missing runs.
    """
    _run_sweep("autrainer", ["train", "-cn", "train"], profile, "train", log_name, watch,
               launcher, log)
