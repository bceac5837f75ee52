"""The ensemble: which runs a profile asks for, training them, and what they learned.

A run is one (dataset, model, seed) training of the paper's sweep. Training goes through
``autrainer train`` (see :mod:`lib.toolkit`); this module decides which runs are missing,
reports progress while autrainer works, checks that every run left what scoring needs, and
turns autrainer's run folders into tidy tables: metrics per run, mean ± std over seeds, and
learning curves per epoch.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import yaml

from lib import disk, paths, toolkit
from lib.launchers import Launcher
from lib.datasets import data_fingerprint, layout_of
from lib.record import Training, model_key

#: Metrics autrainer tracks on dev (every epoch) and test (model of the best epoch).
METRICS = ("accuracy", "uar", "f1")
#: Files autrainer writes for every epoch; training dynamics read them. aucurriculum also needs
#: every epoch's ``model.pt``, which the in-training engine does not keep (see :mod:`lib.callbacks`).
EPOCH_FILES = toolkit.epoch_outputs_names("train")


#: Written into each finished run: the fingerprint of the data it was trained on.
DATA_RECORD = "data_fingerprint.json"


class RunError(RuntimeError):
    """A run folder is missing or lacks what scoring needs; one line naming it."""


@dataclass(frozen=True)
class Run:
    dataset: str
    model: str
    seed: int
    name: str  # autrainer's run folder name

    @property
    def label(self) -> str:
        return f"{self.dataset} {self.model} seed {self.seed}"


@dataclass(frozen=True)
class Ensemble:
    """The runs of a study and how each is trained: every dataset x model x seed.

    Built once from a notebook's checked parameters (:meth:`from_parameters`); a variant, such
    as a point of the label-noise sweep, is ``dataclasses.replace(ensemble, ...)``.
    """
    datasets: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    #: How every run trains (epochs, batch, rate, optimizer, schedule, precision, ...).
    settings: toolkit.Settings
    #: Seeds of single models instead of ``seeds``, as ``(("Cnn14", (1, 2)),)``.
    seeds_by_model: tuple[tuple[str, tuple[int, ...]], ...] = ()
    #: The split recorded after every epoch for in-training scoring (None: record nothing and
    #: keep every epoch's model state for aucurriculum).
    recorded: str | None = None
    #: Where the sweeps run (Hydra's basic launcher, joblib, or SLURM jobs).
    launcher: Launcher = Launcher()
    #: The runs aucurriculum's scoring reloads, so they keep every epoch's model state:
    #: ``all`` (SCORING_ENGINE aucurriculum), ``reference`` (each dataset's first run, scored
    #: beside the in-training records) or ``none`` (an auxiliary ensemble nobody scores so).
    aucurriculum: str = "reference"
    #: What the other runs keep (:data:`lib.toolkit.RETENTIONS`): ``scored`` for runs that
    #: are scored, explained or asked, ``none`` for runs read only for metrics and records.
    retention: str = "scored"
    #: The last epoch that enters a score (SCORING_STOP): which model state ``scored`` keeps.
    stop: str = "best"

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Ensemble":
        """From checked parameters (DATASETS, MODELS, SEEDS, SEEDS_BY_MODEL, EPOCHS, ...)."""
        settings = toolkit.Settings(
            values["EPOCHS"], values["BATCH_SIZE"], float(values["LEARNING_RATE"]),
            values["OPTIMIZER"], values["SCHEDULER"], values["PRECISION"],
            values["AUGMENTATION"], values["DEVICE"])
        in_training = values.get("SCORING_ENGINE") == "in-training"
        return cls(tuple(values["DATASETS"]), tuple(values["MODELS"]), tuple(values["SEEDS"]),
                   settings,
                   tuple((model, tuple(seeds))
                         for model, seeds in values["SEEDS_BY_MODEL"].items()),
                   recorded=values["SCORING_SUBSET"] if in_training else None,
                   launcher=Launcher.from_parameters(values),
                   aucurriculum="reference" if in_training else "all",
                   stop=values.get("SCORING_STOP", "best"))


    def seeds_of(self, model: str) -> tuple[int, ...]:
        """The seeds one model is trained with: ``seeds``, unless ``seeds_by_model`` names it."""
        return dict(self.seeds_by_model).get(model, self.seeds)

    @property
    def runs(self) -> list[Run]:
        """Every (dataset, model, seed) run, in autrainer's naming."""
        return [Run(dataset, model, seed, toolkit.run_name(dataset, model, seed, self.settings))
                for dataset in self.datasets for model in self.models
                for seed in self.seeds_of(model)]

    def runs_of(self, dataset: str) -> list[Run]:
        return [run for run in self.runs if run.dataset == dataset]

    def keeps_every_epoch(self, run: Run) -> bool:
        """Whether aucurriculum's scoring reloads every epoch's model state of a run: every
        run's under ``aucurriculum="all"``; under ``reference`` only each dataset's first run,
        scored beside the in-training records."""
        return self.aucurriculum == "all" or (self.aucurriculum == "reference"
                                              and run == self.runs_of(run.dataset)[0])

    def retention_of(self, run: Run) -> str:
        """What a finished run keeps (:data:`lib.toolkit.RETENTIONS`)."""
        return "every-epoch" if self.keeps_every_epoch(run) else self.retention

    @property
    def resumable(self) -> bool:
        """Whether autrainer can continue the runs when EPOCHS grows (only without a
        schedule), so they keep their last epoch's model, optimizer and scheduler states."""
        return self.settings.scheduler == "none" and self.retention != "none"

    def retain(self, profile: str, run: Run) -> None:
        """Delete the states a finished run does not keep (:func:`lib.toolkit.retain`)."""
        toolkit.retain(run_dir(profile, run), self.settings.epochs, self.retention_of(run),
                       self.stop, self.resumable)


