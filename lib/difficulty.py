"""Difficulty of training samples: ensemble scores joined per sample, ranks, training dynamics.

aucurriculum scores each run on its own (``scores.csv``: per sample, the number of checkpoints
that classified it correctly, ``sum``, out of ``count``). Its ensemble step then adds the runs'
columns by row position, which is only right when every run saw the same samples in the same
order. Here runs are joined on the sample's identity (its file path): a sample's ensemble score
uses exactly the runs that saw it, and ``runs`` says how many did.

The score is CumulativeAccuracy (higher = easier). Ranks are normalised to [0, 1] with
0 = easiest and 1 = hardest, ties sharing their average rank.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lib import paths
from lib.datasets import read_named_csv
from lib.record import Difficulty
from lib.significance import INTERVAL_LEVEL, Correlation

#: Columns every table of per-run scores must have (after renaming to our terms).
RUN_SCORE_COLUMNS = ("sample_id", "label", "sum", "count")
#: Columns aucurriculum writes after the dataset's own columns, in its ensemble files.
PUBLISHED_COLUMNS = ("index", "encoded", "decoded", "sum", "count", "mean", "ranks")


class DifficultyError(ValueError):
    """Scores cannot be computed or read; one line naming the file or run and the problem."""


class PositionJoinWarning(UserWarning):
    """A published ensemble file whose ``count`` varies: its runs were joined by row position."""


# --- Ranks ---------------------------------------------------------------------------------

def normalised_rank(score: pd.Series, higher_is_easier: bool = True) -> pd.Series:
    """Rank samples by difficulty on [0, 1]: 0 = easiest, 1 = hardest.

    Ties share their average rank, so the result does not depend on row order (aucurriculum
    breaks ties by row position; without ties the two agree exactly). A lone sample gets 0.
    """
    ranks = score.rank(ascending=not higher_is_easier, method="average")
    n = int(ranks.notna().sum())
    if n <= 1:
        return ranks * 0.0
    return (ranks - 1.0) / (n - 1.0)


# --- Per-run scores and the per-sample ensemble -------------------------------------------------

def read_run_scores(file: Path, id_column: str, label_column: str) -> pd.DataFrame:
    """One run's aucurriculum ``scores.csv`` as ``sample_id, label, sum, count``."""
    if not file.is_file():
        raise DifficultyError(f"{paths.relative(file)}: scores file missing")
    table = read_named_csv(file, (id_column, label_column))
    missing = [c for c in (id_column, label_column, "sum", "count") if c not in table]
    if missing:
        raise DifficultyError(f"{paths.relative(file)}: missing column {', '.join(missing)}")
    return table.rename(columns={id_column: "sample_id", label_column: "label"})[
        list(RUN_SCORE_COLUMNS)]


def join_runs(per_run: dict[str, pd.DataFrame], higher_is_easier: bool = True) -> pd.DataFrame:
    """Join runs' scores on the sample id; one row per sample seen by at least one run.

    Columns: ``sample_id, label, score_<run>...`` (each run's own score, empty where the run did
    not see the sample), ``sum, count`` (added over the runs that saw it), ``runs`` (how many),
    ``score`` (= sum / count, the ensemble CumulativeAccuracy) and ``rank``.
    """
    if not per_run:
        raise DifficultyError("empty ensemble: no runs to join")
    joined: pd.DataFrame | None = None
    for run, table in per_run.items():
        if table.empty:
            raise DifficultyError(f"run {run}: no scored samples")
        duplicated = table["sample_id"][table["sample_id"].duplicated()]
        if not duplicated.empty:
            raise DifficultyError(f"run {run}: sample {duplicated.iloc[0]!r} scored twice")
        part = table.set_index("sample_id")[["label", "sum", "count"]].add_suffix(f"@{run}")
        joined = part if joined is None else joined.join(part, how="outer")
    assert joined is not None
    runs = list(per_run)
    labels = joined[[f"label@{r}" for r in runs]]
    disagree = labels.nunique(axis=1, dropna=True) > 1
    if disagree.any():
        raise DifficultyError(f"sample {disagree.idxmax()!r} has different labels in different "
                              "runs; the runs were trained on different datasets")
    sums = joined[[f"sum@{r}" for r in runs]]
    counts = joined[[f"count@{r}" for r in runs]]
    out = pd.DataFrame({"label": labels.bfill(axis=1).iloc[:, 0]}, index=joined.index)
    for run in runs:
        out[f"score_{run}"] = joined[f"sum@{run}"] / joined[f"count@{run}"]
    out["sum"] = sums.sum(axis=1)
    out["count"] = counts.sum(axis=1).astype(int)
    out["runs"] = counts.notna().sum(axis=1)
    out["score"] = out["sum"] / out["count"]
    out["rank"] = normalised_rank(out["score"], higher_is_easier)
    out.index.name = "sample_id"
    return out.reset_index().sort_values("rank", kind="stable").reset_index(drop=True)


