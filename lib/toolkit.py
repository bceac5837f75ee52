"""The only module that touches autrainer/aucurriculum: configs, commands, their classes.

Everything else in ``lib`` talks about datasets, runs and samples; this layer turns those into
the Hydra configs the toolkits read (written from the profile, never edited by hand), runs their
real command-line tools in a per-profile working folder, and instantiates their classes.
Pinned to autrainer 0.4.0 / aucurriculum 0.1.1 (see README, "Environment").
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np
import pandas as pd
import yaml

from lib import launchers, paths
from lib.profiles import (AUGMENTATIONS, PRECISIONS, SCHEDULES, SCORING_FUNCTIONS,
                          precision_problem)
from lib.datasets import LAYOUTS, DatasetLayout
from lib.launchers import Launcher

FEATURES = "log_mel_16k"
#: autrainer's ``log_mel_16k`` preprocessing (PANNs log-mel: 16 kHz, window 512, hop 160,
#: 64 mel bins, 50-8000 Hz); kept here only to describe the axes of figures.
MEL = {"sample_rate": 16000, "hop_size": 160, "mel_bins": 64, "fmin": 50, "fmax": 8000}


#: Set in the environment of ``aucurriculum curriculum`` (scoring) commands: lib.augmentations
#: then pass clips through unchanged, as aucurriculum would otherwise score augmented views of
#: them. Its curriculum training (``aucurriculum train``) augments as autrainer does.
SCORING_ENV = "SAMPLE_DIFFICULTY_SCORING"


def _scores(tool: str, args: list[str]) -> bool:
    """Whether a toolkit command scores samples (``aucurriculum curriculum``)."""
    return tool == "aucurriculum" and args[:1] == ["curriculum"]


class ToolkitError(RuntimeError):
    """An autrainer/aucurriculum command failed; one line naming the command and log."""


def dataset_id(name: str) -> str:
    """Config id, following the paper's naming (``SpeechCommands-16k``)."""
    return f"{name}-16k"


#: Keyword clips shorter than this many log-mel frames (1 s) are padded to it, as in the
#: paper's SpeechCommands config; autrainer's ``Expand`` pads with 0 (dB, louder than speech).
PADDED_FRAMES = 101


def padded_seconds(dataset: str) -> float | None:
    """The clip length below which a dataset's spectrograms are padded, or None."""
    if LAYOUTS[dataset].autrainer_class.endswith("SpeechCommands"):
        return (PADDED_FRAMES - 1) * MEL["hop_size"] / MEL["sample_rate"]
    return None


def dataset_config(layout: DatasetLayout, root: Path, dev_split_seed: int | None = None
                   ) -> dict[str, Any]:
    """The autrainer dataset config, as the paper's ``conf/dataset/*-16k.yaml``; where autrainer
    carves dev out of ``train.csv`` (DCASE), ``dev_split_seed`` fixes the carve for every run
    (otherwise each run carves with its own seed)."""
    transform: dict[str, Any] = {"type": "grayscale"}
    if layout.autrainer_class.endswith("SpeechCommands"):
        # Clips shorter than 1 s are padded to 101 frames, as in the paper's config.
        transform["base"] = [{"autrainer.transforms.Expand": {"size": PADDED_FRAMES,
                                                              "axis": -2}}]
    return {
        "id": dataset_id(layout.name), "_target_": layout.autrainer_class,
        **layout.autrainer_args,
        "path": str(root), "features_subdir": FEATURES,
        "index_column": layout.index_column, "target_column": layout.target_column,
        "file_type": "npy", "file_handler": "autrainer.datasets.utils.NumpyFileHandler",
        "criterion": "autrainer.criterions.BalancedCrossEntropyLoss",
        "metrics": ["autrainer.metrics.Accuracy", "autrainer.metrics.UAR",
                    "autrainer.metrics.F1"],
        "tracking_metric": "autrainer.metrics.Accuracy",
        "transform": transform,
        **({"dev_split_seed": dev_split_seed}
           if dev_split_seed is not None and "dev_split_seed" in layout.autrainer_args else {}),
    }


#: Open lock files of the profiles this process holds, by toolkit folder: a command started
#: while one is held inherits it, so the lock lasts until the command itself has exited.
_HELD: dict[Path, int] = {}


