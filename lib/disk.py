"""The disk a profile's training needs under ``results/``, and the check made before it starts.

What a run (:class:`lib.training.Run`, one autrainer run folder) writes, as
``benchmarks/paper_cost.py`` measures it: the train and dev outputs of every epoch
(autrainer's OutputsTracker: four ``.npy`` and a results CSV per sample), the test outputs
once, model and optimizer states, and, when the in-training engine records a split
(``Ensemble.recorded``), :data:`lib.callbacks.RECORD_BYTES_PER_SAMPLE` per sample and epoch.
A run aucurriculum reloads (``Ensemble.keeps_every_epoch``: every run under SCORING_ENGINE
aucurriculum, each dataset's reference run under in-training) saves every epoch's model and
optimizer state; the others save only the last epoch's beside ``_initial`` and ``_best``.
A finished run keeps only the states its retention names (:meth:`lib.training.Ensemble.retain`),
so the peak is every run's kept files plus the transient ones of the runs training at once.

Sizes are upper bounds: a model state as ``torch.save`` writes autrainer's Cnn10/Cnn14
(:data:`MODEL_STATE_BYTES`, checked against the models by ``tests/test_disk.py``), outputs by
:data:`OUTPUT_BYTES`, split sizes from the dataset's tables when they are there, else the
paper's datasets as published (:data:`PAPER_SPLITS`). Nothing here imports torch or autrainer
and nothing scans more than a dataset's split tables, so the check costs milliseconds.
"""
from __future__ import annotations

import csv
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from lib import paths, toolkit
from lib.datasets import DCASE, LAYOUTS, SPEECH_COMMANDS
from lib.profiles import ProfileError

if TYPE_CHECKING:
    from lib.training import Ensemble, Run

#: Bytes of one model state (``torch.save`` of autrainer's model's state_dict) as
#: ``(fixed, per_class)``: the output layer grows by (hidden units + 1) float32 per class.
MODEL_STATE_BYTES = {"Cnn10": (19_829_500, 2_052), "Cnn14": (318_785_600, 8_196)}
#: Optimizer state per model state: Adam keeps two moments of every parameter, plain SGD none.
OPTIMIZER_MOMENTS = {"Adam": 2, "SGD": 0}
#: Bytes autrainer's OutputsTracker writes per sample and epoch as ``(fixed, per_class)``:
#: outputs float32 per class, targets, indices and losses, and a CSV row with the predicted
#: label and every class's probability as text (26 per class covers what it writes).
OUTPUT_BYTES = (40, 26)
#: autrainer's run folders beside every epoch's: ``_initial`` and ``_best``.
EXTRA_STATES = 2

#: DCASE2020 Task 1A, fold 1 of the TAU Urban Acoustic Scenes 2020 Mobile development set:
#: evaluation_setup/fold1_train.csv has 13965 clips, fold1_evaluate.csv 2970 (task description,
#: dcase.community/challenge2020/task-acoustic-scene-classification; the development set has
#: 23040 clips in all). autrainer's download turns these into train.csv and test.csv.
DCASE_FOLD1_TRAIN = 13_965
DCASE_FOLD1_EVALUATE = 2_970
#: autrainer's DCASE2020Task1A-16k.yaml sets dev_split 0.1: whole recording locations move from
#: train to dev until dev holds >= 10 % of fold1_train (_split_train_dataset), so dev is this
#: lower bound plus part of one location; the exact number needs the metadata.
DCASE_DEV = math.ceil(0.1 * DCASE_FOLD1_TRAIN)


@dataclass(frozen=True)
class Splits:
    """A dataset as autrainer splits it: clips per split and classes."""

    train: int
    dev: int
    test: int
    classes: int

    def of(self, split: str) -> int:
        return getattr(self, split)


#: The paper's datasets before they are downloaded. autrainer's SpeechCommands keeps
#: torchaudio's "training", "validation", "testing" subsets (v0.02, 35 words; counts as widely
#: reported, e.g. Berg et al. 2021, arXiv:2104.00769, summing to the README's 105,829).
PAPER_SPLITS = {
    DCASE: Splits(DCASE_FOLD1_TRAIN - DCASE_DEV, DCASE_DEV, DCASE_FOLD1_EVALUATE, 10),
    SPEECH_COMMANDS: Splits(84_843, 9_981, 11_005, 35),
}


