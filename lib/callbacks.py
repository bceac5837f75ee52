"""autrainer callbacks named in the training config: what the toolkit layer adds to training.

:class:`ScoredSplitRecorder` makes CumulativeAccuracy possible without keeping every epoch's
checkpoint. aucurriculum's CumulativeAccuracy reloads each saved epoch's weights and runs the
scored split through the model in eval mode; this callback runs the very same forward pass
(the split's dataset as autrainer built it, batches in order, of the scoring batch size) right
after each epoch's dev evaluation, while the weights are still in memory, and saves per sample
what scoring needs. A training augmentation is switched off for it: a score is about the
clip, not about a random augmented view of it (aucurriculum, which rebuilds the training split
with the run's training augmentation, runs with lib's augmentations switched off too; see
:mod:`lib.augmentations`). autrainer instantiates it from ``callbacks:`` and calls its ``cb_on_*``
hooks (autrainer 0.4.0, ``training/callback_manager.py``).
"""
from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader

#: A run's folder of per-epoch records: ``epoch_<n>.npz``, one file per epoch.
RECORDS = "scored_split"
#: Bytes a record takes per sample and epoch (position int32, predicted and true class int16,
#: true-class probability float32), before the npz header.
RECORD_BYTES_PER_SAMPLE = 12


def records_dir(run_folder: Path) -> Path:
    return Path(run_folder) / RECORDS


def record_file(run_folder: Path, epoch: int) -> Path:
    """The in-training record of one epoch (1-based) of a run."""
    return records_dir(run_folder) / f"epoch_{epoch}.npz"


def recorded_subset(run_folder: Path) -> str | None:
    """The split a run's records hold, as the run's saved training config names it (None: the
    run was trained without the recorder)."""
    import yaml

    config = Path(run_folder) / ".hydra" / "config.yaml"
    if not config.is_file():
        return None
    name = f"{__name__}.{ScoredSplitRecorder.__name__}"
    for callback in yaml.safe_load(config.read_text()).get("callbacks") or []:
        if isinstance(callback, dict) and name in callback:
            return (callback[name] or {}).get("subset", "train")
    return None


@contextmanager
def _without_augmentation(dataset: Any) -> Iterator[None]:
    """The dataset's transform without its augmentations while the block runs."""
    from autrainer.augmentations import AbstractAugmentation
    from autrainer.transforms import SmartCompose

    transform = getattr(dataset, "transform", None)
    if not isinstance(transform, SmartCompose):
        yield
        return
    dataset.transform = SmartCompose([t for t in transform.transforms
                                      if not isinstance(t, AbstractAugmentation)])
    try:
        yield
    finally:
        dataset.transform = transform


class ScoredSplitRecorder:
    """After each epoch's dev evaluation: per sample of ``subset``, its dataset position, the
    predicted class and the true class's probability, in eval mode with that epoch's weights
    (and the seconds the pass took, which the build benchmark counts as compute).

    Each epoch goes to its own file, written to a side name and renamed, so a killed run keeps
    the epochs it finished and a continued run replaces an epoch instead of adding it twice.
    The random states are put back afterwards (a data loader draws a seed when it starts), so
    a run trains exactly as it would without the recorder.
    """

    def __init__(self, subset: str = "train", batch_size: int = 32) -> None:
        if subset not in ("train", "dev", "test"):
            raise ValueError(f"subset must be train, dev or test, got {subset!r}")
        self.subset, self.batch_size = subset, batch_size

    def cb_on_val_end(self, trainer: Any, iteration: int, val_results: dict) -> None:
        states = random.getstate(), np.random.get_state()
        cuda = [torch.cuda.current_device()] if str(trainer.DEVICE).startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda):
            self._record(trainer, iteration, time.perf_counter())
        random.setstate(states[0])
        np.random.set_state(states[1])

    def _record(self, trainer: Any, iteration: int, started: float) -> None:
        dataset = getattr(trainer.data, f"{self.subset}_dataset")
        with _without_augmentation(dataset):
            self._forward(trainer, iteration, dataset, started)

    def _forward(self, trainer: Any, iteration: int, dataset: Any, started: float) -> None:
        model = trainer.model
        model.eval()
        positions, predicted, probability, targets = [], [], [], []
        start = 0
        with torch.no_grad():
            for features, target, _ in DataLoader(dataset, batch_size=self.batch_size):
                logits = model(features.to(trainer.DEVICE)).float().cpu()
                chances = torch.softmax(logits, dim=1)
                positions.append(np.arange(start, start + len(target)))
                predicted.append(logits.argmax(dim=1).numpy())
                probability.append(chances[torch.arange(len(target)), target].numpy())
                targets.append(target.numpy())
                start += len(target)
        folder = records_dir(trainer.output_directory)
        folder.mkdir(exist_ok=True)
        final = record_file(trainer.output_directory, iteration)
        partial = folder / f".{final.stem}.partial.npz"
        np.savez(partial, position=np.concatenate(positions).astype(np.int32),
                 predicted=np.concatenate(predicted).astype(np.int16),
                 target=np.concatenate(targets).astype(np.int16),
                 true_probability=np.concatenate(probability).astype(np.float32),
                 seconds=np.float32(time.perf_counter() - started))
        os.replace(partial, final)
