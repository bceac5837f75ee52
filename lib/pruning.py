"""What to do with a difficulty ordering: the training samples each pruning rule removes.

A rule takes the ensemble's ordering of the training split and a share, and names the samples
to drop before training again: the hardest, the easiest, a random subset with the class
balance of the split, the lowest label quality by cleanlab (the external baseline), or, on
the keyword set, exactly the mislabelled samples (the oracle, the ceiling). Only training samples
are ever removed, every class keeps samples, and ties in rank are broken by a hash of the
sample id, so a rule removes the same samples on every machine.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lib import (cleanlab_baseline, data, groundtruth, paths, profiles, retraining, scoring,
                 toolkit, training)
from lib.datasets import build_once, data_fingerprint, layout_of, read_split
from lib.difficulty import DifficultyError, by_rank, share_count
from lib.record import Pruning as Record

RULES = profiles.PRUNE_RULES
#: Rules that need a per-sample column beside the ordering.
NEEDS = {"cleanlab": "label_quality", "oracle": "mislabelled"}


class PruningError(ValueError):
    """A rule that cannot be applied as asked; one line naming the rule and the problem."""


def removed_count(samples: int, fraction: float) -> int:
    """How many of ``samples`` a share removes (rounded, at least one when the share is > 0)."""
    if not 0 <= fraction < 1:
        raise PruningError(f"pruning share must be in [0, 1), got {fraction}")
    return share_count(samples, fraction)


def removed(ordering: pd.DataFrame, rule: str, fraction: float, seed: int = 0) -> pd.Index:
    """The sample ids ``rule`` removes from a training split's ``ordering`` (a row per sample:
    ``sample_id``, ``label``, ``rank`` with 0 easiest; ``label_quality`` for cleanlab, lower is
    worse; ``mislabelled`` for the oracle, which removes exactly those and ignores ``fraction``).

    A rule never removes a class's last sample: it passes over it and takes the next in its
    order, so the share removed is exact and every class is still learned.
    """
    if rule not in RULES:
        raise PruningError(f"unknown pruning rule {rule!r}; known: {', '.join(RULES)}")
    if rule in NEEDS and NEEDS[rule] not in ordering:
        raise PruningError(f"pruning rule {rule} needs a {NEEDS[rule]!r} column per sample")
    if ordering["sample_id"].duplicated().any():
        raise PruningError("the ordering lists a sample twice: "
                           f"{ordering.loc[ordering['sample_id'].duplicated(), 'sample_id'].iloc[0]}")
    labels = ordering.set_index("sample_id")["label"].astype(str)
    count = removed_count(len(ordering), fraction)
    if count > len(labels) - labels.nunique():
        raise PruningError(f"pruning {fraction:.0%} of {len(labels)} samples would leave a "
                           f"class of the {labels.nunique()} without samples")
    if rule == "oracle":
        chosen = pd.Index(sorted(ordering.loc[ordering["mislabelled"].astype(bool), "sample_id"]))
        emptied = sorted(set(labels) - set(labels.drop(chosen)))
        if emptied:
            raise PruningError(f"pruning rule oracle would remove every training sample of "
                               f"class {emptied[0]!r}")
        return chosen
    if rule == "random":
        return _balanced_random(labels, count, seed)
    column, descending = {"hardest": ("rank", True), "easiest": ("rank", False),
                          "cleanlab": ("label_quality", False)}[rule]
    return _first_keeping_classes(by_rank(ordering, column, descending), labels, count)


def _first_keeping_classes(order: pd.Index, labels: pd.Series, count: int) -> pd.Index:
    """The first ``count`` ids of ``order``, passing over any that is its class's last."""
    left = labels.value_counts().to_dict()
    chosen = []
    for sample_id in order:
        if len(chosen) == count:
            break
        if left[labels[sample_id]] > 1:
            left[labels[sample_id]] -= 1
            chosen.append(sample_id)
    return pd.Index(chosen)