def run_columns(ordering: pd.DataFrame) -> list[str]:
    """The per-run score columns of an ordering, in order."""
    return [c for c in ordering.columns if c.startswith("score_")]


def group_scores(per_run: dict[str, pd.DataFrame],
                 groups: dict[str, list[str]]) -> pd.DataFrame:
    """Per sample (index), the ensemble score of each named group of runs (e.g. per model)."""
    return pd.DataFrame({name: join_runs({r: per_run[r] for r in runs}).set_index("sample_id")
                         ["score"] for name, runs in groups.items() if runs})


def rank_agreement(scores: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlation between every pair of score columns (over shared samples)."""
    return scores.corr(method="spearman", min_periods=3)


def convergence(per_run: dict[str, pd.DataFrame], orders: int = 20,
                seed: int = 0) -> pd.DataFrame:
    """How close the ensemble of k runs ranks to the full ensemble, k = 1..R.

    For ``orders`` random orders of the runs, the ensemble of the first k is compared with the
    ensemble of all R by Spearman correlation; returns k, mean, min and max over orders.
    """
    names = list(per_run)
    full = join_runs(per_run).set_index("sample_id")["score"]
    generator = np.random.default_rng(seed)
    rows = []
    for _ in range(orders):
        order = list(generator.permutation(names))
        for k in range(1, len(names) + 1):
            partial = join_runs({r: per_run[r] for r in order[:k]}).set_index("sample_id")["score"]
            rows.append({"runs": k, "spearman": partial.corr(full.reindex(partial.index),
                                                             method="spearman")})
    table = pd.DataFrame(rows).groupby("runs")["spearman"]
    return pd.DataFrame({"mean": table.mean(), "min": table.min(),
                         "max": table.max()}).reset_index()


def split_halves(per_run: dict[str, pd.DataFrame], splits: int = 20,
                 seed: int = 0) -> pd.DataFrame:
    """Spearman between the ensemble orderings of two disjoint halves of the runs, for
    ``splits`` random halvings (all distinct ones when there are fewer)."""
    names = sorted(per_run)
    if len(names) < 2:
        raise DifficultyError("split halves need at least two runs")
    generator = np.random.default_rng(seed)
    half = len(names) // 2
    seen, rows = set(), []
    for _ in range(splits * 5):
        first = tuple(sorted(generator.choice(names, size=half, replace=False)))
        second = tuple(sorted(set(names) - set(first)))[:half]
        key = frozenset([first, second])
        if key in seen:
            continue
        seen.add(key)
        a = join_runs({r: per_run[r] for r in first}).set_index("sample_id")["score"]
        b = join_runs({r: per_run[r] for r in second}).set_index("sample_id")["score"]
        rows.append({"first": " + ".join(first), "second": " + ".join(second),
                     "spearman": a.corr(b.reindex(a.index), method="spearman")})
        if len(rows) == splits:
            break
    return pd.DataFrame(rows)


def bootstrap_ranks(per_run: dict[str, pd.DataFrame], draws: int = 200, level: float = INTERVAL_LEVEL,
                    seed: int = 0) -> pd.DataFrame:
    """Each sample's rank interval when the runs are resampled with replacement.

    Per draw, R runs are drawn with replacement and their ensemble is ranked (0 easiest,
    1 hardest); returns per sample id the full ensemble's rank and the ``level`` interval.
    """
    names = sorted(per_run)
    generator = np.random.default_rng(seed)
    full = join_runs(per_run).set_index("sample_id")["rank"]
    draws_ranks = []
    for _ in range(draws):
        picked = generator.choice(names, size=len(names), replace=True)
        resampled = {f"{name}#{i}": per_run[name] for i, name in enumerate(picked)}
        draws_ranks.append(join_runs(resampled).set_index("sample_id")["rank"]
                           .reindex(full.index))
    table = pd.concat(draws_ranks, axis=1)
    tail = (1 - level) / 2
    result = pd.DataFrame({"rank": full, "low": table.quantile(tail, axis=1),
                           "high": table.quantile(1 - tail, axis=1)})
    result["width"] = result["high"] - result["low"]
    return result.rename_axis("sample_id").reset_index()


def attach(table: pd.DataFrame, per_sample: pd.Series | None) -> pd.DataFrame:
    """Add a per-sample column (a Series indexed by sample id) to a table, on the sample id."""
    if per_sample is None:
        return table
    return table.join(per_sample, on="sample_id")


def mean_rank_by(ordering: pd.DataFrame, column: str) -> pd.DataFrame:
    """Samples, mean score and mean rank per value of ``column`` (a class, a kind, an engine),
    hardest group first."""
    grouped = ordering.groupby(column)
    table = pd.DataFrame({"samples": grouped.size(), "mean_score": grouped["score"].mean(),
                          "mean_rank": grouped["rank"].mean()})
    return table.sort_values("mean_rank", ascending=False)


#: The share of an ordering the Difficulty chapter calls its hardest.
HARDEST_FRACTION = 0.1


@dataclass(frozen=True)
class HardestShare:
    """How many of an ordering's ``samples`` are flagged, and how many of them fall in its
    hardest ``hardest_size``; its fields are the keys of its record."""
    flagged: int
    in_hardest: int
    hardest_size: int
    samples: int

    @property
    def expected_by_chance(self) -> float:
        """Flagged samples a random hardest share of that size would hold on average."""
        return self.flagged * self.hardest_size / self.samples if self.samples else 0.0

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


def tie_key(sample_id: str) -> str:
    """The order of samples tied in rank: a hash of the sample id, the same on every machine
    and unrelated to the class folder a SpeechCommands id starts with (sorting tied ids by
    name would pick the classes in alphabetical order when many samples tie, as the easiest
    do once models have learned)."""
    return hashlib.sha256(sample_id.encode()).hexdigest()


def by_rank(ordering: pd.DataFrame, column: str = "rank", descending: bool = True
            ) -> pd.Index:
    """Sample ids ordered by ``column`` (hardest first by default), ties broken by
    :func:`tie_key`."""
    table = ordering[["sample_id", column]].assign(
        tie=ordering["sample_id"].astype(str).map(tie_key))
    table = table.sort_values([column, "tie"], ascending=[not descending, True], kind="stable")
    return pd.Index(table["sample_id"])


def share_count(samples: int, fraction: float) -> int:
    """How many of ``samples`` a share is: rounded, at least one when the share is > 0."""
    return 0 if fraction == 0 else max(1, int(round(fraction * samples)))


def hardest_ids(ordering: pd.DataFrame, fraction: float = HARDEST_FRACTION) -> pd.Index:
    """The hardest ``fraction`` of an ordering, the one definition every chapter uses: that
    share of its samples (rounded, at least one), highest rank first, ties broken by
    :func:`tie_key`: 60 of 600 at 10 %, whatever the ties (the pruning rule ``hardest``
    removes the same samples)."""
    return by_rank(ordering)[:share_count(len(ordering), fraction)]


def hardest_share(ordering: pd.DataFrame, flagged: pd.Series,
                  fraction: float = HARDEST_FRACTION) -> HardestShare:
    """How many flagged samples (by id) fall in the hardest ``fraction`` of the ordering
    (:func:`hardest_ids`)."""
    flagged_ids = set(flagged[flagged].index)
    hardest = ordering[ordering["sample_id"].isin(hardest_ids(ordering, fraction))]
    inside = int(hardest["sample_id"].isin(flagged_ids).sum())
    total = int(ordering["sample_id"].isin(flagged_ids).sum())
    return HardestShare(total, inside, len(hardest), len(ordering))


@dataclass
class OrderingChecks:
    """What the Difficulty chapter found about one dataset's ordering, filled in as it goes; a
    check that does not apply to the dataset (no second model, no ground truth) stays None."""
    ordering: pd.DataFrame
    #: The two models' orderings against each other.
    model_agreement: Correlation | None = None
    #: Mean Spearman with the whole ensemble by number of runs (:func:`convergence`).
    convergence: pd.DataFrame | None = None
    #: The largest difference of a sample's score between the scoring engine and aucurriculum.
    engine_difference: float | None = None
    logs_vs_checkpoints: Correlation | None = None
    rank_vs_snr: Correlation | None = None
    #: Per injected kind, how many of its samples fall among the hardest.
    hardest: dict[str, HardestShare] | None = None


def key_numbers(checks: dict[str, OrderingChecks], engine: str) -> dict[str, Any]:
    """The difficulty chapter's record (:class:`lib.record.Difficulty`), per dataset; a check
    left None has no entry. ``engine`` is the one aucurriculum's score was set against."""
    engine_key = (Difficulty.IN_TRAINING_VS_AUCURRICULUM if engine == "in-training"
                  else Difficulty.OURS_VS_AUCURRICULUM)
    numbers: dict[str, Any] = {}
    for dataset, found in checks.items():
        entry: dict[str, Any] = {Difficulty.SAMPLES: len(found.ordering)}
        if found.model_agreement is not None:
            entry[Difficulty.MODEL_AGREEMENT] = found.model_agreement.as_record()
        if found.convergence is not None:
            entry[Difficulty.CONVERGENCE] = (found.convergence.set_index("runs")["mean"]
                                             .round(4).to_dict())
        if found.engine_difference is not None:
            entry[engine_key] = float(found.engine_difference)
        if found.logs_vs_checkpoints is not None:
            entry[Difficulty.LOGS_VS_CHECKPOINTS] = found.logs_vs_checkpoints.as_record()
        if found.rank_vs_snr is not None:
            entry[Difficulty.RANK_VS_SNR] = found.rank_vs_snr.as_record()
        if found.hardest is not None:
            entry[Difficulty.HARDEST_FRACTION] = HARDEST_FRACTION
            entry[Difficulty.HARDEST] = {kind: share.as_record()
                                         for kind, share in found.hardest.items()}
        numbers[dataset] = entry
    return numbers


# --- Training dynamics ------------------------------------------------------------------------

@dataclass(frozen=True)
class EpochOutputs:
    """What one epoch of training saw, per sample: its id, the probability the model gave its
    true class, and whether the prediction was right."""

    epoch: int
    sample_id: np.ndarray
    true_probability: np.ndarray
    correct: np.ndarray


def epoch_outputs(epoch: int, sample_ids: np.ndarray, logits: np.ndarray,
                  targets: np.ndarray) -> EpochOutputs:
    """From autrainer's saved logits and targets (rows in the order the batches came)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    rows = np.arange(len(targets))
    return EpochOutputs(epoch, np.asarray(sample_ids),
                        probabilities[rows, targets], logits.argmax(axis=1) == targets)


def dynamics(epochs: list[EpochOutputs], stop_epoch: int | None = None) -> pd.DataFrame:
    """Per-sample training dynamics of one run, joined across epochs on the sample id.

    - ``confidence``, ``variability``: mean and std of the true-class probability over epochs
      (the axes of a data map, Swayamdipta et al. 2020); ``correctness``: share of epochs right.
    - ``forgetting_events``: times a sample went from right to wrong between consecutive epochs
      (Toneva et al. 2019); ``never_learned``: never right.
    - ``cumulative_accuracy``: share of epochs 1..``stop_epoch`` right (all epochs if None), the
      score aucurriculum computes, but from the predictions made during training.
    - ``loss``: the mean cross-entropy of the true class over epochs (-log p).
    - ``learned_from``: the first epoch from which the sample is right at every later epoch
      (the last epoch + 1 when it is wrong at the last one).
    """
    if not epochs:
        raise DifficultyError("no epoch outputs to compute training dynamics from")
    ordered = sorted(epochs, key=lambda e: e.epoch)
    probability = pd.concat([pd.Series(e.true_probability, index=e.sample_id, name=e.epoch)
                             for e in ordered], axis=1)
    correct = pd.concat([pd.Series(e.correct.astype(float), index=e.sample_id, name=e.epoch)
                         for e in ordered], axis=1)
    stop = ordered[-1].epoch if stop_epoch is None else stop_epoch
    right_then_wrong = (correct.shift(1, axis=1) == 1.0) & (correct == 0.0)
    wrong_then_or_later = (correct != 1.0).iloc[:, ::-1].cummax(axis=1).iloc[:, ::-1]
    stays_right = ~wrong_then_or_later
    learned_from = stays_right.idxmax(axis=1).where(stays_right.any(axis=1),
                                                    ordered[-1].epoch + 1)
    table = pd.DataFrame({
        "confidence": probability.mean(axis=1),
        "variability": probability.std(axis=1, ddof=0),
        "correctness": correct.mean(axis=1),
        "forgetting_events": right_then_wrong.sum(axis=1).astype(int),
        "never_learned": correct.max(axis=1) == 0.0,
        "cumulative_accuracy": correct.loc[:, [e for e in correct.columns if e <= stop]]
        .mean(axis=1),
        "loss": -np.log(probability.clip(lower=1e-12)).mean(axis=1),
        "learned_from": learned_from.astype(int),
        "epochs": correct.notna().sum(axis=1),
    })
    table.index.name = "sample_id"
    return table.reset_index()


def _up_to(epochs: list[EpochOutputs], stop_epoch: int) -> list[EpochOutputs]:
    kept = sorted((e for e in epochs if e.epoch <= stop_epoch), key=lambda e: e.epoch)
    if not kept:
        raise DifficultyError(f"no epoch outputs up to epoch {stop_epoch}")
    return kept


def first_iteration(epochs: list[EpochOutputs], stop_epoch: int) -> pd.Series:
    """aucurriculum's FirstIteration per sample id, from per-epoch correctness: the share of
    the epochs 1..``stop_epoch`` before the sample is right for good (0: right from the first
    epoch on, 1: wrong at the last; higher = harder)."""
    kept = _up_to(epochs, stop_epoch)
    correct = pd.concat([pd.Series(e.correct, index=e.sample_id) for e in kept], axis=1)
    right_to_the_end = correct.iloc[:, ::-1].cumprod(axis=1).sum(axis=1)
    return ((len(kept) - right_to_the_end) / len(kept)).rename_axis("sample_id")


def true_class_loss(epochs: list[EpochOutputs], stop_epoch: int) -> pd.Series:
    """aucurriculum's CELoss per sample id: the cross-entropy of the true class, -log p, of the
    model at ``stop_epoch`` (higher = harder)."""
    last = _up_to(epochs, stop_epoch)[-1]
    loss = -np.log(np.clip(last.true_probability.astype(float), 1e-45, None))
    return pd.Series(loss, index=last.sample_id).rename_axis("sample_id")


def mean_over_runs(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per sample, the runs' dynamics (``per_run``: a row per sample and run) averaged
    (``never_learned``: in every run)."""
    grouped = per_run.groupby("sample_id")
    table = grouped[["confidence", "variability", "correctness", "forgetting_events",
                     "cumulative_accuracy", "loss", "learned_from"]].mean()
    table["never_learned"] = grouped["never_learned"].all()
    table["runs"] = grouped.size()
    return table.reset_index()


# --- Published ensemble files -------------------------------------------------------------

def read_published(file: Path) -> pd.DataFrame:
    """An aucurriculum ensemble score CSV (the format the paper published) as our table.

    Header: ``index,<id column>,<label column>,<metadata...>,encoded,decoded,sum,count,mean,
    ranks``. Returns ``sample_id, label, score, count, rank`` plus the metadata columns, and
    warns (:class:`PositionJoinWarning`) when ``count`` is not the same for every sample: in
    aucurriculum's ensembles that means runs of different lengths were added by row position,
    so some samples' scores mix different samples.
    """
    file = Path(file)
    try:
        table = read_named_csv(file, ("decoded",))
    except pd.errors.EmptyDataError:
        raise DifficultyError(f"{paths.relative(file)}: empty file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DifficultyError(f"{paths.relative(file)}: not a CSV file ({error})") from None
    missing = [c for c in PUBLISHED_COLUMNS if c not in table]
    if missing:
        raise DifficultyError(f"{paths.relative(file)}: missing column {', '.join(missing)}")
    if table.empty:
        raise DifficultyError(f"{paths.relative(file)}: no samples")
    id_column = table.columns[1]
    if id_column in PUBLISHED_COLUMNS:
        raise DifficultyError(f"{paths.relative(file)}: no sample id column after 'index'")
    if not table["ranks"].between(0.0, 1.0).all():
        raise DifficultyError(
            f"{paths.relative(file)}: column ranks has values outside [0, 1]")
    duplicated = table[id_column][table[id_column].duplicated()]
    if not duplicated.empty:
        raise DifficultyError(
            f"{paths.relative(file)}: sample {duplicated.iloc[0]!r} appears twice")
    counts = table["count"].value_counts()
    if len(counts) > 1:
        warnings.warn(f"{paths.relative(file)}: 'count' differs between samples "
                      f"({_count_summary(counts)}); its runs were joined by row position, "
                      "so these scores mix samples",
                      PositionJoinWarning, stacklevel=2)
    metadata = [c for c in table.columns[2:] if c not in PUBLISHED_COLUMNS]
    out = pd.DataFrame({"sample_id": table[id_column], "label": table["decoded"],
                        "score": table["mean"], "count": table["count"], "rank": table["ranks"]})
    return pd.concat([out, table[metadata].drop(columns=[table.columns[2]], errors="ignore")],
                     axis=1)


def _count_summary(counts: pd.Series) -> str:
    return ", ".join(f"{n} samples with count {value:g}" for value, n in counts.items())
