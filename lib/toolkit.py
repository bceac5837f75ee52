"""The only module that touches autrainer/aucurriculum: configs, commands, their classes.

Everything else in ``lib`` talks about datasets, runs and samples; this layer turns those into
the Hydra configs the toolkits read (written from the profile, never edited by hand), runs their
real command-line tools in a per-profile working folder, and instantiates their classes.
Pinned to autrainer 0.4.0 / aucurriculum 0.1.1 (see README, "Environment").
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

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


#: Set in the environment of ``aucurriculum`` commands: lib.augmentations then pass clips
#: through unchanged, as aucurriculum would otherwise score augmented views of them.
SCORING_ENV = "SAMPLE_DIFFICULTY_SCORING"


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


def dataset_config(layout: DatasetLayout, root: Path) -> dict[str, Any]:
    """The autrainer dataset config, as the paper's ``conf/dataset/*-16k.yaml``."""
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


def write_dataset_configs(profile: str, datasets: list[str]) -> Path:
    work = paths.toolkit_dir(profile)
    for name in datasets:
        config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name))
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


def run_cli(tool: str, args: list[str], work: Path, log_name: str,
            watch: Callable[[], None] | None = None) -> None:
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
    with log_file.open("w") as out:
        process = subprocess.Popen(_command(tool, args), cwd=work, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   pass_fds=() if lock is None else (lock,),
                                   env={**os.environ, "HYDRA_FULL_ERROR": "1",
                                        **({SCORING_ENV: "1"} if tool == "aucurriculum"
                                           else {})})
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
    if watch:
        watch()
    if code < 0:
        raise ToolkitError(f"`{tool} {' '.join(args)}` was killed (signal {-code}); "
                           f"see {paths.relative(log_file)}")
    if code != 0:
        raise ToolkitError(f"`{tool} {' '.join(args)}` failed ({_last_error(log_file)}); "
                           f"see {paths.relative(log_file)}")


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


def load_dataset(profile: str, name: str, seed: int = 0, batch_size: int = 32) -> Any:
    """autrainer's own dataset object for a preprocessed tree (the class training uses)."""
    config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name))
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
#: The best epoch's folder: its model state and its dev metrics (``dev.yaml``).
BEST = "_best"
#: A model state, in ``_best/`` and in every kept ``epoch_<n>/``.
MODEL_STATE = "model.pt"


def epoch_dir(run_dir: Path, epoch: int) -> Path:
    """The folder of one epoch (1-based) of a run."""
    return run_dir / f"epoch_{epoch}"


def epoch_dirs(run_dir: Path) -> list[Path]:
    """The epoch folders a run has now, in order of epoch."""
    return sorted((d for d in run_dir.glob("epoch_*") if d.is_dir()),
                  key=lambda d: int(d.name.split("_")[-1]))


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


#: Learning-rate schedules (:data:`lib.profiles.SCHEDULES`) -> autrainer scheduler id
#: (``None``: constant, the paper's). ``cosine`` anneals the rate to zero over the run's
#: epochs, stepped once per epoch; ``onecycle`` warms it up from LEARNING_RATE / 25 to
#: LEARNING_RATE over the first quarter of the steps, then anneals it (cosine) towards zero,
#: stepped every batch.
SCHEDULERS = dict(zip(SCHEDULES, ("None", "Cosine", "OneCycle")))


def _write_scheduler_config(work: Path, scheduler: str, epochs: int,
                            steps_per_epoch: int | None) -> None:
    """``conf/scheduler/<id>.yaml``; ``steps_per_epoch`` is needed by ``onecycle`` only."""
    if scheduler not in SCHEDULERS:
        raise ToolkitError(f"unknown scheduler {scheduler!r}; known: {', '.join(SCHEDULERS)}")
    if scheduler == "cosine":
        _write_yaml(work / "conf" / "scheduler" / "Cosine.yaml", {
            "id": "Cosine", "_target_": "torch.optim.lr_scheduler.CosineAnnealingLR",
            "T_max": epochs, "step_frequency": "evaluation"})
    elif scheduler == "onecycle":
        # max_lr is interpolated from the run's learning_rate, so the sweep's value is used.
        _write_yaml(work / "conf" / "scheduler" / "OneCycle.yaml", {
            "id": "OneCycle", "_target_": "torch.optim.lr_scheduler.OneCycleLR",
            "max_lr": "${learning_rate}", "epochs": epochs, "steps_per_epoch": steps_per_epoch,
            "pct_start": 0.25, "cycle_momentum": False, "step_frequency": "batch"})


