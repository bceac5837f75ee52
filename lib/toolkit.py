"""The only module that touches autrainer/aucurriculum: configs, commands, their classes.

Everything else in ``lib`` talks about datasets, runs and samples; this layer turns those into
the Hydra configs the toolkits read (written from the profile, never edited by hand), runs their
real command-line tools in a per-profile working folder, and instantiates their classes.
Pinned to autrainer 0.4.0 / aucurriculum 0.1.1 (see README, "Environment").
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lib import paths
from lib.datasets import LAYOUTS, DatasetLayout

FEATURES = "log_mel_16k"
#: autrainer's ``log_mel_16k`` preprocessing (PANNs log-mel: 16 kHz, window 512, hop 160,
#: 64 mel bins, 50-8000 Hz); kept here only to describe the axes of figures.
MEL = {"sample_rate": 16000, "hop_size": 160, "mel_bins": 64, "fmin": 50, "fmax": 8000}


class ToolkitError(RuntimeError):
    """An autrainer/aucurriculum command failed; one line naming the command and log."""


def dataset_id(name: str) -> str:
    """Config id, following the paper's naming (``SpeechCommands-16k``)."""
    return f"{name}-16k"


def dataset_config(layout: DatasetLayout, root: Path) -> dict[str, Any]:
    """The autrainer dataset config, as the paper's ``conf/dataset/*-16k.yaml``."""
    transform: dict[str, Any] = {"type": "grayscale"}
    if layout.autrainer_class.endswith("SpeechCommands"):
        # Clips shorter than 1 s are padded to 101 frames, as in the paper's config.
        transform["base"] = [{"autrainer.transforms.Expand": {"size": 101, "axis": -2}}]
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


def workdir(profile: str) -> Path:
    """Where the toolkits run for a profile: ``conf/`` in, ``results/`` out."""
    return paths.results_dir(profile) / "autrainer"


def _write_yaml(file: Path, content: dict[str, Any]) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(yaml.safe_dump(content, sort_keys=False))


def write_dataset_configs(profile: str, datasets: list[str]) -> Path:
    work = workdir(profile)
    for name in datasets:
        config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name))
        _write_yaml(work / "conf" / "dataset" / f"{config['id']}.yaml", config)
    return work


def run_cli(tool: str, args: list[str], work: Path, log_name: str) -> None:
    """Run ``autrainer``/``aucurriculum`` in ``work``; its output goes to a log file."""
    log_file = work / "logs" / f"{log_name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    executable = str(Path(sys.executable).with_name(tool))
    with log_file.open("w") as out:
        code = subprocess.run([executable, *args], cwd=work, stdout=out,
                              stderr=subprocess.STDOUT, env={**os.environ, "HYDRA_FULL_ERROR": "1"}
                              ).returncode
    if code != 0:
        lines = [l for l in log_file.read_text().splitlines() if l.strip()]
        raise ToolkitError(f"`{tool} {' '.join(args)}` failed ({lines[-1] if lines else 'no output'}); "
                           f"see {paths.relative(log_file)}")


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


def load_dataset(profile: str, name: str, seed: int = 0, batch_size: int = 32) -> Any:
    """autrainer's own dataset object for a preprocessed tree (the class training uses)."""
    import autrainer
    from autrainer.datasets import AbstractDataset
    from autrainer.transforms import TransformManager

    config = dataset_config(LAYOUTS[name], paths.dataset_dir(profile, name))
    config.pop("id")
    config.pop("criterion")
    transforms = TransformManager(model_transform={"type": "grayscale"},
                                  dataset_transform=config.pop("transform")).get_transforms()
    return autrainer.instantiate(config=config, instance_of=AbstractDataset,
                                 train_transform=transforms[0], dev_transform=transforms[1],
                                 test_transform=transforms[2], seed=seed,
                                 batch_size=batch_size)


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