@contextmanager
def exclusive(profile: str) -> Iterator[None]:
    """Hold the profile's toolkit folder alone while training or scoring.

    Two processes training the same profile would delete and overwrite each other's runs, so a
    second one stops at once with one line instead. The lock is an ``flock`` that the toolkit
    commands inherit (see :func:`run_cli`): it is free only when this process and every
    command it started have ended, however they ended.
    """
    work = paths.toolkit_dir(profile)
    work.mkdir(parents=True, exist_ok=True)
    with (work / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ToolkitError(f"{paths.relative(work)} is in use by another training or "
                               "scoring process of this profile; wait for it to finish") from None
        _HELD[work.resolve()] = handle.fileno()
        try:
            yield
        finally:
            del _HELD[work.resolve()]
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_yaml(file: Path, content: dict[str, Any]) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(yaml.safe_dump(content, sort_keys=False))


def download(layout: DatasetLayout, root: Path) -> None:
    """A real dataset into ``root`` by its autrainer class's own ``download()`` (internet)."""
    import autrainer.datasets

    getattr(autrainer.datasets, layout.autrainer_class.rsplit(".", 1)[1]).download(str(root))


def write_dataset_configs(profile: str, datasets: list[str], dev_split_seed: int | None = None
                          ) -> Path:
    work = paths.toolkit_dir(profile)
    for name in datasets:
        config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name), dev_split_seed)
        _write_yaml(work / "conf" / "dataset" / f"{config['id']}.yaml", config)
    return work


#: Started in front of every toolkit command on Linux: asks the kernel to SIGKILL the command
#: when the process that started it dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``),
#: so that no ``autrainer train`` goes on writing run folders after a ``kill -9`` of its runner.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('toolkit command not started: its parent has already exited')\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n")


def _command(tool: str, args: list[str]) -> list[str]:
    executable = str(Path(sys.executable).with_name(tool))
    if not sys.platform.startswith("linux"):
        return [executable, *args]
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), executable, *args]


def _end_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """End a command and everything it started: SIGTERM to its process group, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def torch_home(profile: str) -> Path:
    """The profile's own torch hub folder, where a teacher pretrained here is handed to
    autrainer (it looks for transfer weights in ``<hub>/checkpoints/`` before downloading)."""
    return paths.toolkit_dir(profile) / "torch"


def run_cli(tool: str, args: list[str], work: Path, log_name: str,
            watch: Callable[[], None] | None = None,
            env: dict[str, str] | None = None) -> None:
    """Run ``autrainer``/``aucurriculum`` in ``work``; its output goes to a log file.

    ``watch`` is called every couple of seconds while the command runs (to report progress
    from the files it writes) and once after it ends. The command runs in its own process
    group, which is ended with it when this call is interrupted (Ctrl-C, SIGTERM, an error in
    ``watch``); if this process is killed outright, the kernel kills the command (Linux). A
    profile lock held here is inherited by the command and so outlives neither.
    """
    log_file = work / "logs" / f"{log_name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    lock = _HELD.get(work.resolve())
    started = time.time()
    with log_file.open("w") as out:
        process = subprocess.Popen(_command(tool, args), cwd=work, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   pass_fds=() if lock is None else (lock,),
                                   env={**os.environ, "HYDRA_FULL_ERROR": "1",
                                        **({SCORING_ENV: "1"} if _scores(tool, args)
                                           else {}), **(env or {})})
        try:
            while True:
                try:
                    code = process.wait(timeout=2)
                    break
                except subprocess.TimeoutExpired:
                    if watch:
                        watch()
        except BaseException:
            _end_group(process)
            raise
    _log_command(work, tool, args, started, code)
    if watch:
        watch()
    if code < 0:
        raise ToolkitError(f"`{tool} {' '.join(args)}` was killed (signal {-code}); "
                           f"see {paths.relative(log_file)}")
    if code != 0:
        raise ToolkitError(f"`{tool} {' '.join(args)}` failed ({_last_error(log_file)}); "
                           f"see {paths.relative(log_file)}")


def _log_command(work: Path, tool: str, args: list[str], started: float, code: int) -> None:
    """One line in the profile's command ledger (:func:`lib.paths.command_ledger`)."""
    ledger = paths.command_ledger(work)
    if ledger is None:
        return
    ledger.parent.mkdir(parents=True, exist_ok=True)
    entry = {"tool": tool, "args": args, "work": str(work.resolve().relative_to(paths.RESULTS)),
             "started": round(started, 2), "seconds": round(time.time() - started, 2),
             "exit": code}
    with ledger.open("a") as out:
        out.write(json.dumps(entry) + "\n")


