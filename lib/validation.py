"""How far a difficulty score can be trusted: detection of known-bad samples, and stability.

The keyword set knows which training samples carry a flipped label and which hold no speech.
A score that measures difficulty should rank those as hard: that is a detection problem, judged
here by AUROC, average precision and precision at k (k = the number injected). Stability asks
how much an ordering depends on which runs made it. Every per-sample input is a Series indexed
by sample id, and every function aligns on that index, never on row order.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from lib import data, difficulty, keywords, paths, scoring, significance, toolkit, training
from lib.datasets import LAYOUTS
from lib.difficulty import DifficultyError, join_runs

#: The scores compared, each oriented so that higher = harder: name -> (column, sign).
SCORES = {
    "CumulativeAccuracy (aucurriculum)": ("score", -1),
    "CumulativeAccuracy (dynamics log)": ("cumulative_accuracy", -1),
    "mean confidence": ("confidence", -1),
    "variability": ("variability", 1),
    "forgetting events": ("forgetting_events", 1),
    "per-sample loss": ("loss", 1),
    "learned for good from epoch": ("learned_from", 1),
}
#: The same dynamics from the in-training records: eval mode, each epoch's final weights
#: (the forward passes aucurriculum's CumulativeAccuracy counts), when the runs have them.
EVAL_SCORES = {
    "mean confidence (eval mode)": ("confidence", -1),
    "variability (eval mode)": ("variability", 1),
    "forgetting events (eval mode)": ("forgetting_events", 1),
    "learned for good from epoch (eval mode)": ("learned_from", 1),
}


def _aligned(score: pd.Series, truth: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Score and truth of the samples both know, as arrays (truth as bool)."""
    joined = pd.concat({"score": score, "truth": truth}, axis=1, join="inner").dropna()
    if joined.empty:
        raise DifficultyError("score and ground truth share no sample ids")
    return joined["score"].to_numpy(float), joined["truth"].to_numpy(bool)


def auroc(score: pd.Series, truth: pd.Series) -> float:
    """Probability that a flagged sample scores higher (harder) than an unflagged one, ties
    counting half (Mann-Whitney U / (n_pos n_neg)): 1 perfect, 0.5 chance, 0 reversed."""
    return _auroc(*_aligned(score, truth))