def run_dir(profile: str, run: Run | str) -> Path:
    return toolkit.runs_dir(profile) / (run.name if isinstance(run, Run) else run)


def is_complete(profile: str, run: Run) -> bool:
    return toolkit.is_finished(run_dir(profile, run))


def epochs_done(folder: Path) -> list[int]:
    """Epochs a run has finished (their training outputs are saved), in order."""
    return [toolkit.epoch_number(d) for d in toolkit.epoch_dirs(folder)
            if (d / EPOCH_FILES[0]).is_file()]


def check_run(profile: str, run: Run, epochs: int, retention: str = "scored",
              stop: str = "best") -> None:
    """Fail with one line unless the run finished, kept every epoch's outputs and the model
    states ``retention`` keeps (:func:`lib.toolkit.kept_states`: ``every-epoch`` is what
    aucurriculum's scoring needs, ``scored`` what scoring, explanations and inference read)."""
    folder = run_dir(profile, run)
    where = paths.relative(folder)
    if not folder.is_dir():
        raise RunError(f"{where}: run folder missing (train it with notebooks/01_training)")
    if not (folder / toolkit.METRICS_FILE).is_file():
        raise RunError(f"{where}: run incomplete (no metrics.csv); re-run the training step")
    for epoch in range(1, epochs + 1):
        missing = [f for f in EPOCH_FILES if not (toolkit.epoch_dir(folder, epoch) / f).is_file()]
        if missing:
            raise RunError(f"{where}: epoch {epoch} outputs missing ({', '.join(missing)})")
    if not toolkit.best_record_file(folder).is_file():
        raise RunError(f"{where}: best-epoch record "
                       f"{toolkit.best_record_file(folder).relative_to(folder)} missing")
    for state in sorted(toolkit.kept_states(folder, epochs, retention, stop)):
        if not state.is_file():
            raise RunError(f"{where}: model state {state.relative_to(folder)} missing (deleted, "
                           "or kept under another retention); delete the run folder to train "
                           "it again")


