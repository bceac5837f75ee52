"""The toolkits' commands: running ``autrainer``/``aucurriculum`` in a profile's working folder,
one command at a time per profile, and the datasets they read (configs, preprocessing, loading)."""
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import yaml

from lib import launchers, paths
from lib.datasets import DatasetLayout, layout_of
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


def _padded(layout: DatasetLayout) -> bool:
    """Whether the paper's config pads the dataset's spectrograms: those autrainer reads with
    its SpeechCommands class."""
    return layout.autrainer_class.endswith(".SpeechCommands")


def dataset_config(layout: DatasetLayout, root: Path, dev_split_seed: int | None = None
                   ) -> dict[str, Any]:
    """The autrainer dataset config, as the paper's ``conf/dataset/*-16k.yaml``; where autrainer
    carves dev out of ``train.csv`` (DCASE), ``dev_split_seed`` fixes the carve for every run
    (otherwise each run carves with its own seed)."""
    transform: dict[str, Any] = {"type": "grayscale"}
    if _padded(layout):
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


#: Set in the environment of the chapters that ``lib.run --jobs`` executes at once: a chapter
#: finding a toolkit folder in use by another waits for it (:func:`exclusive`).
WAIT_FOR_LOCK_ENV = "COMPENDIUM_WAIT_FOR_LOCK"
#: Open lock files of the profiles this process holds, by toolkit folder: a command started
#: while one is held inherits it, so the lock lasts until the command itself has exited.
_HELD: dict[Path, int] = {}


@contextmanager
def exclusive(profile: str) -> Iterator[None]:
    """Hold the profile's toolkit folder alone while training or scoring.

    Two processes training the same profile would delete and overwrite each other's runs, so a
    second one stops at once with one line instead. The lock is an ``flock`` that the toolkit
    commands inherit (see :func:`run_cli`): it is free only when this process and every
    command it started have ended, however they ended. Chapters that the runner executes at
    once (:data:`WAIT_FOR_LOCK_ENV` set) wait for the holder instead; the runner keeps other
    runs of the profile's notebooks out meanwhile (``lib.run._alone``).
    """
    work = paths.toolkit_dir(profile)
    work.mkdir(parents=True, exist_ok=True)
    with (work / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not os.environ.get(WAIT_FOR_LOCK_ENV):
                raise ToolkitError(f"{paths.relative(work)} is in use by another training or "
                                   "scoring process of this profile; wait for it to finish"
                                   ) from None
            fcntl.flock(handle, fcntl.LOCK_EX)
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
        config = dataset_config(layout_of(name), paths.dataset_dir(profile, name), dev_split_seed)
        _write_yaml(work / "conf" / "dataset" / f"{config['id']}.yaml", config)
    return work


#: Started in front of a command on Linux: asks the kernel to send the command a signal when
#: the process that started it dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``), so
#: that no ``autrainer train`` goes on writing run folders after a ``kill -9`` of its runner.
_DIE_WITH_PARENT = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, int(sys.argv[2]))\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('command not started: its parent has already exited')\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n")


def dying_with_this_process(command: list[str], sig: int = signal.SIGKILL) -> list[str]:
    """``command`` (its first item an executable's path) started so that it gets ``sig`` when
    this process dies, however it dies (Linux; elsewhere ``command`` as it is)."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), str(int(sig)), *command]


def _command(tool: str, args: list[str]) -> list[str]:
    return dying_with_this_process([str(Path(sys.executable).with_name(tool)), *args])


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
             "exit": code, "notebook": os.environ.get(paths.NOTEBOOK_ENV)}
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
    config = dataset_config(layout_of(name), paths.dataset_dir(profile, name), dev_split_seed)
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


def postprocess(profile: str) -> None:
    """``autrainer postprocess results experiments -a seed model`` (as in the paper)."""
    run_cli("autrainer", ["postprocess", "results", EXPERIMENT, "-a", "seed", "model"],
            paths.toolkit_dir(profile), "postprocess")


def inference(run_dir: Path, inputs: Path, outputs: Path, device: str, work: Path) -> Path:
    """``autrainer inference <run> <inputs> <outputs> -p log_mel_16k -r`` (the paper's
    command; recursive, so one call classifies several subfolders).

    Returns autrainer's ``results.csv`` (filename relative to ``inputs``, prediction, output,
    one column per class).
    """
    run_cli("autrainer", ["inference", str(run_dir), str(inputs), str(outputs),
                          "-p", FEATURES, "-d", device, "-u", "0", "-r"], work, "inference")
    return outputs / "results.csv"