def _auroc(values: np.ndarray, flagged: np.ndarray) -> float:
    positives, negatives = int(flagged.sum()), int((~flagged).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = stats.rankdata(values)
    u = ranks[flagged].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def auroc_interval(score: pd.Series, truth: pd.Series, draws: int = 1000, level: float = 0.9,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUROC, resampling flagged and unflagged samples
    separately (so every draw keeps the injected count).

    With a handful of injected samples an AUROC moves by tenths from one draw of the data to
    the next; the interval says which differences between scores are worth reading.
    """
    values, flagged = _aligned(score, truth)
    positives, negatives = values[flagged], values[~flagged]
    if not len(positives) or not len(negatives):
        return float("nan"), float("nan")
    generator = np.random.default_rng(seed)
    mask = np.r_[np.ones(len(positives), bool), np.zeros(len(negatives), bool)]
    estimates = [_auroc(np.r_[generator.choice(positives, len(positives)),
                              generator.choice(negatives, len(negatives))], mask)
                 for _ in range(draws)]
    low, high = np.quantile(estimates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def average_precision(score: pd.Series, truth: pd.Series) -> float:
    """Mean precision at the rank of each flagged sample, hardest first; tied scores share
    the precision of their whole tied group (so a constant score gets the base rate)."""
    values, flagged = _aligned(score, truth)
    if not flagged.any():
        return float("nan")
    order = np.argsort(-values, kind="stable")
    values, flagged = values[order], flagged[order]
    precisions = []
    seen = hits = 0
    for value in np.unique(values)[::-1]:
        group = values == value
        seen += int(group.sum())
        hits += int(flagged[group].sum())
        precisions += [hits / seen] * int(flagged[group].sum())
    return float(np.mean(precisions))


def precision_at_k(score: pd.Series, truth: pd.Series, k: int | None = None) -> float:
    """Share of flagged samples among the k hardest (k = the number flagged by default);
    a tie at the cut-off counts the tied group's expected share."""
    values, flagged = _aligned(score, truth)
    k = int(flagged.sum()) if k is None else k
    if k <= 0:
        return float("nan")
    threshold = np.sort(values)[::-1][k - 1]
    above = values > threshold
    at = values == threshold
    expected = flagged[above].sum() + (k - above.sum()) * flagged[at].mean()
    return float(expected / k)


def roc_curve(score: pd.Series, truth: pd.Series) -> pd.DataFrame:
    """False and true positive rates at every threshold, hardest first (ties move together)."""
    values, flagged = _aligned(score, truth)
    thresholds = np.unique(values)[::-1]
    positives, negatives = max(int(flagged.sum()), 1), max(int((~flagged).sum()), 1)
    rows = [{"threshold": np.inf, "fpr": 0.0, "tpr": 0.0}]
    for threshold in thresholds:
        chosen = values >= threshold
        rows.append({"threshold": threshold, "fpr": (chosen & ~flagged).sum() / negatives,
                     "tpr": (chosen & flagged).sum() / positives})
    return pd.DataFrame(rows)


def detection(scores: pd.DataFrame, truth: pd.Series, draws: int = 1000,
              level: float = 0.9) -> pd.DataFrame:
    """AUROC (with its ``level`` bootstrap interval over ``draws`` resamplings), average
    precision and precision at k of each column of ``scores`` (higher = harder, indexed by
    sample id) for the flagged samples of ``truth``."""
    rows = []
    for name in scores.columns:
        flagged = truth.reindex(scores[name].dropna().index).fillna(False).astype(bool)
        low, high = auroc_interval(scores[name], truth, draws, level)
        rows.append({"score": name, "auroc": auroc(scores[name], truth),
                     "auroc_low": low, "auroc_high": high,
                     "average_precision": average_precision(scores[name], truth),
                     "precision_at_k": precision_at_k(scores[name], truth),
                     "k": int(flagged.sum()), "base_rate": float(flagged.mean())})
    return pd.DataFrame(rows)


def presented(table: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """A :func:`detection` table as the book shows it: the interval beside its AUROC, short
    headers, three decimals (narrow enough for the page)."""
    return pd.DataFrame({
        "score": table["score"],
        f"AUROC [{level:.0%} interval]": [f"{row.auroc:.3f} [{row.auroc_low:.2f}, "
                                           f"{row.auroc_high:.2f}]" for row in table.itertuples()],
        "average precision": table["average_precision"].map("{:.3f}".format),
        "precision at k": table["precision_at_k"].map("{:.3f}".format),
        "base rate": table["base_rate"].map("{:.3f}".format)}).set_index("score")


def verdict(table: pd.DataFrame, flag: str, level: float = 0.9) -> str:
    """One sentence on a :func:`detection` table: which scores find the flagged samples, which
    rank them easier, and which cannot be told from chance at this many samples."""
    above = table[table["auroc_low"] > 0.5].sort_values("auroc", ascending=False)
    below = table[table["auroc_high"] < 0.5].sort_values("auroc")
    parts = [f"With {int(table['k'].iloc[0])} {flag} samples the {level:.0%} AUROC intervals "
             f"are {(table['auroc_high'] - table['auroc_low']).median():.2f} wide (median)."]

    def listed(rows: pd.DataFrame) -> str:
        return "; ".join(f"{row.score} ({row.auroc:.2f}, {row.auroc_low:.2f}–{row.auroc_high:.2f})"
                         for row in rows.itertuples())

    if len(above):
        parts.append(f"Better than chance: {listed(above)}.")
    if len(below):
        parts.append(f"Ranking them as *easier* than the rest: {listed(below)}.")
    if not len(above) and not len(below):
        parts.append("No score can be told from chance here.")
    elif len(above) + len(below) < len(table):
        parts.append("The other scores cannot be told from chance here.")
    return " ".join(parts)


# --- Stability -------------------------------------------------------------------------------

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


def bootstrap_ranks(per_run: dict[str, pd.DataFrame], draws: int = 200, level: float = 0.9,
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


# --- The keyword set's ground truth and the scores to judge ----------------------------------

def training_truth(profile: str, dataset: str) -> pd.DataFrame:
    """Per training sample id: its label, injected flags and covariates (SNR, engine, voice)."""
    table = data.samples(profile, dataset)
    table = table[table["split"] == "train"]
    if keywords.FLIPPED_COLUMN not in table:
        raise DifficultyError(f"{dataset} records no ground truth (no metadata.csv with "
                              f"{keywords.FLIPPED_COLUMN}); validation needs the offline "
                              "keyword set")
    table = table.rename(columns={LAYOUTS[dataset].target_column: "label"})
    for column in keywords.INJECTED.values():
        table[column] = table[column].astype(bool)
    return table


def sample_scores(profile: str, ensemble: training.Ensemble, stop: str,
                  dataset: str) -> pd.DataFrame:
    """Every score of :data:`SCORES` per training sample id, oriented higher = harder.

    CumulativeAccuracy comes from the scored ordering; the others from the runs' training
    dynamics up to their ``stop`` epoch, recomputed from autrainer's saved epoch outputs and
    averaged over runs.
    """
    dynamics = pd.concat([scoring.run_dynamics(profile, run, ensemble.epochs, stop)
                          for run in ensemble.runs_of(dataset)])
    per_sample = difficulty.mean_over_runs(dynamics).set_index("sample_id")
    per_sample = per_sample.join(scoring.read_ordering(profile, dataset)
                                 .set_index("sample_id")[["score"]], how="outer")
    table = pd.DataFrame({name: sign * per_sample[column]
                          for name, (column, sign) in SCORES.items()})
    if ensemble.recorded != "train":
        return table
    recorded = difficulty.mean_over_runs(pd.concat([
        scoring.run_eval_dynamics(profile, run, ensemble.epochs, stop)
        for run in ensemble.runs_of(dataset)])).set_index("sample_id")
    for name, (column, sign) in EVAL_SCORES.items():
        table[name] = sign * recorded[column]
    return table


def eval_against_train(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Each dynamic in eval mode (records) against train mode (training logs): the Spearman
    correlation of the two over samples (with n and p), and each one's AUROC for every
    injected kind."""
    rows = []
    for name in EVAL_SCORES:
        train_mode = name.removesuffix(" (eval mode)")
        correlation = significance.spearman(scores[name], scores[train_mode])
        row = {"dynamic": train_mode, "spearman": correlation.rho, "n": correlation.n,
               "p": correlation.p}
        for flag, column in keywords.INJECTED.items():
            if truth[column].any():
                row[f"auroc {flag}, train mode"] = auroc(scores[train_mode], truth[column])
                row[f"auroc {flag}, eval mode"] = auroc(scores[name], truth[column])
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_features(profile: str, dataset: str, sample_ids: pd.Index) -> np.ndarray:
    """Per sample: the mean and standard deviation of each mel band over time (2 x 64 values),
    a model-free description for the cleanlab baseline's probe."""
    rows = []
    for sample_id in sample_ids:
        features = np.load(toolkit.features_file(profile, dataset, sample_id)).reshape(-1, 64)
        rows.append(np.concatenate([features.mean(axis=0), features.std(axis=0)]))
    return np.asarray(rows)


def out_of_sample_probabilities(features: np.ndarray, labels: pd.Series, folds: int,
                                seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Class probabilities for every sample from a probe that never saw it: a standardised
    logistic regression, ``folds``-fold cross-validated and stratified by class."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classes = sorted(labels.unique())
    smallest = int(labels.value_counts().min())
    if smallest < folds:
        raise DifficultyError(f"class {labels.value_counts().idxmin()!r} has {smallest} training "
                              f"samples, fewer than CLEANLAB_FOLDS={folds}")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    probabilities = cross_val_predict(
        probe, features, labels.map(classes.index).to_numpy(),
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed), method="predict_proba")
    return probabilities, classes


def cleanlab_scores(labels: pd.Series, probabilities: np.ndarray,
                    classes: list[str]) -> pd.DataFrame:
    """cleanlab's label-issue detection per sample id: ``label_issue`` (its
    ``find_label_issues``) and ``score`` = 1 - label quality (higher = more likely an issue)."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    encoded = labels.map(classes.index).to_numpy()
    return pd.DataFrame({
        "score": 1 - get_label_quality_scores(encoded, probabilities),
        "label_issue": find_label_issues(encoded, probabilities),
    }, index=labels.index)


# --- Covariates ----------------------------------------------------------------------------

def snr_bins(rank: pd.Series, snr_db: pd.Series, bins: int = 5) -> pd.DataFrame:
    """Mean rank (and its standard error) of the samples in each SNR quantile bin."""
    joined = pd.concat({"rank": rank, "snr_db": snr_db}, axis=1, join="inner").dropna()
    joined["bin"] = pd.qcut(joined["snr_db"], bins, duplicates="drop")
    grouped = joined.groupby("bin", observed=True)
    return pd.DataFrame({"snr_db": grouped["snr_db"].median(),
                         "mean_rank": grouped["rank"].mean(),
                         "sem": grouped["rank"].sem(), "samples": grouped.size()}).reset_index()


def confusion(predictions: list[pd.DataFrame]) -> pd.DataFrame:
    """Share of each true class (rows) predicted as each class (columns), pooled over the runs'
    predictions (``sample_id, label, predicted`` tables)."""
    pooled = pd.concat(predictions, ignore_index=True)
    counts = pd.crosstab(pooled["label"], pooled["predicted"])
    classes = sorted(set(counts.index) | set(counts.columns))
    counts = counts.reindex(index=classes, columns=classes, fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0)


def confused_pairs(matrix: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The ``top`` off-diagonal (true, predicted) pairs by share."""
    pairs = matrix.stack().rename("share").rename_axis(["true", "predicted"]).reset_index()
    pairs = pairs[pairs["true"] != pairs["predicted"]]
    return pairs.sort_values("share", ascending=False).head(top).reset_index(drop=True)


# --- The label-noise sweep ---------------------------------------------------------------

def cleanlab_for(profile: str, dataset: str, labels: pd.Series, folds: int) -> pd.DataFrame:
    """cleanlab's scores for a dataset's training samples (``labels`` by sample id), from an
    out-of-sample probe on their pooled features."""
    probabilities, names = out_of_sample_probabilities(
        pooled_features(profile, dataset, labels.index), labels, folds)
    return cleanlab_scores(labels, probabilities, names)


def sweep_point(profile: str, ensemble: training.Ensemble, scorer: scoring.Scoring,
                flip_fraction: float, seeds: list[int], data_seed: int, folds: int,
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """Detection of the flipped labels by every score on the profile's keyword set relabelled
    with ``flip_fraction`` of them (same audio, drawn with ``data_seed``), from its own small
    ensemble: the first of the ensemble's models x ``seeds``, on the keyword set only.

    The point is a profile nested in the parent's folders (:func:`paths.sweep_profile`), so
    its labels, runs and scores are reused when nothing changed, like the main ensemble's.
    """
    point = paths.sweep_profile(profile, flip_fraction)
    small = replace(ensemble, datasets=("OfflineKeywords",), models=ensemble.models[:1],
                    seeds=tuple(seeds), seeds_by_model=())
    log(f"sweep point: {flip_fraction:.0%} flipped labels ({point})")
    keywords.relabelled(paths.dataset_dir(profile, "OfflineKeywords"),
                        paths.dataset_dir(point, "OfflineKeywords"), flip_fraction,
                        data_seed, log)
    training.train_ensemble(point, small, log, summarise=False)
    scoring.score_ensemble(point, small, scorer, log)
    truth = training_truth(point, "OfflineKeywords")
    scores = sample_scores(point, small, scorer.stop, "OfflineKeywords")
    cleanlab = cleanlab_for(point, "OfflineKeywords", truth["label"], folds)
    scores["cleanlab (label quality)"] = cleanlab["score"]
    table = detection(scores, truth[keywords.FLIPPED_COLUMN])
    return table.assign(flip_fraction=flip_fraction,
                        flagged_by_cleanlab=float(cleanlab["label_issue"].mean()))


def modes_finding(modes: pd.DataFrame) -> str:
    """What :func:`eval_against_train`'s table says, in words, from its numbers."""
    sentences = []
    better = total = 0
    for row in modes.to_dict("records"):
        detections = []
        for flag in keywords.INJECTED:
            key = f"auroc {flag}, eval mode"
            if key in row:
                eval_mode, train_mode = row[key], row[f"auroc {flag}, train mode"]
                total += 1
                better += eval_mode > train_mode
                detections.append(f"{flag} AUROC {eval_mode:.2f} in eval mode against "
                                  f"{train_mode:.2f} in train mode")
        agreement = significance.Correlation(row["spearman"], row["n"], row["p"])
        sentences.append(f"**{row['dynamic']}**: {agreement} between the modes; "
                         + "; ".join(detections) + ".")
    verdict = (f"Eval mode finds the injected samples better in {better} of {total} "
               "comparisons." if total else "")
    return " ".join(sentences + [verdict])