@dataclass(frozen=True)
class Sizes:
    """Bytes of one model on one dataset: a model state, an optimizer state, and the outputs
    autrainer writes per sample and epoch (measured by benchmarks/paper_cost.py, else
    :func:`estimated_sizes`)."""

    state: float
    optimizer: float
    output_per_sample: float


@dataclass(frozen=True)
class RunBytes:
    """One run's files: what it keeps once finished, and the most it holds while training."""

    outputs: float
    kept: float
    peak: float


@dataclass(frozen=True)
class Projection:
    """A sweep's runs on disk: ``kept`` once all have finished, ``peak`` while they train."""

    runs: int
    kept: int
    peak: int


def estimated_sizes(model: str, classes: int, optimizer: str = "Adam") -> Sizes:
    """The sizes of one of autrainer's models with ``classes`` outputs (a model not in
    :data:`MODEL_STATE_BYTES` counts as the largest there)."""
    fixed, per_class = MODEL_STATE_BYTES.get(model, max(MODEL_STATE_BYTES.values()))
    state = fixed + per_class * classes
    return Sizes(state, OPTIMIZER_MOMENTS.get(optimizer, 2) * state,
                 OUTPUT_BYTES[0] + OUTPUT_BYTES[1] * classes)


def run_bytes(sizes: Sizes, splits: Splits, epochs: int, retention: str = "every-epoch",
              recorded: str | None = None, stop: str = "best",
              resumable: bool = False) -> RunBytes:
    """One run's bytes. While it trains autrainer writes ``_initial``, ``_best`` and every
    saved epoch (every epoch under ``every-epoch``, else the last), each a model and an
    optimizer state; when it finishes, :func:`lib.toolkit.retain` keeps the model states of
    ``retention`` (``every-epoch``: every epoch's and the best; ``scored``: the best, and the
    last where ``stop`` is last; ``none``) and, ``resumable``, the last epoch's model and
    optimizer."""
    # Train and dev outputs every epoch, the best epoch's dev outputs again, test outputs once.
    outputs = (epochs * (splits.train + splits.dev) + splits.dev + splits.test) \
        * sizes.output_per_sample
    if recorded:
        from lib.callbacks import RECORD_BYTES_PER_SAMPLE  # imports torch: only when recording

        outputs += epochs * splits.of(recorded) * RECORD_BYTES_PER_SAMPLE
    saved = (epochs if retention == "every-epoch" else 1) + EXTRA_STATES
    # what lib.toolkit.retain leaves, counted on the file names it keeps
    kept_names = [state.name for state in
                  toolkit.kept_states(Path("run"), epochs, retention, stop, resumable)]
    kept = (kept_names.count(toolkit.MODEL_STATE) * sizes.state
            + kept_names.count(toolkit.OPTIMIZER_STATE) * sizes.optimizer + outputs)
    written = saved * (sizes.state + sizes.optimizer) + outputs
    return RunBytes(outputs, kept, max(written, kept))


def dataset_splits(profile: str | None, dataset: str) -> Splits:
    """A dataset's split sizes and classes: from its tables under ``data/<profile>/`` (a few
    milliseconds), else the paper's as published, else none (its runs count states only)."""
    layout = LAYOUTS.get(dataset)
    root = paths.dataset_dir(profile, dataset) if profile else None
    if layout is not None and root is not None and (root / "train.csv").is_file():
        rows, labels = {}, set()
        for split in layout.splits:
            table = root / f"{split}.csv"
            if not table.is_file():
                rows[split] = 0
                continue
            with table.open(newline="") as handle:
                reader = csv.DictReader(handle)
                column = [row.get(layout.target_column) for row in reader]
            rows[split] = len(column)
            if split == "train":
                labels = set(column)
        if "dev" not in layout.splits:  # autrainer carves dev from train (dev_split)
            carved = math.ceil(layout.autrainer_args.get("dev_split", 0.1) * rows["train"])
            rows["train"], rows["dev"] = rows["train"] - carved, carved
        return Splits(rows["train"], rows["dev"], rows.get("test", 0), max(1, len(labels)))
    return PAPER_SPLITS.get(dataset, Splits(0, 0, 0, 1))