def _last_error(log_file: Path) -> str:
    """The exception line of a failed command's log (Hydra adds lines after it)."""
    lines = [line.strip() for line in log_file.read_text(errors="replace").splitlines()
             if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return (errors or lines or ["no output"])[-1]


def preprocess(profile: str, datasets: list[str]) -> None:
    """Extract log-mel features with ``autrainer preprocess``; datasets already done are kept.

    autrainer skips any dataset whose feature folder exists, so a folder left half-written by
    an interrupted run (no completion marker) is removed first.
    """
    folders = [paths.dataset_dir(profile, name) / FEATURES for name in datasets]
    for folder in folders:
        if folder.is_dir() and not (folder / ".complete").is_file():
            shutil.rmtree(folder)
    if all(folder.is_dir() for folder in folders):
        return
    work = write_dataset_configs(profile, datasets)
    ids = ", ".join(dataset_id(name) for name in datasets)
    _write_yaml(work / "conf" / "preprocess.yaml", {
        "defaults": ["_autrainer_", "_self_"],
        "results_dir": "results", "experiment_id": "preprocess", "iterations": 1,
        "hydra": {"sweeper": {"params": {"+seed": 1, "+batch_size": 1,
                                         "+learning_rate": 0.001, "dataset": ids,
                                         "model": "Cnn10", "optimizer": "Adam"}}}})
    run_cli("autrainer", ["preprocess", "-cn", "preprocess", "-n", "1"], work, "preprocess")
    for folder in folders:
        (folder / ".complete").touch()


def _instantiate_dataset(config: dict[str, Any], model_transform: Any, seed: int,
                         batch_size: int) -> Any:
    """autrainer's dataset object from a dataset config, the way training builds it."""
    import autrainer
    from autrainer.datasets import AbstractDataset
    from autrainer.transforms import TransformManager

    config = {k: v for k, v in config.items() if k not in ("id", "criterion")}
    transforms = TransformManager(model_transform=model_transform,
                                  dataset_transform=config.pop("transform", None)
                                  ).get_transforms()
    return autrainer.instantiate(config=config, instance_of=AbstractDataset,
                                 train_transform=transforms[0], dev_transform=transforms[1],
                                 test_transform=transforms[2], seed=seed,
                                 batch_size=batch_size)


def load_dataset(profile: str, name: str, seed: int = 0, batch_size: int = 32,
                 dev_split_seed: int | None = None) -> Any:
    """autrainer's own dataset object for a preprocessed tree (the class training uses)."""
    config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name), dev_split_seed)
    return _instantiate_dataset(config, {"type": "grayscale"}, seed, batch_size)


def log_mel(file: Path) -> np.ndarray:
    """A clip's log-mel spectrogram (frames x 64) by autrainer's ``log_mel_16k`` pipeline."""
    import autrainer
    from autrainer.datasets.utils import AudioFileHandler

    pipeline = [autrainer.instantiate_shorthand("autrainer.transforms.StereoToMono"),
                autrainer.instantiate_shorthand({"autrainer.transforms.PannMel": {
                    "sample_rate": 16000, "window_size": 512, "hop_size": 160, "mel_bins": 64,
                    "fmin": 50, "fmax": 8000, "ref": 1.0, "amin": 1e-10, "top_db": None}})]
    data = AudioFileHandler(target_sample_rate=16000).load(str(file))
    for transform in pipeline:
        data = transform(data)
    return data.squeeze(0).numpy()


# --- autrainer's run folder: the names of what it writes ---------------------------------------

