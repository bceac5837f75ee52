"""Near-duplicates and leakage: clips that are (almost) the same, and whether they straddle
splits.

Speech datasets hold the same utterance twice more often than one would think: a file copied,
a take recorded twice, one speaker in training and test. Four checks run on every clip of a
dataset, whatever its splits, and each lists the pairs it finds:

- **same audio**: the decoded samples are identical (a file copied, under any name);
- **Datalab on embeddings**: cleanlab Datalab's near-duplicate check on the embeddings of the
  dataset's first run at its best state (what the network makes of a clip);
- **Datalab on log-mel**: the same check on each clip's log-mel band means and deviations, no
  network (what the clip sounds like on average);
- **closest on embeddings**: the pairs of mutual nearest neighbours closest in the embedding
  (cosine), as many as the data plants or :data:`CLOSEST` otherwise: no threshold, so always
  candidates to listen to.

Where the data records its planted pairs (the keyword set's near-duplicates), the report says
which each check found; where it records speakers, how many speakers two splits share.
"""
from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from lib import cleanlab_baseline, data, groundtruth, hardness, paths
from lib.datasets import layout_of
from lib.record import Kinds
from lib.training import Ensemble

SAME_AUDIO, ON_EMBEDDINGS, ON_LOG_MEL, CLOSEST_PAIRS = (
    "same audio", "Datalab on embeddings", "Datalab on log-mel", "closest on embeddings")
#: The checks, in the order the report lists them.
CHECKS = (SAME_AUDIO, ON_EMBEDDINGS, ON_LOG_MEL, CLOSEST_PAIRS)
#: How many closest pairs to list where the data plants none.
CLOSEST = 10
#: The columns of a pair table, one row per unordered pair of sample ids.
PAIR_COLUMNS = ("first", "second")


def pairs_of_groups(groups: list[list[str]]) -> pd.DataFrame:
    """Every unordered pair within each group of sample ids, each once (first < second)."""
    pairs = {tuple(sorted(pair)) for group in groups
             for pair in itertools.combinations(set(group), 2)}
    return pd.DataFrame(sorted(pairs), columns=list(PAIR_COLUMNS))


