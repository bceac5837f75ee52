"""What to do with a difficulty ordering: the training samples each pruning rule removes.

A rule takes the ensemble's ordering of the training split and a share, and names the samples
to drop before training again: the hardest, the easiest, a random subset with the class
balance of the split, the lowest label quality by cleanlab (the external baseline), or, on
the keyword set, exactly the injected samples (the oracle, the ceiling). Only training samples
are ever removed, every class keeps samples, and ties in rank are broken by sample id, so a
rule removes the same samples on every machine.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from dataclasses import replace

from lib import paths, training
from lib.datasets import build_once, read_manifest

RULES = ("hardest", "easiest", "random", "cleanlab", "oracle")
#: Rules that need a per-sample column beside the ordering.
NEEDS = {"cleanlab": "label_quality", "oracle": "injected"}


class PruningError(ValueError):
    """A rule that cannot be applied as asked; one line naming the rule and the problem."""


def removed_count(samples: int, fraction: float) -> int:
    """How many of ``samples`` a share removes (rounded, at least one when the share is > 0)."""
    if not 0 <= fraction < 1:
        raise PruningError(f"pruning share must be in [0, 1), got {fraction}")
    return 0 if fraction == 0 else max(1, int(round(fraction * samples)))


def _by_rank(ordering: pd.DataFrame, column: str, descending: bool) -> pd.Index:
    """Sample ids ordered by ``column`` (ties broken by sample id, ascending)."""
    table = ordering[["sample_id", column]].sort_values(
        [column, "sample_id"], ascending=[not descending, True], kind="stable")
    return pd.Index(table["sample_id"])


def removed(ordering: pd.DataFrame, rule: str, fraction: float, seed: int = 0) -> pd.Index:
    """The sample ids ``rule`` removes from a training split's ``ordering`` (a row per sample:
    ``sample_id``, ``label``, ``rank`` with 0 easiest; ``label_quality`` for cleanlab, lower is
    worse; ``injected`` for the oracle, which removes exactly those and ignores ``fraction``).
    """
    if rule not in RULES:
        raise PruningError(f"unknown pruning rule {rule!r}; known: {', '.join(RULES)}")
    if rule in NEEDS and NEEDS[rule] not in ordering:
        raise PruningError(f"pruning rule {rule} needs a {NEEDS[rule]!r} column per sample")
    if ordering["sample_id"].duplicated().any():
        raise PruningError("the ordering lists a sample twice: "
                           f"{ordering.loc[ordering['sample_id'].duplicated(), 'sample_id'].iloc[0]}")
    count = removed_count(len(ordering), fraction)
    if rule == "oracle":
        chosen = pd.Index(sorted(ordering.loc[ordering["injected"].astype(bool), "sample_id"]))
    elif rule == "hardest":
        chosen = _by_rank(ordering, "rank", descending=True)[:count]
    elif rule == "easiest":
        chosen = _by_rank(ordering, "rank", descending=False)[:count]
    elif rule == "cleanlab":
        chosen = _by_rank(ordering, "label_quality", descending=False)[:count]
    else:
        chosen = _balanced_random(ordering, count, seed)
    kept = ordering.loc[~ordering["sample_id"].isin(chosen), "label"]
    emptied = sorted(set(ordering["label"].astype(str)) - set(kept.astype(str)))
    if emptied:
        raise PruningError(f"pruning rule {rule} at {fraction:.0%} would remove every training "
                           f"sample of class {emptied[0]!r}")
    return chosen


def _balanced_random(ordering: pd.DataFrame, count: int, seed: int) -> pd.Index:
    """``count`` samples at random with the split's class balance: each class gives its share
    (largest remainders first, ties by class name), drawn with ``seed``."""
    sizes = ordering.groupby(ordering["label"].astype(str))["sample_id"].size().sort_index()
    exact = sizes / sizes.sum() * count
    per_class = np.floor(exact).astype(int)
    remainder = (exact - per_class).sort_values(ascending=False, kind="stable")
    for label in remainder.index[:count - int(per_class.sum())]:
        per_class[label] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for label, take in per_class.items():
        members = sorted(ordering.loc[ordering["label"].astype(str) == label, "sample_id"])
        chosen += list(rng.choice(members, size=int(take), replace=False)) if take else []
    return pd.Index(sorted(chosen))


def kept_split(split: pd.DataFrame, gone: pd.Index, id_column: str) -> pd.DataFrame:
    """A split's table (``train.csv``) without the removed samples, joined on the sample id;
    every removed id must be one of the split's."""
    unknown = gone.difference(pd.Index(split[id_column]))
    if len(unknown):
        raise PruningError(f"cannot remove {unknown[0]!r}: it is not a training sample")
    return split[~split[id_column].isin(gone)].reset_index(drop=True)