#: Written last in a run folder, when the run has finished all its epochs.
METRICS_FILE = "metrics.csv"
#: The best epoch's folder: its model state and its dev metrics (:func:`best_record_file`).
BEST = "_best"
#: The test split's folder: the best epoch's metrics and outputs on it.
TEST = "_test"
#: A model state, in ``_best/`` and in every kept ``epoch_<n>/``.
MODEL_STATE = "model.pt"
_EPOCH_PREFIX = "epoch_"


def epoch_dir(run_dir: Path, epoch: int) -> Path:
    """The folder of one epoch (1-based) of a run."""
    return run_dir / f"{_EPOCH_PREFIX}{epoch}"


def epoch_number(folder: Path) -> int:
    """The epoch an :func:`epoch_dir` holds."""
    return int(folder.name.removeprefix(_EPOCH_PREFIX))


def epoch_dirs(run_dir: Path) -> list[Path]:
    """The epoch folders a run has now, in order of epoch."""
    return sorted((d for d in run_dir.glob(f"{_EPOCH_PREFIX}*") if d.is_dir()),
                  key=epoch_number)


def best_record_file(run_dir: Path) -> Path:
    """autrainer's record of a run's best epoch: its iteration and dev metrics."""
    return run_dir / BEST / "dev.yaml"


def test_record_file(run_dir: Path) -> Path:
    """autrainer's test metrics of a run's best epoch."""
    return run_dir / TEST / "test_holistic.yaml"


def test_outputs_files(run_dir: Path) -> tuple[Path, ...]:
    """The best epoch's logits, targets and row positions on the test split."""
    return tuple(run_dir / TEST / name for name in epoch_outputs_names("test"))


def best_checkpoint(run_dir: Path) -> Path:
    """The best epoch's model state, the one inference and Grad-CAM use."""
    return run_dir / BEST / MODEL_STATE


# --- Training: the paper's ``autrainer train`` sweep ------------------------------------------

#: autrainer's experiment id, as the paper named it (``results/experiments/training/<run>``).
EXPERIMENT = "experiments"


def experiment_dir(profile: str) -> Path:
    return paths.toolkit_dir(profile) / "results" / EXPERIMENT


def runs_dir(profile: str) -> Path:
    """autrainer's folder of training runs, one subfolder per run (the tables built from them
    are in :func:`lib.paths.training_dir`)."""
    return experiment_dir(profile) / "training"


def is_finished(run_folder: Path) -> bool:
    """autrainer writes ``metrics.csv`` last, when a run has finished all its epochs."""
    return (run_folder / METRICS_FILE).is_file()


def resolve_device(device: str) -> str:
    """``cpu``, ``cuda`` or ``auto`` as the torch device string autrainer expects.

    autrainer's default ``cuda:0`` silently falls back to the CPU, so the device is always set.
    """
    if device == "auto":
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise ToolkitError("DEVICE is 'cuda' but torch sees no CUDA device; "
                               "use 'cpu' or 'auto'")
        return "cuda:0"
    return "cpu"


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
    :data:`lib.datasets.LAYOUTS`) and the folder, a profile's own or a nested profile's copy
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
                    {**dataset_config(LAYOUTS[source.layout], source.root), "id": source.id})
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


def _run_sweep(tool: str, args: list[str], profile: str, step: str, log_name: str,
               watch: Callable[[], None] | None, launcher: Launcher,
               log: Callable[[str], None], env: dict[str, str] | None = None) -> None:
    """A toolkit sweep under the profile's launcher. Under SLURM, each job's state is logged
    while the command waits, a failed job ends the sweep with one line naming its run, job id
    and log, and an interrupted sweep cancels its jobs; jobs of an earlier sweep still in the
    queue stop this one before it submits anything."""
    if launcher.kind != "slurm":
        run_cli(tool, args, paths.toolkit_dir(profile), log_name, watch, env)
        return
    outputs = runs_dir(profile) if step == "train" else experiment_dir(profile) / "curriculum"
    jobs = launchers.SlurmJobs(launchers.job_name(profile, step), paths.toolkit_dir(profile), outputs, log)
    waiting = jobs.in_queue()
    if waiting:
        raise launchers.LauncherError(
            f"SLURM jobs {', '.join(waiting)} of an earlier {step} sweep of {profile} are still "
            f"queued or running: wait for them or `scancel --name {jobs.name}`")

    def both() -> None:
        jobs()
        if watch:
            watch()
    try:
        run_cli(tool, args, paths.toolkit_dir(profile), log_name, both, env)
    except ToolkitError:  # the command saw a job fail: name it, its run and its log
        jobs.drain(30)
        try:
            jobs()
        finally:
            jobs.cancel()
        raise
    except BaseException:
        jobs.cancel()
        raise
    jobs.drain()