def same_audio(samples: Iterable[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """Pairs whose decoded samples are identical (``samples``: (sample id, signal) pairs, read
    one at a time: only their digests are kept)."""
    by_digest: dict[str, list[str]] = {}
    for sample_id, signal in samples:
        digest = hashlib.sha256(np.ascontiguousarray(signal).tobytes()).hexdigest()
        by_digest.setdefault(digest, []).append(sample_id)
    return pairs_of_groups([ids for ids in by_digest.values() if len(ids) > 1])


def datalab_pairs(features: np.ndarray, sample_ids: pd.Index, labels: pd.Series
                  ) -> pd.DataFrame:
    """Pairs cleanlab Datalab's near-duplicate check finds among ``features`` (a row per
    sample id): each flagged sample with every member of its near-duplicate set."""
    from cleanlab import Datalab

    lab = Datalab(data=pd.DataFrame({"label": labels.reindex(sample_ids).astype(str)
                                     .to_numpy()}), label_name="label", verbosity=0)
    lab.find_issues(features=features, issue_types={"near_duplicate": {}})
    issues = lab.get_issues("near_duplicate")
    ids = np.asarray(sample_ids)
    groups = [[ids[i], *ids[list(members)]]
              for i, (flagged, members) in enumerate(zip(issues["is_near_duplicate_issue"],
                                                         issues["near_duplicate_sets"]))
              if flagged and len(members)]
    return pairs_of_groups(groups)


def closest_pairs(features: np.ndarray, sample_ids: pd.Index, count: int) -> pd.DataFrame:
    """The ``count`` pairs of mutual nearest neighbours (cosine distance) closest together,
    closest first, with their ``distance``."""
    from sklearn.neighbors import NearestNeighbors

    if len(sample_ids) < 2 or count <= 0:
        return pd.DataFrame(columns=[*PAIR_COLUMNS, "distance"])
    # Without a query, each sample's neighbour is another sample, even an identical one.
    distances, neighbours = NearestNeighbors(n_neighbors=1, metric="cosine").fit(
        features).kneighbors()
    ids = np.asarray(sample_ids)
    rows = {}
    for i, (j, distance) in enumerate(zip(neighbours[:, 0], distances[:, 0])):
        if neighbours[j, 0] == i:
            rows[tuple(sorted((ids[i], ids[j])))] = float(distance)
    table = pd.DataFrame([(a, b, d) for (a, b), d in rows.items()],
                         columns=[*PAIR_COLUMNS, "distance"])
    return table.sort_values("distance", ignore_index=True).head(count)


def report(found: dict[str, pd.DataFrame], splits: pd.Series,
           planted: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per pair any check found (``found``: check -> pairs): its splits, whether it
    straddles two, the checks that found it and, with ``planted`` pairs, whether it is one."""
    rows: dict[tuple[str, str], list[str]] = {}
    for check, pairs in found.items():
        for first, second in pairs[list(PAIR_COLUMNS)].itertuples(index=False):
            rows.setdefault((first, second), []).append(check)
    table = pd.DataFrame([{"first": a, "second": b, "found by": ", ".join(checks)}
                          for (a, b), checks in rows.items()],
                         columns=["first", "second", "found by"])
    table = data.with_splits(table, splits)
    if planted is not None:
        known = set(map(tuple, planted[list(PAIR_COLUMNS)].to_numpy()))
        table["planted"] = [pair in known for pair in
                            table[list(PAIR_COLUMNS)].itertuples(index=False, name=None)]
    return table.sort_values(["across_splits", "first"], ascending=[False, True],
                             ignore_index=True)


def shared_speakers(table: pd.DataFrame) -> dict[str, int]:
    """Per pair of splits, the speakers both hold ("train & test" -> count); empty where the
    data records no speaker."""
    if "speaker_id" not in table:
        return {}
    speakers = table.groupby("split")["speaker_id"].apply(set)
    return {f"{a} & {b}": len(speakers[a] & speakers[b])
            for a, b in itertools.combinations(sorted(speakers.index), 2)}


def check_dataset(profile: str, ensemble: Ensemble, dataset: str) -> dict[str, Any]:
    """Every check on every clip of ``dataset``: ``found`` (check -> pairs), ``report``
    (:func:`report`), ``speakers`` (:func:`shared_speakers`) and ``planted`` (the pairs the
    data records, or None)."""
    from lib import toolkit

    table = data.samples(profile, dataset)
    ids = pd.Index(table.index, name="sample_id")
    labels = table[layout_of(dataset).target_column].astype(str)
    planted = (data.duplicate_pairs(table)[list(PAIR_COLUMNS)]
               if groundtruth.DUPLICATE_OF_COLUMN in table else None)
    found = {SAME_AUDIO: same_audio((i, toolkit.load_audio(data.clip_file(profile, dataset, i)))
                                    for i in ids),
             ON_LOG_MEL: datalab_pairs(cleanlab_baseline.pooled_features(profile, dataset, ids),
                                       ids, labels)}
    runs = ensemble.runs_of(dataset)
    if runs:  # the network's checks need a trained run
        embeddings = hardness.embeddings_of(profile, runs[0], ids,
                                            toolkit.resolve_device(ensemble.settings.device))
        found[ON_EMBEDDINGS] = datalab_pairs(embeddings, ids, labels)
        found[CLOSEST_PAIRS] = closest_pairs(embeddings, ids, CLOSEST if planted is None or
                                             planted.empty else len(planted))
    return {"found": found, "planted": planted, "speakers": shared_speakers(table),
            "report": report(found, table["split"], planted)}


def key_numbers(checked: dict[str, Any]) -> dict[str, Any]:
    """The near-duplicate part of a dataset's Kinds record: per check the pairs found, those
    across splits and (with planted pairs) the planted ones among them; the shared speakers."""
    table, planted = checked["report"], checked["planted"]
    entry: dict[str, Any] = {Kinds.SHARED_SPEAKERS: checked["speakers"]}
    if planted is not None:
        entry[Kinds.PLANTED_PAIRS] = int(len(planted))
    for check in CHECKS:
        mine = table[table["found by"].str.contains(check, regex=False)]
        found = {Kinds.PAIRS: int(len(mine)),
                 Kinds.ACROSS_SPLITS: int(mine["across_splits"].sum())}
        if planted is not None:
            found[Kinds.PLANTED_FOUND] = int(mine["planted"].sum())
        entry[check] = found
    return {Kinds.DUPLICATES: entry}


def save(profile: str, dataset: str, checked: dict[str, Any]) -> Path:
    """The report's pairs, every one, as a CSV beside the chapter's scores."""
    file = paths.duplicates_file(profile, dataset)
    file.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(file, lambda f: checked["report"].to_csv(f, index=False))
    return file


def players(profile: str, dataset: str, table: pd.DataFrame, pairs: int = 4) -> pd.Series:
    """The clips of the first ``pairs`` pairs of a report (those across splits first), named
    "pair n, split: sample id": what :func:`lib.plots.data.audio_table` plays."""
    clips = {}
    for number, row in enumerate(table.head(pairs).itertuples(), 1):
        for sample_id, split in ((row.first, row.first_split), (row.second, row.second_split)):
            clips[f"pair {number}, {split}: {sample_id}"] = data.clip_file(profile, dataset,
                                                                         sample_id)
    return pd.Series(clips, dtype=object)


def summary_table(checked: dict[str, Any]) -> pd.DataFrame:
    """Per check: the pairs it found, those across splits and the planted ones among them."""
    table, planted = checked["report"], checked["planted"]
    rows = []
    for check in CHECKS:
        mine = table[table["found by"].str.contains(check, regex=False)]
        row = {"check": check, "pairs found": len(mine),
               "across splits": int(mine["across_splits"].sum())}
        if planted is not None:
            row[f"planted pairs found (of {len(planted)})"] = int(mine["planted"].sum())
        rows.append(row)
    return pd.DataFrame(rows)