def _steps_per_epoch(profile: str, datasets: list[str], batch_size: int) -> int:
    """Optimiser steps of an epoch on the largest training split (autrainer keeps the last,
    partial batch). Sized on ``train.csv``: where autrainer carves the dev split out of it
    (DCASE), the cycle is a little longer than the run and ends just short of its minimum,
    the same for every seed."""
    rows = [len(pd.read_csv(paths.dataset_dir(profile, d) / "train.csv")) for d in datasets]
    return max(-(-n // batch_size) for n in rows)


#: Training augmentations (:data:`lib.profiles.AUGMENTATIONS`) -> autrainer augmentation id
#: (``None``: autrainer's empty pipeline, the paper's).
AUGMENTATION_IDS = dict(zip(AUGMENTATIONS, ("None", "SpecMasks", "TelephoneBand",
                                            "TelephoneBand-SpecMasks")))
#: Each part of an augmentation as an autrainer pipeline step (lib.augmentations; their
#: defaults are the settings). The band limit comes first, so a mask may fall on it.
_AUGMENTATION_STEPS = {"telephone": "lib.augmentations.TelephoneBand",
                       "specaugment": "lib.augmentations.SpecMasks"}


def augmentation_steps(augmentation: str) -> list[str]:
    """The classes of an augmentation's autrainer pipeline, in the order they apply."""
    if augmentation not in AUGMENTATION_IDS:
        raise ToolkitError(f"unknown augmentation {augmentation!r}; known: "
                           f"{', '.join(AUGMENTATION_IDS)}")
    parts = [] if augmentation == "none" else augmentation.split("+")
    return [_AUGMENTATION_STEPS[part]
            for part in sorted(parts, key=list(_AUGMENTATION_STEPS).index)]


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


def run_name(dataset: str, model: str, optimizer: str, learning_rate: float, batch_size: int,
             epochs: int, seed: int, precision: str = "fp32", scheduler: str = "none",
             augmentation: str = "none") -> str:
    """autrainer's run folder name (its augmentation id is ``None`` without one, as in the
    paper)."""
    return (f"{dataset_id(dataset)}_{model_id(model, precision)}_{optimizer}_{learning_rate}"
            f"_{batch_size}_epoch_{epochs}_{SCHEDULERS[scheduler]}"
            f"_{AUGMENTATION_IDS[augmentation]}_{seed}")


def write_training_config(profile: str, datasets: list[str], seeds: dict[str, list[int]],
                          epochs: int, batch_size: int, learning_rate: float, optimizer: str,
                          device: str, precision: str = "fp32", scheduler: str = "none",
                          record: str | None = None, every_epoch: bool = True,
                          launcher: Launcher = Launcher(), augmentation: str = "none") -> Path:
    """``conf/train.yaml``: the paper's ``conf/config.yaml`` with the profile's values.

    ``seeds`` maps each model to its seeds. autrainer sweeps the grid of every model and seed;
    the (model, seed) pairs outside a model's seeds are excluded with the sweeper's own
    filters, beside its filter that skips finished runs. ``record`` names a split that
    :class:`lib.callbacks.ScoredSplitRecorder` evaluates after every epoch (batches of
    ``batch_size``, as scoring uses, with the training augmentation off); without ``every_epoch``, autrainer keeps the model states
    of the best and the last epoch only (``save_frequency``). ``launcher`` sets Hydra's
    launcher plugin (:meth:`lib.launchers.Launcher.hydra`).
    """
    models = list(seeds)
    all_seeds = sorted({s for model_seeds in seeds.values() for s in model_seeds})
    excluded = [{"type": "expr",
                 "expr": f"model.id == '{model_id(m, precision)}' and seed == {s}"}
                for m in models for s in all_seeds if s not in seeds[m]]
    work = write_dataset_configs(profile, datasets)
    device = resolve_device(device)
    problem = precision_problem(precision, device.split(":")[0])
    if problem:
        raise ToolkitError(problem)
    _write_model_configs(work, models, precision)
    steps = _steps_per_epoch(profile, datasets, batch_size) if scheduler == "onecycle" else None
    _write_scheduler_config(work, scheduler, epochs, steps)
    _write_augmentation_config(work, augmentation)
    sweep = {"+seed": ", ".join(str(s) for s in all_seeds), "+batch_size": batch_size,
             "+learning_rate": learning_rate,
             "dataset": ", ".join(dataset_id(d) for d in datasets),
             "model": ", ".join(model_id(m, precision) for m in models), "optimizer": optimizer}
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
               log: Callable[[str], None]) -> None:
    """A toolkit sweep under the profile's launcher. Under SLURM, each job's state is logged
    while the command waits, a failed job ends the sweep with one line naming its run, job id
    and log, and an interrupted sweep cancels its jobs; jobs of an earlier sweep still in the
    queue stop this one before it submits anything."""
    if launcher.kind != "slurm":
        run_cli(tool, args, paths.toolkit_dir(profile), log_name, watch)
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
        run_cli(tool, args, paths.toolkit_dir(profile), log_name, both)
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


def prune_optimizer_states(run_dir: Path) -> None:
    """Delete optimizer states a finished run no longer needs.

    Scoring reads only ``model.pt`` of every epoch. The last epoch's optimizer is kept so that
    autrainer can continue the run if EPOCHS is raised later (without a schedule: see
    :func:`write_training_config`). For Cnn14 this halves the disk use
    (the optimizer state is twice the model's 320 MB).
    """
    epochs = epoch_dirs(run_dir)
    keep = epochs[-1] / "optimizer.pt" if epochs else None
    for state in run_dir.glob("*/optimizer.pt"):
        if state != keep:
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

    aucurriculum names it after the scoring type only, and reuses any ``scores.csv`` it finds,
    so the subset goes into the name or a changed subset would silently reuse old scores.
    """
    return experiment_dir(profile) / "curriculum" / f"{scoring}_{subset}"


def score_run_dir(profile: str, scoring: str, subset: str, stop: str, run: str) -> Path:
    """Where aucurriculum writes one run's ``scores.csv`` (run name + first letter of stop)."""
    return scores_dir(profile, scoring, subset) / f"{run}_{stop[0]}"


def score(profile: str, scoring: str, runs_per_dataset: dict[str, list[str]], stop: str,
          subset: str, device: str, batch_size: int,
          watch: Callable[[], None] | None = None, launcher: Launcher = Launcher(),
          log: Callable[[str], None] = print) -> None:
    """Score each dataset's runs with ``aucurriculum curriculum`` (one sweep over datasets).

    Each dataset gets the paper's scoring config (``curriculum/scoring/<Score><Dataset>.yaml``)
    listing its runs explicitly. A run whose training finished after its scores were written
    (retrained) is scored again.
    """
    if scoring not in SCORING_FUNCTIONS:
        raise ToolkitError(f"unknown scoring function {scoring!r}; known: "
                           f"{', '.join(SCORING_FUNCTIONS)}")
    work = paths.toolkit_dir(profile)
    ids = []
    for dataset, runs in runs_per_dataset.items():
        if not runs:
            raise ToolkitError(f"empty ensemble: no runs to score for {dataset}")
        for run in runs:
            scored = score_run_dir(profile, scoring, subset, stop, run) / "scores.csv"
            trained = runs_dir(profile) / run / METRICS_FILE
            if scored.is_file() and trained.is_file() and \
                    trained.stat().st_mtime > scored.stat().st_mtime:
                shutil.rmtree(scored.parent)
        ids.append(score_id(scoring, dataset))
        _write_yaml(work / "conf" / "curriculum" / "scoring" / f"{ids[-1]}.yaml", {
            "id": ids[-1], "type": scoring,
            "_target_": f"aucurriculum.curricula.scoring.{scoring}",
            "run_name": list(runs), "stop": stop, "subset": subset})
    device = resolve_device(device)
    plugin, hydra = launcher.hydra(work, launchers.job_name(profile, "score"), device,
                                   concurrent=False)
    _write_yaml(work / "conf" / "score.yaml", {
        "defaults": ["_aucurriculum_score_", "_self_", *plugin],
        "results_dir": "results", "experiment_id": EXPERIMENT,
        "device": device, "batch_size": batch_size, "progress_bar": False,
        "correlation": {},
        "hydra": {"sweep": {"dir": "${results_dir}/${experiment_id}/curriculum/",
                            "subdir": f"{scoring}_{subset}"},
                  "sweeper": {"params": {"curriculum/scoring": ", ".join(ids)}}, **hydra}})
    _run_sweep("aucurriculum", ["curriculum", "-cn", "score"], profile, "score", "score", watch,
               launcher, log)


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
    """``autrainer inference <run> <inputs> <outputs> -p log_mel_16k`` (the paper's command).

    Returns autrainer's ``results.csv`` (filename, prediction, output, one column per class).
    """
    run_cli("autrainer", ["inference", str(run_dir), str(inputs), str(outputs),
                          "-p", FEATURES, "-d", device, "-u", "0"], work, "inference")
    return outputs / "results.csv"