#: What a finished run keeps of the states autrainer saves (``_initial``, ``_best`` and the
#: saved epochs, each a model, an optimizer and a scheduler state; a Cnn14 optimizer state is
#: 640 MB): ``every-epoch`` every epoch's model (aucurriculum's scoring reloads each);
#: ``scored`` the model scoring, explanations and inference read (the best epoch's, and the
#: last epoch's where SCORING_STOP is last); ``none`` no state (a run read only for its
#: metrics, records and saved outputs). See :func:`retain`.
RETENTIONS = ("every-epoch", "scored", "none")
OPTIMIZER_STATE = "optimizer.pt"
SCHEDULER_STATE = "scheduler.pt"


def kept_states(run_dir: Path, epochs: int, retention: str, stop: str = "best",
                resumable: bool = False) -> set[Path]:
    """The state files a finished run of ``epochs`` keeps under ``retention``; ``resumable``
    adds the last epoch's model, optimizer and scheduler, which autrainer needs to continue
    the run when EPOCHS grows (only without a schedule: see :func:`write_training_config`)."""
    if retention not in RETENTIONS:
        raise ToolkitError(f"unknown state retention {retention!r}; known: "
                           f"{', '.join(RETENTIONS)}")
    last = epoch_dir(run_dir, epochs)
    kept: set[Path] = set()
    if retention != "none":
        kept.add(best_checkpoint(run_dir))
    if retention == "every-epoch":
        kept |= {epoch_dir(run_dir, epoch) / MODEL_STATE for epoch in range(1, epochs + 1)}
    if retention == "scored" and stop == "last":
        kept.add(last / MODEL_STATE)
    if resumable:
        kept |= {last / MODEL_STATE, last / OPTIMIZER_STATE, last / SCHEDULER_STATE}
    return kept


def retain(run_dir: Path, epochs: int, retention: str, stop: str = "best",
           resumable: bool = False) -> None:
    """Delete the states a finished run does not keep (:func:`kept_states`): autrainer always
    writes ``_initial`` and the best epoch's optimizer, which nothing here reads."""
    keep = kept_states(run_dir, epochs, retention, stop, resumable)
    for state in run_dir.glob("*/*.pt"):
        if state not in keep:
            state.unlink()


def postprocess(profile: str) -> None:
    """``autrainer postprocess results experiments -a seed model`` (as in the paper)."""
    run_cli("autrainer", ["postprocess", "results", EXPERIMENT, "-a", "seed", "model"],
            paths.toolkit_dir(profile), "postprocess")


# --- Scoring: aucurriculum's ``curriculum`` command -------------------------------------------

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


def run_split_table(run_dir: Path, subset: str = "train") -> pd.DataFrame:
    """The rows of one split exactly as a run saw them, in the dataset's order.

    autrainer saves per-epoch outputs with positions into this table (``*_indices.npy``), and
    the split can depend on the run's seed (DCASE's dev split), so it is rebuilt from the run's
    own saved config, as aucurriculum does when it scores the run.
    """
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(run_dir / ".hydra" / "config.yaml"),
                                 resolve=True)
    # A seed "training-dataset" (aucurriculum's form) splits the data by its second part.
    data = _instantiate_dataset(cfg["dataset"], cfg["model"].get("transform"),
                                int(str(cfg["seed"]).split("-")[-1]), cfg["batch_size"])
    return {"train": data.df_train, "dev": data.df_dev,
            "test": data.df_test}[subset].reset_index(drop=True)


def epoch_outputs_names(subset: str = "train") -> tuple[str, str, str]:
    """The files of autrainer's saved logits, targets and row positions of one epoch."""
    return (f"{subset}_outputs.npy", f"{subset}_targets.npy", f"{subset}_indices.npy")