def _balanced_random(labels: pd.Series, count: int, seed: int) -> pd.Index:
    """``count`` samples at random with the split's class balance: each class gives its share
    (largest remainders first, ties by class name; never its last sample), drawn with
    ``seed``."""
    sizes = labels.value_counts().sort_index()
    exact = sizes / sizes.sum() * count
    per_class = np.minimum(np.floor(exact).astype(int), sizes - 1)
    turns = list((exact - per_class).sort_values(ascending=False, kind="stable").index)
    for turn in range(len(turns) * count):  # round the classes until the count is reached
        if per_class.sum() == count:
            break
        label = turns[turn % len(turns)]
        per_class[label] += int(per_class[label] < sizes[label] - 1)
    rng = np.random.default_rng(seed)
    chosen = []
    for label, take in per_class.items():
        members = sorted(labels.index[labels == label])
        chosen += list(rng.choice(members, size=int(take), replace=False)) if take else []
    return pd.Index(sorted(chosen))


def kept_split(split: pd.DataFrame, gone: pd.Index, id_column: str) -> pd.DataFrame:
    """A split's table (``train.csv``) without the removed samples, joined on the sample id;
    every removed id must be one of the split's."""
    unknown = gone.difference(pd.Index(split[id_column]))
    if len(unknown):
        raise PruningError(f"cannot remove {unknown[0]!r}: it is not a training sample")
    return split[~split[id_column].isin(gone)].reset_index(drop=True)


def pruned_copy(profile: str, point: str, dataset: str, gone: pd.Index,
                log: Callable[[str], None] = print) -> Path:
    """``dataset`` of ``profile`` without the ``gone`` training samples, as the dataset of the
    profile ``point``: ``train.csv`` (and a generated set's metadata) lose their rows, every
    other split table is the source's unchanged, and the audio and features are linked, not
    copied. Reused when built before from the same data and removals.

    In the DCASE layout autrainer carves the dev split from ``train.csv`` (by location), so a
    pruned copy's dev split is carved from what remains; the test split is never touched.
    """
    layout = layout_of(dataset)
    source, target = paths.dataset_dir(profile, dataset), paths.dataset_dir(point, dataset)
    gone = pd.Index(sorted(gone))
    fingerprint = hashlib.sha256(json.dumps(
        [data_fingerprint(profile, dataset), list(gone)]).encode()).hexdigest()[:16]

    def build(partial: Path) -> dict:
        train = read_split(source, layout, "train", as_text=True)
        kept_split(train, gone, layout.index_column).to_csv(partial / "train.csv", index=False)
        for split in layout.splits[1:]:
            (partial / f"{split}.csv").write_bytes((source / f"{split}.csv").read_bytes())
        if layout.metadata_file and (source / layout.metadata_file).is_file():
            metadata = pd.read_csv(source / layout.metadata_file, dtype=str,
                                   keep_default_na=False)
            metadata[~metadata[layout.index_column].isin(gone)].to_csv(
                partial / layout.metadata_file, index=False)
        for folder in ("default", toolkit.FEATURES):
            (partial / folder).symlink_to((source / folder).resolve(), target_is_directory=True)
        log(f"{dataset}: {paths.relative(target)}: {len(train) - len(gone)} of "
            f"{len(train)} rows of train.csv kept")
        return {"pruned_from": paths.relative(source), "removed": len(gone)}

    target.parent.mkdir(parents=True, exist_ok=True)
    return build_once(target, dataset, fingerprint, build, log=log)


def point_name(rule: str, fraction: float) -> str:
    """How a point is named in tables, figures and records: ``hardest 10%``, ``oracle 8%``."""
    return "unpruned" if rule == "none" else f"{rule} {fraction:.0%}"


def plan(rules: list[str], fractions: list[float]) -> list[tuple[str, float]]:
    """Every (rule, share) point to train: each rule at each share, the oracle once."""
    return [(rule, fraction) for rule in rules if rule != "oracle" for fraction in fractions] \
        + ([("oracle", 0.0)] if "oracle" in rules else [])


def applicable(candidates: pd.DataFrame, rules: list[str],
               log: Callable[[str], None] = print) -> list[str]:
    """The ``rules`` the candidates carry what they need for (the others named in one line)."""
    missing = [rule for rule in rules if rule in NEEDS and NEEDS[rule] not in candidates]
    if missing:
        log(f"skipping pruning rule(s) {', '.join(missing)}: no "
            f"{' / '.join(NEEDS[rule] for rule in missing)} per sample for this dataset")
    return [rule for rule in rules if rule not in missing]