def pruned_copy(source: Path, target: Path, gone: pd.Index,
                log: Callable[[str], None] = print) -> Path:
    """The keyword set at ``source`` without the ``gone`` training samples: ``train.csv`` and
    ``metadata.csv`` lose their rows, dev and test are the source's tables unchanged, and the
    audio and features are linked, not copied. Reused when built before with the same inputs.
    """
    gone = pd.Index(sorted(gone))
    fingerprint = hashlib.sha256(json.dumps(
        [read_manifest(source)["fingerprint"], list(gone)]).encode()).hexdigest()[:16]

    def build(partial: Path) -> dict:
        train = pd.read_csv(source / "train.csv", keep_default_na=False)
        kept_split(train, gone, "path").to_csv(partial / "train.csv", index=False)
        for split in ("dev", "test"):
            (partial / f"{split}.csv").write_bytes((source / f"{split}.csv").read_bytes())
        metadata = pd.read_csv(source / "metadata.csv", keep_default_na=False)
        metadata[~metadata["path"].isin(gone)].to_csv(partial / "metadata.csv", index=False)
        for folder in ("default", "log_mel_16k"):
            (partial / folder).symlink_to((source / folder).resolve(), target_is_directory=True)
        log(f"OfflineKeywords: {paths.relative(target)}: {len(train) - len(gone)} of "
            f"{len(train)} training clips kept")
        return {"pruned_from": paths.relative(source), "removed": len(gone)}

    target.parent.mkdir(parents=True, exist_ok=True)
    return build_once(target, "OfflineKeywords", fingerprint, build, log=log)


def point_profile(profile: str, rule: str, fraction: float) -> str:
    """The profile name of one pruning point, nested in its parent's folders
    (``data/<profile>/prune/hardest10/``, ``results/<profile>/prune/hardest10/``)."""
    return f"{profile}/prune/{rule}{round(fraction * 100):02d}"


def train_point(profile: str, ensemble: training.Ensemble, candidates: pd.DataFrame, rule: str,
                fraction: float, seeds: list[int], data_seed: int,
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """Train the first of the ensemble's models x ``seeds`` on the keyword set without what
    ``rule`` removes at ``fraction`` (:func:`removed` on ``candidates``, the ordering with the
    columns the rule needs), through the real autrainer path, in a profile of its own
    (:func:`point_profile`), so a point is reused when nothing changed. A row per run: its
    test accuracy, and the removed samples' ids."""
    gone = removed(candidates, rule, fraction, seed=data_seed)
    point = point_profile(profile, rule, fraction)
    log(f"pruning point: {rule} {fraction:.0%} ({len(gone)} samples removed; {point})")
    pruned_copy(paths.dataset_dir(profile, "OfflineKeywords"),
                paths.dataset_dir(point, "OfflineKeywords"), gone, log)
    small = replace(ensemble, datasets=("OfflineKeywords",), models=ensemble.models[:1],
                    seeds=tuple(seeds), seeds_by_model=())
    training.train_ensemble(point, small, log, summarise=False)
    metrics = training.run_metrics(point, small.runs)
    return metrics[["model", "seed", "test_accuracy"]].assign(
        rule=rule, fraction=fraction, removed=len(gone))