class Progress:
    """Reads the run folders while autrainer (or aucurriculum) trains: a line per finished run
    (whose spare states it deletes at once), and a line per epoch at most every
    ``every`` seconds for long runs."""

    def __init__(self, profile: str, runs: list[Run], epochs: int,
                 log: Callable[[str], None], every: float = 30.0,
                 labels: dict[str, str] | None = None,
                 retain: Callable[[Run], None] | None = None) -> None:
        """``labels``: how to name runs by folder name, where their own label (dataset, model,
        seed) does not tell them apart; ``retain`` deletes a finished run's spare states."""
        self.profile, self.runs, self.epochs, self.log, self.every = \
            profile, runs, epochs, log, every
        self.labels = labels or {}
        self.retain = retain
        self.reported: set[str] = {r.name for r in runs if is_complete(profile, r)}
        self.epoch_seen: dict[str, int] = {}
        self.last_line = time.monotonic()

    def __call__(self) -> None:
        for run in self.runs:
            if run.name in self.reported:
                continue
            folder = run_dir(self.profile, run)
            if is_complete(self.profile, run):
                self.reported.add(run.name)
                if self.retain:  # at once: the sweep's peak disk is one run's
                    self.retain(run)
                seconds = train_seconds(folder)
                best = best_record(folder)
                self.log(f"[{len(self.reported)}/{len(self.runs)}] {self._label(run)}: "
                         f"{self.epochs} epochs in {seconds:.0f} s, best dev accuracy "
                         f"{best['accuracy']['all']:.3f} at epoch {best['iteration']}")
                self.last_line = time.monotonic()
                continue
            done = len(epochs_done(folder)) if folder.is_dir() else 0
            if done > self.epoch_seen.get(run.name, 0) and \
                    time.monotonic() - self.last_line >= self.every:
                self.log(f"    {self._label(run)}: epoch {done}/{self.epochs}")
                self.last_line = time.monotonic()
                self.epoch_seen[run.name] = done

    def _label(self, run: Run) -> str:
        return self.labels.get(run.name, run.label)


def best_record(folder: Path) -> dict[str, Any]:
    """autrainer's record of a run's best epoch (``_best/dev.yaml``): iteration and metrics."""
    return yaml.safe_load(toolkit.best_record_file(folder).read_text())


def train_seconds(folder: Path) -> float:
    """How long autrainer trained a run (its ``timer.yaml``)."""
    timer = yaml.safe_load((folder / "timer.yaml").read_text())
    return float(timer["train"]["total_seconds"])


def train_ensemble(profile: str, ensemble: Ensemble,
                   log: Callable[[str], None] = print, summarise: bool = True) -> list[Run]:
    """Train the ensemble's runs that are missing, then (``summarise``) aggregate all of them
    with ``autrainer postprocess`` like the paper; ensembles nobody reads tables of, such as
    the validation sweep's, skip that step (about 9 s on a CPU).

    Finished runs are never retrained unless their dataset has changed since (each run records
    the fingerprint of the data it saw). A run interrupted earlier (folder without
    ``metrics.csv``) is removed and trained again from its first epoch, as autrainer would.
    """
    disk.check_free_disk(profile, ensemble)
    with toolkit.exclusive(profile):
        return _train_missing(profile, ensemble, log, summarise)


def _missing(profile: str, ensemble: Ensemble, log: Callable[[str], None]) -> list[Run]:
    """The ensemble's runs to train: those never finished, and those trained on data that has
    changed since (removed, with any incomplete earlier attempt)."""
    runs = ensemble.runs
    now = {dataset: data_fingerprint(profile, dataset) for dataset in ensemble.datasets}
    for run in runs:
        record = run_dir(profile, run) / DATA_RECORD
        if is_complete(profile, run) and record.is_file() and \
                record.read_text() != now[run.dataset]:
            log(f"    {run.label}: trained on data that has changed since; training it again")
            shutil.rmtree(run_dir(profile, run))
    todo = [r for r in runs if not is_complete(profile, r)]
    for run in todo:
        if run_dir(profile, run).is_dir():
            log(f"    {run.label}: removing an incomplete earlier attempt")
            shutil.rmtree(run_dir(profile, run))
    return todo


def _finish(profile: str, ensemble: Ensemble) -> None:
    """Every run of the ensemble keeps only its states, is checked, and records its data."""
    now = {dataset: data_fingerprint(profile, dataset) for dataset in ensemble.datasets}
    for run in ensemble.runs:
        ensemble.retain(profile, run)
        check_run(profile, run, ensemble.settings.epochs, ensemble.retention_of(run), ensemble.stop)
        record = run_dir(profile, run) / DATA_RECORD
        if not record.is_file():
            record.write_text(now[run.dataset])