@dataclass(frozen=True)
class Point(retraining.Point):
    """One trained pruning point (or the unpruned runs it is compared with)."""
    rule: str
    fraction: float
    removed: pd.Index        # sample ids left out of training

    def identity(self) -> dict[str, Any]:
        return {"rule": self.rule, "fraction": self.fraction, "removed": len(self.removed)}


def unpruned(profile: str, ensemble: training.Ensemble, dataset: str,
             seeds: list[int]) -> Point:
    """The main ensemble's runs of the same model and seeds: what each point is compared with."""
    try:
        runs = retraining.baseline(profile, ensemble, dataset, seeds)
    except retraining.RetrainingError as err:
        raise PruningError(f"pruning {err}") from None
    return Point(profile, runs, "none", 0.0, pd.Index([]))


def prepared_point(profile: str, ensemble: training.Ensemble, dataset: str,
                   candidates: pd.DataFrame, rule: str, fraction: float, seeds: list[int],
                   data_seed: int, log: Callable[[str], None] = print
                   ) -> tuple[Point, training.Ensemble]:
    """A point ready to train, and the ensemble that trains it: the first of the ensemble's
    models x ``seeds`` on ``dataset`` without what ``rule`` removes at ``fraction``
    (:func:`removed` on ``candidates``, the training split's ordering with the columns the
    rule needs), in a profile of its own (:func:`lib.paths.prune_profile`) holding the pruned
    copy, so a point is reused when nothing changed."""
    gone = removed(candidates, rule, fraction, seed=data_seed)
    point = paths.prune_profile(profile, rule, fraction)
    share = len(gone) / len(candidates) if rule == "oracle" else fraction
    log(f"pruning point: {dataset}, {point_name(rule, share)} ({len(gone)} samples removed; "
        f"{point})")
    with toolkit.exclusive(point):  # Curricula prepares the same copies as Pruning
        pruned_copy(profile, point, dataset, gone, log)
        _check_dev_carve(point, dataset, seeds, set(candidates["label"].astype(str)),
                         point_name(rule, share))
    small = retraining.small(ensemble, dataset, seeds)
    return Point(point, tuple(small.runs), rule, share, gone), small


def train_point(profile: str, ensemble: training.Ensemble, dataset: str,
                candidates: pd.DataFrame, rule: str, fraction: float, seeds: list[int],
                data_seed: int, log: Callable[[str], None] = print) -> Point:
    """One point (:func:`prepared_point`), trained through the real autrainer path."""
    point, small = prepared_point(profile, ensemble, dataset, candidates, rule, fraction, seeds,
                                  data_seed, log)
    training.train_points(profile, {point.profile: small}, log)
    return point


def _check_dev_carve(point: str, dataset: str, seeds: list[int], labels: set[str],
                     name: str) -> None:
    """Where autrainer carves dev from ``train.csv`` (the DCASE layout, by location and seeded
    by the run's seed), fail with one line when a run's carved training part of the pruned
    set would lack a class, before any training starts."""
    layout = layout_of(dataset)
    if "dev" in layout.splits:
        return
    for seed in seeds:
        carved = toolkit.load_dataset(point, dataset, seed=seed).df_train
        lost = sorted(labels - set(carved[layout.target_column].astype(str)))
        if lost:
            raise PruningError(f"{dataset}, {name}: autrainer's dev split (carved by location "
                               f"with seed {seed}) would leave no training sample of class "
                               f"{lost[0]!r}")


def prepared_points(profile: str, ensemble: training.Ensemble, dataset: str,
                    candidates: pd.DataFrame, rules: list[str], fractions: list[float],
                    seeds: list[int], data_seed: int, log: Callable[[str], None] = print
                    ) -> tuple[list[tuple[Point, training.Ensemble]], list[str]]:
    """Every point of :func:`plan` that the data allows, ready to train
    (:func:`prepared_point`); a point that cannot be built (its one-line reason returned and
    logged) does not stop the others."""
    prepared, skipped = [], []
    for rule, fraction in plan(applicable(candidates, rules, log), fractions):
        try:
            prepared.append(prepared_point(profile, ensemble, dataset, candidates, rule,
                                           fraction, seeds, data_seed, log))
        except PruningError as err:
            log(f"skipped: {err}")
            skipped.append(str(err))
    return prepared, skipped