def launched_at_once(ensemble: "Ensemble", runs: int) -> int:
    """How many runs train at once: one under the basic launcher, LAUNCHER_JOBS under
    joblib (all of them when 0: the devices are not counted here), all of them under SLURM."""
    kind = ensemble.launcher.kind
    if kind == "basic":
        return min(1, runs)
    if kind == "joblib" and ensemble.launcher.jobs:
        return min(ensemble.launcher.jobs, runs)
    return runs


def project(ensemble: "Ensemble", profile: str | None = None,
            sizes: Callable[[str, str], Sizes] | None = None,
            done: Iterable["Run"] = ()) -> Projection:
    """The disk the ensemble's runs not ``done`` take: each run's kept files, plus the
    transient ones of the largest runs that train at once. ``sizes(dataset, model)`` gives
    measured sizes (benchmarks/paper_cost.py); by default :func:`estimated_sizes` with the
    classes of :func:`dataset_splits`."""
    finished = set(done)
    runs = [run for run in ensemble.runs if run not in finished]
    splits = {dataset: dataset_splits(profile, dataset) for dataset in ensemble.datasets}

    def sized(run: "Run") -> Sizes:
        if sizes is not None:
            return sizes(run.dataset, run.model)
        return estimated_sizes(run.model, splits[run.dataset].classes, ensemble.settings.optimizer)

    each = [run_bytes(sized(run), splits[run.dataset], ensemble.settings.epochs,
                      ensemble.retention_of(run), ensemble.recorded, ensemble.stop,
                      ensemble.resumable) for run in runs]
    transient = sorted((b.peak - b.kept for b in each), reverse=True)
    kept = sum(b.kept for b in each)
    peak = kept + sum(transient[:launched_at_once(ensemble, len(runs))])
    return Projection(len(runs), math.ceil(kept), math.ceil(peak))


def projected_bytes(ensemble: "Ensemble", profile: str | None = None) -> int:
    """The peak disk under ``results/`` that training an ensemble needs; split sizes from
    ``data/<profile>/`` when there."""
    return project(ensemble, profile).peak


class DiskSpaceError(ProfileError):
    """Too little free disk under ``results/`` for a profile's training; one line."""


def free_bytes(folder: Path) -> tuple[Path, int]:
    """The nearest existing folder at or above ``folder`` and the free bytes on its disk."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder, shutil.disk_usage(folder).free


def _shown(folder: Path) -> str:
    """A folder for a message: from the repository root, or in full outside or at it."""
    relative = paths.relative(folder)
    return str(folder) if relative == "." else relative


def gigabytes(size: float) -> str:
    return f"{size / 1e9:.3g} GB"


def check_free_disk(profile: str, ensemble: "Ensemble") -> None:
    """Before any training: raise :class:`DiskSpaceError` (one line naming both figures and
    the profile) when the disk under ``results/<profile>`` has less free than training the
    ensemble's unfinished runs needs at its peak (:func:`project`). Runs already finished
    count as written."""
    done = [run for run in ensemble.runs
            if toolkit.is_finished(toolkit.runs_dir(profile) / run.name)]
    needed = project(ensemble, profile, done=done)
    if not needed.runs:
        return
    where, free = free_bytes(paths.results_dir(profile))
    if free < needed.peak:
        engine = ("; SCORING_ENGINE in-training needs less"
                  if ensemble.aucurriculum == "all" and ensemble.recorded is None else "")
        raise DiskSpaceError(
            f"profile {profile}: {gigabytes(free)} free at {_shown(where)}, but "
            f"training its {needed.runs} unfinished runs needs about "
            f"{gigabytes(needed.peak)} at the peak; free some disk or set COMPENDIUM_RESULTS "
            f"to a larger one{engine}")