def _train_missing(profile: str, ensemble: Ensemble, log: Callable[[str], None],
                   summarise: bool) -> list[Run]:
    runs = ensemble.runs
    todo = _missing(profile, ensemble, log)
    log(f"{len(runs) - len(todo)} of {len(runs)} runs already trained; "
        f"training {len(todo)} on {toolkit.resolve_device(ensemble.settings.device)} "
        f"(logs: {paths.relative(paths.toolkit_dir(profile) / 'logs')}/train-*.log)")
    progress = Progress(profile, runs, ensemble.settings.epochs, log,
                        retain=lambda run: ensemble.retain(profile, run))
    # One sweep of every dataset per checkpoint policy (only the runs aucurriculum scores keep
    # every epoch's model state): a command's start is paid once, and a parallel launcher
    # runs all of them at once.
    datasets = list(dict.fromkeys(r.dataset for r in todo))
    for every_epoch in (True, False):
        group = [r for r in todo if ensemble.keeps_every_epoch(r) == every_epoch]
        if not group:
            continue
        seeds = {m: sorted({r.seed for r in group if r.model == m}) for m in ensemble.models}
        toolkit.write_training_config(
            profile, datasets, {m: s for m, s in seeds.items() if s}, ensemble.settings,
            ensemble.recorded, every_epoch, ensemble.launcher,
            wanted={(toolkit.dataset_id(r.dataset), r.model, r.seed) for r in group})
        name = datasets[0] if len(datasets) == 1 else "all"
        toolkit.train(profile, progress,
                      log_name=f"train-{name}" + ("" if every_epoch else "-best-last"),
                      launcher=ensemble.launcher, log=log)
    _finish(profile, ensemble)
    if summarise and (todo or not
                      (toolkit.experiment_dir(profile) / "summary" / toolkit.METRICS_FILE).is_file()):
        toolkit.postprocess(profile)
    return runs


def train_points(parent: str, points: Mapping[str, Ensemble],
                 log: Callable[[str], None] = print) -> None:
    """Train the missing runs of several points nested in profile ``parent`` (pruning or
    label-noise sweep points: one ensemble's settings, each point on its own copy of the data
    under :func:`lib.paths.dataset_dir`) in one ``autrainer train``, so a command's start is
    paid once, not once per point. The runs train in a shared folder
    (:func:`lib.paths.points_profile`), each point's data a dataset of its own there, and every
    finished run moves to its point's runs folder, under the name it has there, where
    everything else reads it. Points whose runs differ in more than their data, or that keep
    a reference run for aucurriculum, are trained one by one (:func:`train_ensemble`)."""
    shared_profile = paths.points_profile(parent)
    first = next(iter(points.values()), None)
    alike = all(replace(e, datasets=first.datasets) == first for e in points.values()) \
        if first else True
    if not alike or any(e.aucurriculum == "reference" for e in points.values()):
        for point, ensemble in points.items():
            train_ensemble(point, ensemble, log, summarise=False)
        return
    for point, ensemble in points.items():
        disk.check_free_disk(point, ensemble)
    with toolkit.exclusive(shared_profile):
        # (source id, model, seed) of the shared sweep -> (point, the run it is there)
        todo: dict[tuple[str, str, int], tuple[str, Run]] = {}
        given: dict[str, toolkit.Source] = {}
        for point, ensemble in points.items():
            with toolkit.exclusive(point):
                missing = _missing(point, ensemble, log)
            for run in missing:
                source = toolkit.Source(f"{toolkit.dataset_id(run.dataset)}-"
                                        f"{_point_tag(parent, point)}", run.dataset,
                                        paths.dataset_dir(point, run.dataset))
                given[source.id] = source
                todo[(source.id, run.model, run.seed)] = (point, run)
        total = sum(len(e.runs) for e in points.values())
        log(f"{total - len(todo)} of {total} runs of {len(points)} point(s) already trained; "
            f"training {len(todo)} in one autrainer sweep on "
            f"{toolkit.resolve_device(first.settings.device) if first else 'cpu'} (log: "
            f"{paths.relative(paths.toolkit_dir(shared_profile) / 'logs')}/train-points.log)")
        if todo:
            _train_shared(shared_profile, first, list(given.values()), todo, log)
    for point, ensemble in points.items():
        with toolkit.exclusive(point):
            _finish(point, ensemble)