def train_prepared(profile: str, prepared: list[tuple[Point, training.Ensemble]],
                   log: Callable[[str], None] = print) -> list[Point]:
    """The prepared points of every dataset, trained together in one autrainer sweep
    (:func:`lib.training.train_points`): one command's start for all of them. A rule and share
    is one nested profile for every dataset, so its ensembles are joined into one."""
    by_profile: dict[str, training.Ensemble] = {}
    for point, small in prepared:
        known = by_profile.get(point.profile)
        by_profile[point.profile] = small if known is None else replace(
            known, datasets=(*known.datasets, *small.datasets))
    training.train_points(profile, by_profile, log)
    return [point for point, _ in prepared]


# --- What the removed samples were ---------------------------------------------------------

#: The genuine training clips mixed below, and at or above, their median SNR.
LOW_SNR = "low-SNR genuine"
CLEAN = "clean genuine"
#: What a removed training sample can be, hardest to blame first: the injected kinds, then the
#: keyword set's genuine clips split at the median SNR (:func:`kinds_by_snr`), or a user's
#: genuine clips whole.
REMOVED_KINDS = (*groundtruth.INJECTED, LOW_SNR, CLEAN, groundtruth.GENUINE)


def removal_candidates(profile: str, dataset: str, with_cleanlab: bool = False,
                       log: Callable[[str], None] = print) -> pd.DataFrame:
    """The training split's ordering (``sample_id``, ``label``, ``rank``) with what the other
    rules need, joined on the sample id: ``label_quality`` from cleanlab on the network's
    out-of-fold probabilities (lower is worse; ``with_cleanlab``, when the Definitions chapter
    kept them), and ``mislabelled`` when the dataset records which samples carry a wrong label
    (:data:`lib.groundtruth.MISLABELLED`)."""
    table = scoring.read_ordering(profile, dataset)[["sample_id", "label", "rank"]]
    if with_cleanlab:
        labels = table.set_index("sample_id")["label"]
        try:
            quality = 1 - cleanlab_baseline.stored_network_cleanlab(profile, dataset,
                                                                    labels)["score"]
            table["label_quality"] = table["sample_id"].map(quality)
        except DifficultyError as err:
            log(f"{dataset}: no cleanlab label quality ({err})")
    kinds = data.sample_kinds(profile, dataset)
    if kinds is not None:
        table["mislabelled"] = table["sample_id"].map(kinds).isin(groundtruth.MISLABELLED)
    return table


def kinds_by_snr(profile: str, dataset: str) -> pd.Series | None:
    """Per training sample id, one of :data:`REMOVED_KINDS`: a genuine clip of the keyword set
    is low-SNR when mixed below the median SNR of the genuine training clips. None without
    ground truth."""
    table = data.samples(profile, dataset)
    kinds = data.kinds_in(table)
    if kinds is None:
        return None
    table = table.join(kinds)
    table = table[table["split"] == "train"]
    genuine = table["kind"] == groundtruth.GENUINE
    if "snr_db" not in table:  # a user's dataset: its genuine clips are one kind
        return table["kind"]
    median = table.loc[genuine, "snr_db"].median()
    result = table["kind"].copy()
    result[genuine & (table["snr_db"] < median)] = LOW_SNR
    result[genuine & (table["snr_db"] >= median)] = CLEAN
    return result


def composition(points: list[Point], kinds: pd.Series) -> pd.DataFrame:
    """How many of each point's removed samples were of each kind (a row per rule and share,
    a column per :data:`REMOVED_KINDS` the training split holds)."""
    held = [kind for kind in REMOVED_KINDS if kind in set(kinds)]
    return _by_point(points, lambda point: kinds.reindex(point.removed).value_counts()
                     .reindex(held, fill_value=0))


def removed_per_class(points: list[Point], labels: pd.Series) -> pd.DataFrame:
    """Share of each class's training samples each point removed (rows: rule and share;
    columns: classes), from ``labels`` per sample id."""
    sizes = labels.value_counts()
    return _by_point(points, lambda point: labels.reindex(point.removed).value_counts()
                     .reindex(sizes.index, fill_value=0) / sizes).sort_index(axis=1)


def recall_change(points: list[Point], baseline: Point) -> pd.DataFrame:
    """Mean test recall per class of each point minus the unpruned runs' (rows: rule and
    share; columns: classes): seeds averaged first, then compared."""
    base = baseline.recalls().groupby("label")["recall"].mean()
    return _by_point(points, lambda point: point.recalls().groupby("label")["recall"].mean()
                     - base).sort_index(axis=1)


