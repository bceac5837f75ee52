"""Which score finds which kind of hard sample: every score of the book against every kind.

The scores are aucurriculum's definitions as the Definitions chapter kept them, cleanlab on the
network's out-of-fold probabilities, and the field's other scores (:mod:`lib.hardness`); the
kinds are those the data records (:data:`lib.groundtruth.INJECTED`). Each score is judged per
kind by its AUROC (with a bootstrap interval) and its precision at the kind's count, the
genuine clips as the negatives, and set beside H-CAT's pattern on images and tables
(Seedat et al. 2024).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lib import definitions, groundtruth, hardness
from lib.claims import detected, separation
from lib.definitions import Scored
from lib.record import CLEANLAB_NETWORK, Kinds
from lib.significance import INTERVAL_LEVEL

#: The scores of the output's confidence over training (correctness, margin, probability of
#: the label across epochs), H-CAT's learning-dynamics family of output confidence; Data Maps'
#: variability measures its swings instead, and EL2N and GraNd read one early epoch.
DYNAMICS = ("CumulativeAccuracy", "FirstIteration", hardness.AUM, hardness.FORGETTING,
            hardness.CONFIDENCE)
EARLY = (hardness.EL2N, hardness.GRAND)


def score_table(scored: dict[str, Scored]) -> pd.DataFrame:
    """A column per score: its mean over runs, oriented higher = harder, by sample id."""
    return pd.concat([s.ensemble() for s in scored.values()], axis=1)


def detection_table(scores: pd.DataFrame, truth: pd.DataFrame, draws: int = 1000,
                    level: float = INTERVAL_LEVEL) -> pd.DataFrame:
    """Per kind the data records and per score: AUROC with its interval and precision at the
    kind's count, each kind against the genuine clips only
    (:func:`lib.definitions.detection_table`, the Definitions chapter's own)."""
    return definitions.detection_table(scores, truth, draws, level)


def heat(table: pd.DataFrame) -> pd.DataFrame:
    """The AUROCs of :func:`detection_table` as a score x kind matrix (kinds in data order)."""
    matrix = table.pivot(index="definition", columns="kind", values="auroc")
    kinds = [k for k in groundtruth.INJECTED if k in matrix.columns]
    return matrix.reindex(index=list(dict.fromkeys(table["definition"])), columns=kinds)


def best_by_kind(table: pd.DataFrame, control: str = definitions.CONTROL
                 ) -> dict[str, dict[str, Any]]:
    """Per kind: the score with the highest AUROC (the control left out), its interval, its
    precision at the kind's count, the runner-up, and whether the first's interval clears the
    runner-up's (:func:`lib.claims.separation`)."""
    found = {}
    for kind, rows in table[table["definition"] != control].groupby("kind", sort=False):
        ordered = rows.sort_values("auroc", ascending=False)
        first = ordered.iloc[0]
        second = ordered.iloc[1] if len(ordered) > 1 else None
        found[kind] = {
            Kinds.SCORE: first["definition"], Kinds.AUROC: round(float(first["auroc"]), 4),
            Kinds.AUROC_INTERVAL: [round(float(first["auroc_low"]), 4),
                                   round(float(first["auroc_high"]), 4)],
            Kinds.PRECISION_AT_COUNT: round(float(first["precision_at_k"]), 4),
            Kinds.RUNNER_UP: None if second is None else second["definition"],
            Kinds.RUNNER_UP_AUROC: None if second is None else round(float(second["auroc"]), 4),
            Kinds.BEYOND_INTERVALS: bool(second is not None and separation(
                (first["auroc_low"], first["auroc_high"]),
                (second["auroc_low"], second["auroc_high"])) == 1)}
    return found


def family_means(table: pd.DataFrame, kinds: tuple[str, ...] = groundtruth.MISLABELLED
                 ) -> dict[str, float | None]:
    """Mean AUROC over the mislabelled kinds present of the learning-dynamics scores and of
    the early-training ones (H-CAT's contrast); None where a family has no score here."""
    rows = table[table["kind"].isin(kinds)]
    means = {}
    for family, members in ((Kinds.DYNAMICS, DYNAMICS), (Kinds.EARLY, EARLY)):
        values = rows.loc[rows["definition"].isin(members), "auroc"]
        means[family] = round(float(values.mean()), 4) if len(values) else None
    return means


def data_map(scored: dict[str, Scored]) -> pd.DataFrame:
    """Per sample id, Data Maps' ``confidence`` and ``variability``, each the mean over runs."""
    return pd.DataFrame({"confidence": scored[hardness.CONFIDENCE].scores.mean(axis=1),
                         "variability": scored[hardness.VARIABILITY].scores.mean(axis=1)})


def regions_by_kind(region: pd.Series, kinds: pd.Series) -> pd.DataFrame:
    """The share of each kind's training clips (and the genuine ones) in each Data Maps
    region: a row per kind, a column per region, rows summing to 1."""
    joined = pd.concat({"region": region, "kind": kinds}, axis=1, join="inner")
    shares = pd.crosstab(joined["kind"], joined["region"], normalize="index")
    order = [k for k in (groundtruth.GENUINE, *groundtruth.INJECTED) if k in shares.index]
    return shares.reindex(index=order, columns=list(hardness.REGIONS), fill_value=0.0)


def cost_table(scored: dict[str, Scored]) -> pd.DataFrame:
    """Per score: where it comes from, the runs it averages, minutes here and disk (MB)."""
    return pd.DataFrame([{"score": name, "source": s.source, "runs": s.scores.shape[1],
                          "minutes": s.seconds / 60, "disk MB": s.disk_bytes / 1e6}
                         for name, s in scored.items()]).set_index("score")


def presented(table: pd.DataFrame, costs: pd.DataFrame, level: float = INTERVAL_LEVEL
              ) -> pd.DataFrame:
    """The chapter's one table: a row per score, per kind its AUROC with the interval and its
    precision at the kind's count, then minutes and disk, as text."""
    shown = pd.DataFrame(index=pd.Index(list(dict.fromkeys(table["definition"])), name="score"))
    for kind, rows in table.groupby("kind", sort=False):
        rows = rows.set_index("definition").reindex(shown.index)
        shown[f"{kind}: AUROC [{level:.0%}]"] = [
            "—" if np.isnan(r.auroc) else f"{r.auroc:.2f} [{r.auroc_low:.2f}, {r.auroc_high:.2f}]"
            for r in rows.itertuples()]
        shown[f"{kind}: precision at {int(rows['flagged'].max())}"] = \
            rows["precision_at_k"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")
    costs = costs.reindex(shown.index)
    shown["minutes"] = costs["minutes"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")
    shown["disk MB"] = costs["disk MB"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}")
    return shown.reset_index()


def key_numbers(datasets: dict[str, dict[str, Any]],
                duplicates: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The Kinds chapter's record (:class:`lib.record.Kinds`): per dataset with ground truth,
    from its ``table`` (:func:`detection_table`), ``scored`` (every score's :class:`Scored`),
    ``counts`` (kind -> training clips), ``regions`` (:func:`regions_by_kind`) and
    ``early_epoch``; per dataset checked for near-duplicates, the part
    :func:`lib.duplicates.key_numbers` gives."""
    numbers: dict[str, Any] = {}
    for dataset, parts in datasets.items():
        table = parts["table"]
        numbers[dataset] = {
            Kinds.COUNTS: parts["counts"],
            Kinds.EARLY_EPOCH: parts["early_epoch"],
            Kinds.DETECTION: {
                kind: {row["definition"]: {
                    Kinds.AUROC: round(float(row["auroc"]), 4),
                    Kinds.AUROC_INTERVAL: [round(float(row["auroc_low"]), 4),
                                           round(float(row["auroc_high"]), 4)],
                    Kinds.PRECISION_AT_COUNT: round(float(row["precision_at_k"]), 4)}
                    for _, row in rows.iterrows()}
                for kind, rows in table.groupby("kind", sort=False)},
            Kinds.BEST: best_by_kind(table),
            Kinds.FAMILIES: family_means(table),
            Kinds.COST: {name: {Kinds.SOURCE: s.source, Kinds.RUNS: int(s.scores.shape[1]),
                                Kinds.MINUTES: round(s.seconds / 60, 3),
                                Kinds.DISK_MB: round(s.disk_bytes / 1e6, 1)}
                         for name, s in parts["scored"].items()},
            Kinds.REGIONS: {kind: {region: round(float(share), 4)
                                   for region, share in row.items()}
                            for kind, row in parts["regions"].iterrows()},
        }
    for dataset, entry in (duplicates or {}).items():
        numbers.setdefault(dataset, {}).update(entry)
    return numbers


def cleanlab_scored(labels: pd.Series, probabilities: pd.DataFrame, seconds: float) -> Scored:
    """cleanlab on the network's out-of-fold probabilities as one more score (1 - label
    quality, higher = worse), costing what reading them did (the fold models are CVLoss's)."""
    from lib import cleanlab_baseline

    network = cleanlab_baseline.network_cleanlab(labels, probabilities)
    return Scored(CLEANLAB_NETWORK, network[["score"]].rename(columns={"score": "folds"}),
                  "CVLoss's fold models", seconds, 0)



#: What H-CAT reports on images and tables (Seedat et al. 2024), point by point, in the terms
#: :func:`beside_hcat` checks here.
HCAT_POINTS = {
    "one score best across kinds": "no: which score is best depends on the kind of hardness",
    "learning dynamics against early training": "scores of the output's confidence over "
                                                "training the more effective",
}


def beside_hcat(entry: dict[str, Any]) -> pd.DataFrame:
    """H-CAT's pattern beside this build's, point by point, from a dataset's Kinds record."""
    found_kinds = {kind: found for kind, found in entry[Kinds.BEST].items()
                   if detected(tuple(found[Kinds.AUROC_INTERVAL])) == 1}
    winners = sorted({found[Kinds.SCORE] for found in found_kinds.values()})
    clear = sum(found[Kinds.BEYOND_INTERVALS] for found in found_kinds.values())
    families = entry[Kinds.FAMILIES]
    dynamics, early = families[Kinds.DYNAMICS], families[Kinds.EARLY]
    here = [f"{len(winners)} different scores lead on the {len(found_kinds)} kinds found above "
            f"chance; {clear} of the leads clear the runner-up's interval",
            "—" if dynamics is None or early is None else
            f"mean AUROC over the mislabelled kinds: confidence over training {dynamics:.2f}, "
            f"EL2N and GraNd (epoch {entry[Kinds.EARLY_EPOCH]}) {early:.2f}"]
    return pd.DataFrame({"point": list(HCAT_POINTS), "H-CAT (images, tables)":
                         list(HCAT_POINTS.values()), "this build (one dataset)": here})