def _point_tag(parent: str, point: str) -> str:
    """A point's profile below its parent as a dataset id part: ``prune-hardest10``."""
    return point.removeprefix(f"{parent}/").replace("/", "-")


def _train_shared(shared_profile: str, ensemble: Ensemble, given: list["toolkit.Source"],
                  todo: Mapping[tuple[str, str, int], tuple[str, Run]],
                  log: Callable[[str], None]) -> None:
    """One sweep of every (source, model, seed) in ``todo`` in ``shared_profile``; each
    finished run moves to its point's runs folder at once (so the sweep's peak disk stays one
    run's) and is then reported."""
    shared = {key: Run(run.dataset, run.model, run.seed,
                       toolkit.sweep_run_name(key[0], run.model, run.seed, ensemble.settings))
              for key, (point, run) in todo.items()}
    for run in shared.values():  # an attempt interrupted before
        shutil.rmtree(run_dir(shared_profile, run), ignore_errors=True)
    labels = {shared[key].name: f"{run.label}, {point.rsplit('/', 1)[-1]}"
              for key, (point, run) in todo.items()}
    progress = Progress(shared_profile, list(shared.values()), ensemble.settings.epochs, log,
                        labels=labels)

    def watch() -> None:
        progress()
        for key, (point, run) in todo.items():
            source = run_dir(shared_profile, shared[key])
            if shared[key].name in progress.reported and source.is_dir():
                target = run_dir(point, run)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(target, ignore_errors=True)
                source.rename(target)
                ensemble.retain(point, run)

    models = sorted({run.model for _, run in todo.values()}, key=ensemble.models.index)
    toolkit.write_training_config(
        shared_profile, given, {m: sorted({r.seed for _, r in todo.values() if r.model == m})
                                for m in models},
        ensemble.settings, ensemble.recorded, ensemble.aucurriculum == "all", ensemble.launcher,
        wanted=set(todo))
    toolkit.train(shared_profile, watch, log_name="train-points", launcher=ensemble.launcher,
                  log=log)


# --- Tables ------------------------------------------------------------------------------------

def run_metrics(profile: str, runs: list[Run]) -> pd.DataFrame:
    """One row per run: dev metrics at the best epoch, best epoch, test metrics, train time.

    Read from each run's own files (``_best/dev.yaml``, ``_test/test_holistic.yaml``), the
    same numbers ``autrainer postprocess`` puts in its ``summary/metrics.csv``.
    """
    rows = []
    for run in runs:
        folder = run_dir(profile, run)
        best = best_record(folder)
        test = yaml.safe_load(toolkit.test_record_file(folder).read_text())
        rows.append({"dataset": run.dataset, "model": run.model, "seed": run.seed,
                     **{f"dev_{m}": best[m]["all"] for m in METRICS},
                     "best_epoch": int(best["iteration"]),
                     **{f"test_{m}": test[m]["all"] for m in METRICS},
                     "train_seconds": train_seconds(folder), "run": run.name})
    return pd.DataFrame(rows)