def _by_point(points: list[Point], row: Callable[[Point], pd.Series]) -> pd.DataFrame:
    """A table with a row per point (indexed by rule and share) from ``row`` of each, its
    columns aligned by name."""
    rows = {(point.rule, point.fraction): row(point) for point in points}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(list(rows), names=["rule", "fraction"])
    return table


def accuracy_table(points: list[Point], baseline: Point) -> pd.DataFrame:
    """Test accuracy per rule and share against the unpruned runs of the same seeds
    (:func:`lib.retraining.accuracy_over_seeds`) and on the same test clips
    (:func:`lib.retraining.paired_clips`), the unpruned runs first."""
    base = baseline.metrics().set_index("seed")["test_accuracy"]
    return pd.DataFrame([{"rule": point.rule, "fraction": point.fraction,
                          "removed": len(point.removed),
                          **retraining.accuracy_over_seeds(point.metrics(), base),
                          **retraining.paired_clips(point, baseline)}
                         for point in [baseline, *points]])


def presented(table: pd.DataFrame) -> pd.DataFrame:
    """An :func:`accuracy_table` as the book shows it: a row per point, three decimals."""
    return pd.DataFrame({
        "point": [point_name(row.rule, row.fraction) for row in table.itertuples()],
        "removed": table["removed"], **retraining.shown_over_seeds(table),
    }).set_index("point")


# --- The chapter's record ---------------------------------------------------------------------

def _by_name(table: pd.DataFrame, row: Callable[[pd.Series], Any]) -> dict[str, Any]:
    """A table indexed by (rule, fraction) as a dict by point name."""
    return {point_name(rule, fraction): row(values)
            for (rule, fraction), values in table.iterrows()}


def key_numbers(model: str, seeds: list[int], skipped: dict[str, list[str]],
                tables: dict[str, pd.DataFrame], reseeded_accuracies: dict[str, pd.Series],
                compositions: dict[str, pd.DataFrame], removed_shares: dict[str, pd.DataFrame],
                recall_changes: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The pruning chapter's record (:class:`lib.record.Pruning`), per dataset of ``tables``
    (:func:`accuracy_table`, the unpruned runs first): ``reseeded_accuracies`` are the main
    ensemble's accuracies of ``model`` by seed (:func:`lib.retraining.reseeded`);
    ``compositions`` (:func:`composition`), ``removed_shares`` (:func:`removed_per_class`) and
    ``recall_changes`` (:func:`recall_change`) are there for the datasets that have them."""
    numbers: dict[str, Any] = {}
    for dataset, table in tables.items():
        entry: dict[str, Any] = {
            Record.MODEL: model, Record.SEEDS: seeds, Record.SKIPPED: skipped[dataset],
            Record.UNPRUNED: round(float(table["test_accuracy"].iloc[0]), 4),
            Record.SEED_SPREAD: round(retraining.seed_spread(reseeded_accuracies[dataset]), 4),
            Record.SPREAD_RUNS: len(reseeded_accuracies[dataset]),
            Record.POINTS: {point_name(row.rule, row.fraction): {
                Record.RULE: row.rule, Record.FRACTION: round(row.fraction, 4),
                Record.REMOVED: row.removed, Record.TEST_ACCURACY: round(row.test_accuracy, 4),
                Record.DIFFERENCE: round(row.difference, 4),
                Record.PAIRED_INTERVAL: [round(row.paired_low, 4), round(row.paired_high, 4)],
                Record.PAIRED_P: round(row.paired_p, 4),
                Record.MINUTES_PER_RUN: round(row.minutes_per_run, 2)}
                for row in table.iloc[1:].itertuples()}}
        if dataset in compositions:
            entry[Record.COMPOSITION] = _by_name(
                compositions[dataset], lambda row: {kind: int(n) for kind, n in row.items()})
        if dataset in removed_shares:
            entry[Record.MOST_REMOVED_CLASS] = _by_name(
                removed_shares[dataset], lambda row: [str(row.idxmax()), round(float(row.max()), 4)])
            entry[Record.RECALL_CHANGE] = _by_name(
                recall_changes[dataset],
                lambda row: {label: round(float(change), 4) for label, change in row.items()})
        numbers[dataset] = entry
    return numbers
