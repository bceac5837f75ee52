"""Training with an ordering: curricula through aucurriculum, and training on one end only.

A curriculum presents the training split in an order. Each epoch draws its batches from the
share of the split its pacing function allows: the easiest share (curriculum), the hardest
(anti-curriculum) or the first share of a random order (random curriculum), until the whole
split is drawn. The runs are aucurriculum's own curriculum training (``aucurriculum train``)
of the profile's first model with the main runs' settings, in a profile of their own
(:func:`lib.paths.curriculum_profile`), so a point is reused when nothing changed. An
ordering reaches aucurriculum as its Predefined scores: written from a definition's ensemble
ordering in the row order of the dataset as aucurriculum loads it, ties broken by a hash of
the sample id, and checked against the ranks aucurriculum read back, joined on the sample id.
Training on the easiest or the hardest share alone (inclusion) is a pruning point of the
rest (:mod:`lib.pruning`), reusing its machinery and its copies.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from lib import definitions, difficulty, paths, pruning, retraining, toolkit, training
from lib.datasets import data_fingerprint, layout_of
from lib.profiles import (BEST_DEFINITION, CONTROL_DEFINITION, CURRICULUM_SAMPLINGS,
                          CURRICULUM_SCHEDULES, PACINGS)
from lib.record import Curricula as Record
from lib.training import Ensemble, Run

SCHEDULES = CURRICULUM_SCHEDULES
#: The comparison of every point: the main ensemble's runs, trained without a curriculum.
NONE = "none"
#: How the book names a schedule.
SCHEDULE_NAMES = {"curriculum": "curriculum", "anti": "anti-curriculum",
                  "random": "random curriculum", NONE: "no curriculum"}


class CurriculumError(ValueError):
    """A curriculum that cannot be trained as asked; one line naming the parameter or file."""


# --- Pacing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pacing:
    """How much of the ordering each epoch may draw from (aucurriculum's pacing function and
    sampling)."""
    function: str
    initial_size: float
    final_iteration: float
    sampling: str

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Pacing":
        return cls(values["CURRICULUM_PACING"], float(values["CURRICULUM_INITIAL_SIZE"]),
                   float(values["CURRICULUM_FINAL_ITERATION"]), values["CURRICULUM_SAMPLING"])

    @property
    def name(self) -> str:
        """``Linear from 20 % to all at 50 % of the epochs``."""
        return (f"{self.function} from {self.initial_size:.0%} of the split to all of it at "
                f"{self.final_iteration:.0%} of the epochs, {self.sampling} sampling")

    def sizes(self, samples: int, epochs: int) -> list[int]:
        """Samples each epoch draws from (aucurriculum's own pacing function)."""
        if self.function not in PACINGS:
            raise CurriculumError(f"CURRICULUM_PACING {self.function!r} is not one of "
                                  f"aucurriculum's: {', '.join(PACINGS)}")
        try:
            return toolkit.pace_sizes(self.function, self.initial_size, self.final_iteration,
                                      epochs, samples)
        except ValueError as err:
            raise CurriculumError(f"CURRICULUM_INITIAL_SIZE / CURRICULUM_FINAL_ITERATION: "
                                  f"{err}") from None

    def drawn(self, labels: pd.Series, epochs: int) -> list[int]:
        """Samples each epoch's batches hold: :meth:`sizes` taken as aucurriculum's sampling
        takes them from the split's ``labels`` (Balanced: as many per class, at most a class's
        own; Original: each class its share, rounded)."""
        counts = labels.value_counts()
        drawn = []
        for size in self.sizes(len(labels), epochs):
            if size >= len(labels) or self.sampling == "Unbalanced":
                drawn.append(min(size, len(labels)))
            elif self.sampling == "Balanced":
                drawn.append(int(np.minimum(counts, size // len(counts)).sum()))
            else:
                drawn.append(int(np.minimum(counts, (counts / len(labels) * size).round()
                                            .astype(int)).sum()))
        return drawn

    def steps(self, labels: pd.Series, epochs: int, batch_size: int) -> int:
        """Optimiser steps of a paced run (each epoch's last batch may be partial)."""
        return sum(-(-n // batch_size) for n in self.drawn(labels, epochs))

    def check(self, samples: int, classes: int, epochs: int) -> list[int]:
        """:meth:`sizes`, failing with one line where the first epoch would draw nothing of a
        class (aucurriculum would stop only once training has started)."""
        if self.sampling not in CURRICULUM_SAMPLINGS:
            raise CurriculumError(f"CURRICULUM_SAMPLING {self.sampling!r} is not one of "
                                  f"{', '.join(CURRICULUM_SAMPLINGS)}")
        sizes = self.sizes(samples, epochs)
        least = sizes[0] // classes if self.sampling == "Balanced" else sizes[0]
        if least < 1:
            raise CurriculumError(
                f"CURRICULUM_INITIAL_SIZE {self.initial_size} gives the first epoch {sizes[0]} "
                f"of {samples} training samples: "
                + (f"fewer than one per class of the {classes} under Balanced sampling"
                   if self.sampling == "Balanced" else "none at all"))
        return sizes


# --- Orderings --------------------------------------------------------------------------------

def resolve(profile: str, dataset: str, names: list[str],
            log: Callable[[str], None] = print) -> list[str]:
    """The definitions CURRICULUM_ORDERINGS names on ``dataset``, ``best`` replaced by the
    definition the Definitions chapter found best at finding flipped labels there (skipped,
    in one line, where the dataset has no ground truth); each once."""
    resolved = []
    for name in names:
        if name == BEST_DEFINITION:
            best = definitions.best(profile, dataset)
            if best is None:
                log(f"{dataset}: no ground truth, so no best definition; 'best' skipped")
                continue
            name = best
        if name not in resolved:
            resolved.append(name)
    return resolved


def harder(profile: str, dataset: str, definition: str) -> pd.Series:
    """A definition's ensemble score per sample id, higher = harder (Definitions chapter)."""
    try:
        return definitions.stored(profile, dataset, definition).ensemble()
    except definitions.DefinitionError as err:
        raise CurriculumError(str(err)) from None


def presented(score: pd.Series, split: pd.DataFrame, id_column: str,
              log: Callable[[str], None] = print) -> pd.DataFrame:
    """An ordering as Predefined reads it: a row per sample of ``split`` (the training split
    as aucurriculum loads it) in its row order, its ``sample_id`` and its position from
    easiest (0) to hardest, no two alike (ties broken by :func:`lib.difficulty.tie_key`, so the
    row order decides nothing). A sample the ordering lacks (DCASE: in the runs' dev carves
    only) is placed at the median score, in one logged line."""
    ids = split[id_column].astype(str)
    score = score.copy()
    score.index = score.index.astype(str)
    missing = ids[~ids.isin(score.index)]
    if len(missing):
        log(f"{len(missing)} of {len(ids)} training samples have no score in this ordering "
            f"(e.g. {missing.iloc[0]}); they are placed at its median")
        score = pd.concat([score, pd.Series(score.median(), index=missing.to_numpy())])
    table = pd.DataFrame({"sample_id": ids.to_numpy(), "score": score.reindex(ids).to_numpy()})
    table["tie"] = table["sample_id"].map(difficulty.tie_key)
    order = table.sort_values(["score", "tie"], kind="stable").index
    position = pd.Series(np.arange(len(table)), index=order).sort_index()
    return pd.DataFrame({"sample_id": table["sample_id"],
                         toolkit.PRESENTED_COLUMN: position.to_numpy()})


def _unchanged(table: pd.DataFrame, file: Path) -> bool:
    return file.is_file() and pd.read_csv(file, dtype={"sample_id": str}).equals(table)


def _write(table: pd.DataFrame, file: Path) -> None:
    """Write ``table`` to ``file`` atomically."""
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    table.to_csv(partial, index=False)
    partial.replace(file)


def check_read_back(profile: str, dataset: str, scoring_id: str, table: pd.DataFrame,
                    kind: str = "Predefined") -> None:
    """The ranks aucurriculum computed from a presented ordering, joined on the sample id,
    must put the samples in the presented order; one line naming the file otherwise."""
    layout = layout_of(dataset)
    file = toolkit.scores_dir(profile, kind, "train") / f"{scoring_id}.csv"
    if not file.is_file():
        raise CurriculumError(f"{paths.relative(file)}: aucurriculum wrote no ordering; see "
                              f"{paths.relative(paths.toolkit_dir(profile) / 'logs')}")
    back = pd.read_csv(file, dtype={layout.index_column: str})
    ranks = back.set_index(layout.index_column)["ranks"]
    ours = table.set_index("sample_id")[toolkit.PRESENTED_COLUMN]
    if set(ranks.index) != set(ours.index) or \
            not (ranks.reindex(ours.index).rank().to_numpy() == ours.rank().to_numpy()).all():
        raise CurriculumError(f"{paths.relative(file)}: aucurriculum's ranks do not follow the "
                              "presented ordering sample by sample")


# --- Points -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Point(retraining.Point):
    """One schedule of one ordering, trained with some seeds (or the runs without one)."""
    schedule: str            # lib.profiles.CURRICULUM_SCHEDULES, or NONE
    ordering: str            # the definition presented; "" for the random and none

    @property
    def name(self) -> str:
        """``curriculum (CELoss)``, ``random curriculum``, ``no curriculum``."""
        schedule = SCHEDULE_NAMES[self.schedule]
        return f"{schedule} ({self.ordering})" if self.ordering else schedule

    def identity(self) -> dict[str, Any]:
        return {"point": self.name, "schedule": self.schedule, "ordering": self.ordering}


def points_to_train(orderings: list[str], schedules: list[str]) -> list[tuple[str, str]]:
    """Every (schedule, ordering) to train: curriculum and anti of each ordering, the random
    curriculum once (its order does not depend on the ordering)."""
    wanted = [(s, o) for o in orderings for s in schedules if s != "random"]
    return wanted + ([("random", "")] if "random" in schedules else [])


def _link_data(profile: str, nested: str, dataset: str) -> None:
    """The curriculum profile's dataset: a link to the parent's (the same clips, features
    and splits)."""
    link = paths.dataset_dir(nested, dataset)
    if link.is_symlink() or link.exists():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(paths.dataset_dir(profile, dataset).resolve(), target_is_directory=True)


def _forget_if_data_changed(profile: str, nested: str, dataset: str,
                            log: Callable[[str], None]) -> None:
    """Remove the curriculum profile's scores and runs of ``dataset`` when its data has
    changed since they were made (aucurriculum would reuse them)."""
    now = data_fingerprint(profile, dataset)
    stamp = paths.results_dir(nested) / f"{dataset}_{training.DATA_RECORD}"
    if stamp.is_file() and stamp.read_text() != now:
        log(f"{dataset}: the data changed since the curriculum runs; training them again")
        prefix, scores = toolkit.dataset_id(dataset), toolkit.experiment_dir(nested) / "curriculum"
        for folder in [*toolkit.runs_dir(nested).glob(f"{prefix}_*"),
                       *scores.glob(f"*/{prefix}_*")]:
            shutil.rmtree(folder)
        for ordering in scores.glob(f"*/*{dataset}.csv"):
            ordering.unlink()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(now)


def _forget_runs_of(nested: str, dataset: str, ordering: str, file: Path) -> None:
    """A changed ordering: the runs that trained with it, then aucurriculum's scores of it,
    go (it would reuse them)."""
    config = scoring_id(ordering, dataset)
    for run in toolkit.runs_dir(nested).glob(f"*_{config}_*"):
        shutil.rmtree(run)
    (toolkit.scores_dir(nested, "Predefined", "train") / f"{config}.csv").unlink(missing_ok=True)
    folder = toolkit.predefined_run_dir(nested, file, dataset)
    if folder.is_dir():
        shutil.rmtree(folder)


def scoring_id(ordering: str, dataset: str) -> str:
    """The Predefined (or Random) config id a curriculum run's name carries."""
    return toolkit.score_id(ordering or CONTROL_DEFINITION, dataset)


def present(profile: str, ensemble: Ensemble, orderings: Mapping[str, list[str]],
            random_order: bool, log: Callable[[str], None] = print
            ) -> dict[str, dict[str, pd.DataFrame]]:
    """Hand each dataset's orderings (and Random's) to aucurriculum in the curriculum profile:
    write each presented ordering, score them all with Predefined (Random with seed 0) in one
    ``aucurriculum curriculum`` command where anything changed, and check what it read back.
    Returns the presented tables by dataset and ordering."""
    nested = paths.curriculum_profile(profile)
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    configs: dict[str, tuple[str, dict[str, Any]]] = {}
    for dataset, names in orderings.items():
        _link_data(profile, nested, dataset)
        _forget_if_data_changed(profile, nested, dataset, log)
        toolkit.write_dataset_configs(nested, [dataset], toolkit.CURRICULUM_DEV_SPLIT_SEED)
        split = toolkit.training_split(nested, dataset)
        tables[dataset] = {}
        for ordering in names:
            table = presented(harder(profile, dataset, ordering), split,
                              layout_of(dataset).index_column, log)
            file = paths.presented_ordering_file(nested, dataset, ordering)
            if not _unchanged(table, file):
                _forget_runs_of(nested, dataset, ordering, file)
                _write(table, file)
            tables[dataset][ordering] = table
            configs[scoring_id(ordering, dataset)] = ("Predefined",
                                                      toolkit.predefined_settings(file, dataset))
        if random_order:
            configs[scoring_id("", dataset)] = (CONTROL_DEFINITION,
                                                toolkit.random_settings(dataset, 0, "train"))
    done = [toolkit.scores_dir(nested, kind, "train") / f"{config}.csv"
            for config, (kind, _) in configs.items()]
    if not all(file.is_file() for file in done):
        log(f"handing {len(configs)} ordering(s) to aucurriculum ({', '.join(configs)})")
        with toolkit.exclusive(nested):
            toolkit.score_configs(nested, "train", configs, ensemble.settings.device,
                                  ensemble.settings.batch_size, launcher=ensemble.launcher, log=log)
    for dataset, by_ordering in tables.items():
        for ordering, table in by_ordering.items():
            check_read_back(nested, dataset, scoring_id(ordering, dataset), table)
    return tables


def curriculum_runs(profile: str, ensemble: Ensemble, dataset: str, schedule: str,
                    ordering: str, seeds: list[int], pacing: Pacing) -> tuple[Run, ...]:
    """The runs of one point, in aucurriculum's naming."""
    model = ensemble.models[0]
    return tuple(Run(dataset, model, seed, toolkit.curriculum_run_name(
        dataset, model, seed, ensemble.settings, schedule, scoring_id(ordering, dataset), pacing))
        for seed in seeds)


def baseline(profile: str, ensemble: Ensemble, dataset: str, seeds: list[int]) -> Point:
    """The main ensemble's runs of the first model and the same seeds (its training without a
    curriculum), which every point is paired with."""
    try:
        runs = retraining.baseline(profile, ensemble, dataset, seeds)
    except retraining.RetrainingError as err:
        raise CurriculumError(f"CURRICULUM_SEEDS: {err}") from None
    return Point(profile, runs, NONE, "")


def train(profile: str, ensemble: Ensemble, orderings: Mapping[str, list[str]],
          schedules: list[str], pacing: Pacing, seeds: list[int],
          log: Callable[[str], None] = print) -> dict[str, list[Point]]:
    """Train every point of :func:`points_to_train` of each dataset's ``orderings`` that is
    missing, all datasets in one ``aucurriculum train`` sweep, and return them all by
    dataset."""
    for schedule in schedules:
        if schedule not in SCHEDULES:
            raise CurriculumError(f"CURRICULUM_SCHEDULES: unknown schedule {schedule!r}; "
                                  f"known: {', '.join(SCHEDULES)}")
    labels = {dataset: split_labels(profile, dataset) for dataset in orderings}
    for split in labels.values():
        pacing.check(len(split), split.nunique(), ensemble.settings.epochs)
    wanted = {dataset: points_to_train(names, schedules) for dataset, names in orderings.items()}
    present(profile, ensemble, {d: [o for _, o in pairs if o] for d, pairs in wanted.items()},
            "random" in schedules, log)
    nested = paths.curriculum_profile(profile)
    points = {dataset: [Point(nested, curriculum_runs(profile, ensemble, dataset, schedule,
                                                      ordering, seeds, pacing),
                              schedule, ordering)
                        for schedule, ordering in pairs] for dataset, pairs in wanted.items()}
    runs = [run for by_dataset in points.values() for point in by_dataset for run in point.runs]
    todo = [run for run in runs if not training.is_complete(nested, run)]
    log(f"{len(runs) - len(todo)} of {len(runs)} curriculum runs already trained; "
        f"training {len(todo)} ({pacing.name})")
    if todo:
        for run in todo:
            if training.run_dir(nested, run).is_dir():
                shutil.rmtree(training.run_dir(nested, run))
        with toolkit.exclusive(nested):
            toolkit.write_curriculum_config(
                nested, ensemble.models[0],
                {d: [(s, scoring_id(o, d)) for s, o in pairs] for d, pairs in wanted.items()},
                seeds, ensemble.settings, pacing,
                {d: pacing.steps(split, ensemble.settings.epochs, ensemble.settings.batch_size)
                 for d, split in labels.items()}, ensemble.launcher)
            names = {run.name: f"{run.dataset} {run.model} seed {run.seed}, {point.name}"
                     for by_dataset in points.values() for point in by_dataset
                     for run in point.runs}
            progress = training.Progress(nested, runs, ensemble.settings.epochs, log,
                                         labels=names)
            toolkit.train_curricula(nested, progress, ensemble.launcher, log)
    for run in runs:
        if not training.is_complete(nested, run):
            raise CurriculumError(f"{paths.relative(training.run_dir(nested, run))}: "
                                  "aucurriculum did not finish this run; see "
                                  f"{paths.relative(paths.toolkit_dir(nested) / 'logs')}")
        toolkit.retain(training.run_dir(nested, run), ensemble.settings.epochs, "none")
    return points


def inclusion_points(profile: str, ensemble: Ensemble, dataset: str, shares: list[float],
                     seeds: list[int], data_seed: int, log: Callable[[str], None] = print
                     ) -> list[pruning.Point]:
    """Training on the easiest or the hardest ``share`` alone: the pruning points that remove
    the hardest or the easiest rest (the Difficulty chapter's ordering), the same runs as the
    pruning chapter's where it trains that point; one that cannot be built is skipped in one
    logged line."""
    candidates = pruning.removal_candidates(profile, dataset, log=log)
    prepared = []
    for share in shares:
        for rule in ("hardest", "easiest"):
            try:
                prepared.append(pruning.prepared_point(profile, ensemble, dataset, candidates,
                                                       rule, round(1 - share, 4), seeds,
                                                       data_seed, log))
            except pruning.PruningError as err:
                log(f"skipped: {err}")
    if prepared:  # all in one autrainer sweep
        training.train_points(profile, {point.profile: small for point, small in prepared}, log)
    return [point for point, _ in prepared]


def inclusion_name(point: pruning.Point) -> str:
    """``easiest 50% only``: what an inclusion point trained on."""
    kept = "easiest" if point.rule == "hardest" else "hardest"
    return f"{kept} {1 - point.fraction:.0%} only"


# --- What the runs did ------------------------------------------------------------------------

def accuracy_table(points: list[Point], comparison: Point,
                   inclusion: list[pruning.Point] = ()) -> pd.DataFrame:
    """Test accuracy per point against the runs without a curriculum of the same seeds
    (:func:`lib.retraining.accuracy_over_seeds`) and on the same test clips
    (:func:`lib.retraining.paired_clips`), those runs first; an inclusion point names the
    pruning point whose runs it is (``same_as``)."""
    base = comparison.metrics().set_index("seed")["test_accuracy"]
    named = [(point.name, point.schedule, point.ordering, point, "")
             for point in [comparison, *points]]
    named += [(inclusion_name(point), "inclusion", "CumulativeAccuracy", point,
               pruning.point_name(point.rule, point.fraction)) for point in inclusion]
    return pd.DataFrame([{"point": name, "schedule": schedule, "ordering": ordering,
                          "same_as": same_as,
                          **retraining.accuracy_over_seeds(point.metrics(), base),
                          **retraining.paired_clips(point, comparison)}
                         for name, schedule, ordering, point, same_as in named])


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """An :func:`accuracy_table` as the book shows it."""
    return pd.DataFrame({"point": table["point"], **retraining.shown_over_seeds(table)}
                        ).set_index("point")


def learning_curves(points: list[Point]) -> pd.DataFrame:
    """Dev accuracy per epoch of every run of every point (``point``, ``seed``, ``epoch``,
    ``dev_accuracy``, ``train_accuracy``)."""
    return pd.concat([training.learning_curves(point.profile, list(point.runs))
                      .assign(point=point.name, schedule=point.schedule)
                      for point in points], ignore_index=True)


def drawn_and_fitted(profile: str, run: Run) -> pd.DataFrame:
    """Per training sample id of a run: the first epoch whose batches drew it (``entered``)
    and the first epoch in which the model, training on it, predicted its label (``fitted``;
    train mode, the training augmentation on), NaN for never; from autrainer's saved outputs
    of every epoch, joined on the sample id through the run's own split."""
    folder = training.run_dir(profile, run)
    ids = toolkit.run_split_table(folder, "train")[layout_of(run.dataset).index_column]
    ids = ids.astype(str).to_numpy()
    entered = pd.Series(np.nan, index=ids)
    fitted = pd.Series(np.nan, index=ids)
    for epoch in training.epochs_done(folder):
        logits, targets, positions = (np.load(f) for f in toolkit.epoch_outputs_files(folder,
                                                                                      epoch))
        seen = pd.Index(ids[positions])
        right = pd.Index(ids[positions[logits.argmax(axis=1) == targets]])
        entered[seen[entered.reindex(seen).isna().to_numpy()]] = epoch
        fitted[right[fitted.reindex(right).isna().to_numpy()]] = epoch
    return pd.DataFrame({"entered": entered, "fitted": fitted}).rename_axis("sample_id")


def entry_by_kind(points: list[Point], kinds: pd.Series) -> pd.DataFrame:
    """Per point and kind of training sample (:data:`lib.pruning.REMOVED_KINDS`): the mean
    epoch it first entered training (a sample never drawn counts as one epoch after the last),
    the mean epoch it was first fitted over the samples that were (NaN where none was: a
    never-fitted sample has no epoch to average), and the share fitted by the last epoch; each
    over the point's seeds."""
    rows = []
    for point in points:
        for run in point.runs:
            table = drawn_and_fitted(point.profile, run).join(kinds.rename("kind"), how="inner")
            last = len(training.epochs_done(training.run_dir(point.profile, run)))
            for kind, part in table.groupby("kind"):
                rows.append({"point": point.name, "seed": run.seed, "kind": kind,
                             "entered": part["entered"].fillna(last + 1).mean(),
                             "fitted": part["fitted"].mean(),
                             "fitted_share": part["fitted"].notna().mean()})
    return (pd.DataFrame(rows).groupby(["point", "kind"], sort=False)
            [["entered", "fitted", "fitted_share"]].mean().reset_index())


def test_probabilities(profile: str, run: Run) -> pd.DataFrame:
    """The best model's class probabilities on the test split (a row per sample id, a column
    per class index), from autrainer's saved test outputs, with the label index as ``target``."""
    folder = training.run_dir(profile, run)
    ids = toolkit.run_split_table(folder, "test")[layout_of(run.dataset).index_column]
    logits, targets, positions = (np.load(file) for file in toolkit.test_outputs_files(folder))
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    table = pd.DataFrame(shifted / shifted.sum(axis=1, keepdims=True),
                         index=ids.astype(str).to_numpy()[positions])
    return table.assign(target=targets).rename_axis("sample_id")


def fused_accuracy(members: list[tuple[str, Run]]) -> float:
    """Test accuracy of the late fusion of several runs (their probabilities averaged per test
    sample, joined on the sample id)."""
    tables = [test_probabilities(profile, run) for profile, run in members]
    targets = tables[0]["target"]
    mean = sum(t.drop(columns="target").reindex(targets.index) for t in tables) / len(tables)
    return float((mean.to_numpy().argmax(axis=1) == targets.to_numpy()).mean())


def fusion(profile: str, ensemble: Ensemble, dataset: str, points: list[Point]
           ) -> dict[str, Any]:
    """Late fusion of the curriculum, anti- and random-curriculum models of the first ordering
    and one seed, against as many of the main ensemble's runs of the same model (all it has,
    if fewer; the seeds of the points first); with several seeds, the mean over them."""
    first = next((p.ordering for p in points if p.ordering), "")
    fused = [p for p in points if p.ordering in (first, "")]
    seeds = sorted({run.seed for p in fused for run in p.runs})
    per_seed = [[(p.profile, run) for p in fused for run in p.runs if run.seed == seed]
                for seed in seeds]
    if not per_seed or len(per_seed[0]) < 2:
        return {}
    main = {run.seed: run for run in retraining.reseeded_runs(ensemble, dataset)}
    order = list(dict.fromkeys([*seeds, *ensemble.seeds_of(ensemble.models[0])]))
    others = [(profile, main[seed]) for seed in order if seed in main][:len(per_seed[0])]
    return {Record.FUSED_ORDERING: first, Record.FUSED_MODELS: len(per_seed[0]),
            Record.FUSED_SEEDS: len(seeds),
            Record.FUSED_ACCURACY: round(float(np.mean([fused_accuracy(members)
                                                        for members in per_seed])), 4),
            Record.BASELINE_MODELS: len(others),
            Record.BASELINE_ACCURACY: round(fused_accuracy(others), 4)}


def split_labels(profile: str, dataset: str) -> pd.Series:
    """The label of every sample of the training split as the curriculum runs see it."""
    split = toolkit.training_split(profile, dataset)
    return split[layout_of(dataset).target_column].astype(str)


def training_samples(profile: str, dataset: str) -> int:
    """The training split's size as the curriculum runs see it."""
    return len(split_labels(profile, dataset))


def sample_epochs_share(pacing: Pacing, samples: int, epochs: int) -> float:
    """The share of a full run's sample-epochs a paced run trains on."""
    return sum(pacing.sizes(samples, epochs)) / (samples * epochs)


# --- The chapter's record ---------------------------------------------------------------------

def key_numbers(model: str, seeds: list[int], pacing: Pacing,
                orderings: dict[str, list[str]], tables: dict[str, pd.DataFrame],
                reseeded: dict[str, pd.Series], fusions: dict[str, dict[str, Any]],
                entries: dict[str, pd.DataFrame], shares: dict[str, float],
                test_clips: dict[str, int]) -> dict[str, Any]:
    """The curricula chapter's record (:class:`lib.record.Curricula`) per dataset of
    ``tables`` (:func:`accuracy_table`, the runs without a curriculum first)."""
    numbers: dict[str, Any] = {}
    for dataset, table in tables.items():
        spread = retraining.seed_spread(reseeded[dataset])
        entry: dict[str, Any] = {
            Record.MODEL: model, Record.SEEDS: seeds, Record.PACING: pacing.name,
            Record.SAMPLE_EPOCHS: round(shares[dataset], 4),
            Record.ORDERINGS: orderings[dataset],
            Record.WITHOUT: round(float(table["test_accuracy"].iloc[0]), 4),
            Record.SEED_SPREAD: round(spread, 4), Record.SPREAD_RUNS: len(reseeded[dataset]),
            Record.YARDSTICK: retraining.yardstick(spread, len(seeds), test_clips[dataset]),
            Record.POINTS: {row.point: {
                Record.SCHEDULE: row.schedule, Record.ORDERING: row.ordering,
                Record.TEST_ACCURACY: round(row.test_accuracy, 4),
                Record.LOW: round(row.low, 4), Record.HIGH: round(row.high, 4),
                Record.DIFFERENCE: round(row.difference, 4),
                Record.PAIRED_INTERVAL: [round(row.paired_low, 4), round(row.paired_high, 4)],
                Record.PAIRED_P: round(row.paired_p, 4),
                Record.MINUTES_PER_RUN: round(row.minutes_per_run, 2),
                **({Record.SAME_AS: row.same_as} if row.same_as else {})}
                for row in table.iloc[1:].itertuples()},
            Record.FUSION: fusions.get(dataset, {})}
        if dataset in entries:
            entry[Record.ENTRY] = {
                point: {row.kind: {Record.ENTERED: round(row.entered, 2),
                                   Record.FITTED: (round(row.fitted, 2)
                                                   if row.fitted == row.fitted else None),
                                   Record.FITTED_SHARE: round(row.fitted_share, 4)}
                        for row in part.itertuples()}
                for point, part in entries[dataset].groupby("point", sort=False)}
        numbers[dataset] = entry
    return numbers