def mean_std(metrics: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean ± std over seeds of every metric, grouped by ``by`` (sample std, as autrainer)."""
    columns = [c for c in metrics.columns if c.startswith(("dev_", "test_"))]
    grouped = metrics.groupby(by, sort=False)[columns]
    table = grouped.mean().join(grouped.std(), rsuffix="_std")
    table.insert(0, "runs", grouped.size())
    return table.reset_index()


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """Metrics as ``0.812 ± 0.014`` strings, for display."""
    out = table[[c for c in table.columns if not c.endswith("_std")]].copy()
    for column in out.columns:
        if f"{column}_std" in table:
            out[column] = [f"{m:.3f} ± {s:.3f}" if pd.notna(s) else f"{m:.3f}"
                           for m, s in zip(table[column], table[f"{column}_std"])]
    return out


def autrainer_aggregate(profile: str, runs: list[Run]) -> pd.DataFrame:
    """autrainer's aggregate over seeds and models (``..._#_..._#``) for these runs only.

    Its ``postprocess`` aggregates every run folder it finds, including runs of earlier
    parameter choices, so the rows are picked by this ensemble's aggregated names.
    """
    names = {"_".join([r.name.split("_")[0], "#", *r.name.split("_")[2:-1], "#"]) for r in runs}
    table = toolkit.aggregated_metrics(profile)
    return table[table["run_name"].isin(names)].reset_index(drop=True)


def _train_accuracy(folder: Path, epoch: int) -> float:
    outputs, targets, _ = toolkit.epoch_outputs_files(folder, epoch)
    return float(np.mean(np.load(outputs).argmax(1) == np.load(targets)))


def learning_curves(profile: str, runs: list[Run]) -> pd.DataFrame:
    """Per run and epoch: train/dev loss, dev metrics, and train accuracy.

    Train accuracy is computed from the outputs autrainer saved during each epoch
    (``train_outputs.npy``), i.e. on the fly while the weights moved, as is usual.
    """
    frames = []
    for run in runs:
        folder = run_dir(profile, run)
        curve = pd.read_csv(folder / toolkit.METRICS_FILE).rename(
            columns={"iteration": "epoch", **{m: f"dev_{m}" for m in METRICS}})
        curve["train_accuracy"] = [_train_accuracy(folder, epoch) for epoch in curve["epoch"]]
        curve.insert(0, "seed", run.seed)
        curve.insert(0, "model", run.model)
        curve.insert(0, "dataset", run.dataset)
        frames.append(curve)
    return pd.concat(frames, ignore_index=True)


def published_runs(datasets: list[str] | None = None) -> pd.DataFrame:
    """The paper's 12 runs, transcribed (``data/published/paper_training_runs.csv``).

    With ``datasets``, only the paper's datasets those stand in for (``OfflineKeywords`` ->
    ``SpeechCommands``), in that order.
    """
    table = pd.read_csv(paths.PUBLISHED / "paper_training_runs.csv")
    if datasets is None:
        return table
    wanted = list(dict.fromkeys(layout_of(d).paper_dataset for d in datasets
                                if layout_of(d).paper_dataset))
    table = table[table["dataset"].isin(wanted)]
    return table.sort_values("dataset", key=lambda c: c.map(wanted.index), kind="stable")


def on_paper_datasets(table: pd.DataFrame) -> pd.DataFrame:
    """A table of our runs with, beside each dataset, the paper's one it stands in for."""
    return table.assign(paper_dataset=table["dataset"].map(lambda d: layout_of(d).paper_dataset))


def save_tables(profile: str, metrics: pd.DataFrame, curves: pd.DataFrame) -> None:
    """The chapter's tables for readers of the results (:func:`lib.paths.runs_table`,
    :func:`lib.paths.learning_curves_table`)."""
    paths.training_dir(profile).mkdir(parents=True, exist_ok=True)
    metrics.to_csv(paths.runs_table(profile), index=False)
    curves.to_csv(paths.learning_curves_table(profile), index=False)


def key_numbers(metrics: pd.DataFrame, train_accuracy: dict[str, dict[str, float]]
                ) -> dict[str, Any]:
    """The training chapter's record (:class:`lib.record.Training`): runs, training time, test
    accuracy and training accuracy per dataset and model (means over seeds).

    ``train_accuracy`` is each run's best checkpoint on its training split (keyed by run name,
    see :func:`lib.classes.train_accuracy`)."""
    by_model = mean_std(metrics, ["dataset", "model"])
    summary = {Training.RUNS: len(metrics),
               Training.TRAIN_SECONDS: float(metrics["train_seconds"].sum()),
               Training.TEST_ACCURACY: {model_key(r.dataset, r.model):
                                        round(float(r.test_accuracy), 4)
                                        for r in by_model.itertuples()},
               Training.SEEDS: {model_key(r.dataset, r.model): int(r.runs)
                                for r in by_model.itertuples()},
               Training.TRAIN_ACCURACY: {}}
    for (dataset, model), group in metrics.groupby(["dataset", "model"], sort=False):
        records = [train_accuracy[name] for name in group["run"]]
        summary[Training.TRAIN_ACCURACY][model_key(dataset, model)] = {
            part: round(float(np.mean([r[part] for r in records])), 4) for part in records[0]}
    return summary



def chance_level(profile: str, run: Run) -> float:
    """The accuracy of guessing one of the run's classes at random: 1 / classes."""
    return 1 / len(toolkit.run_labels(run_dir(profile, run)))