def epoch_outputs_files(run_dir: Path, epoch: int, subset: str = "train") -> tuple[Path, ...]:
    """autrainer's saved logits, targets and row positions of one epoch."""
    return tuple(epoch_dir(run_dir, epoch) / name for name in epoch_outputs_names(subset))


def aggregated_metrics(profile: str) -> pd.DataFrame:
    """``autrainer postprocess -a seed model``'s table: mean and std over seeds and models per
    dataset, in the format of the paper's ``aggregated_metrics.csv``."""
    return pd.read_csv(experiment_dir(profile) / "agg_seed_model" / METRICS_FILE)


# --- Trained models: a run's checkpoint, and ``autrainer inference`` ---------------------------

def run_labels(run_dir: Path) -> list[str]:
    """A run's class names in the order of its outputs (its saved label encoder)."""
    encoder = yaml.safe_load((Path(run_dir) / "target_transform.yaml").read_text())
    return [str(label) for label in next(iter(encoder.values()))["labels"]]


class RunModel:
    """A run's best checkpoint with the transform and labels autrainer saved beside it.

    Features go in as autrainer stores them (``log_mel_16k`` npy: 1 x frames x 64) and pass the
    run's own ``inference_transform`` (the same one ``autrainer inference`` applies), so
    predictions here equal autrainer's.
    """

    def __init__(self, run_dir: Path, checkpoint: str = BEST, device: str = "cpu") -> None:
        import audobject
        import torch

        self.run_dir = Path(run_dir)
        self.device = device
        self.model = audobject.from_yaml(str(self.run_dir / "model.yaml"))
        state = torch.load(self.run_dir / checkpoint / MODEL_STATE, map_location="cpu",
                           weights_only=True)
        self.model.load_state_dict(state)
        self.model.to(device).eval()
        self.transform = audobject.from_yaml(str(self.run_dir / "inference_transform.yaml"))
        #: Class names in the order of the model's outputs.
        self.labels = run_labels(self.run_dir)

    def layer(self, name: str) -> Any:
        """A named layer of the model (e.g. Cnn10's ``conv_block4.conv2``)."""
        modules = dict(self.model.named_modules())
        if name not in modules or not name:
            raise ValueError(f"{type(self.model).__name__} has no layer {name!r} "
                             f"(e.g. {', '.join(n for n in modules if n.endswith('conv2'))})")
        return modules[name]

    def input(self, features: np.ndarray) -> Any:
        """One sample's model input (1 x 1 x frames x 64) from its stored features."""
        import torch

        x = self.transform(torch.as_tensor(np.asarray(features, dtype=np.float32)), 0)
        return x.unsqueeze(0).to(self.device)

    def probabilities(self, features: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """Softmax outputs (samples x classes) for stored features of equal length."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(features), batch_size):
                batch = torch.cat([self.input(f) for f in features[start:start + batch_size]])
                out.append(torch.softmax(self.model(batch), dim=1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)))


def features_file(profile: str, dataset: str, sample_id: str) -> Path:
    """Where ``autrainer preprocess`` stored a sample's log-mel features."""
    return paths.dataset_dir(profile, dataset) / FEATURES / Path(sample_id).with_suffix(".npy")


def load_audio(file: Path) -> np.ndarray:
    """A clip as ``autrainer inference`` reads it (channels x samples, resampled to 16 kHz)."""
    from autrainer.datasets.utils import AudioFileHandler

    return AudioFileHandler(target_sample_rate=MEL["sample_rate"]).load(str(file)).numpy()


def inference(run_dir: Path, inputs: Path, outputs: Path, device: str, work: Path) -> Path:
    """``autrainer inference <run> <inputs> <outputs> -p log_mel_16k -r`` (the paper's
    command; recursive, so one call classifies several subfolders).

    Returns autrainer's ``results.csv`` (filename relative to ``inputs``, prediction, output,
    one column per class).
    """
    run_cli("autrainer", ["inference", str(run_dir), str(inputs), str(outputs),
                          "-p", FEATURES, "-d", device, "-u", "0", "-r"], work, "inference")
    return outputs / "results.csv"
