"""Pick the easiest, medium and hardest training samples of every class from an ordering.

The paper shows, per class, the 10 easiest, 10 middle and 10 hardest samples by ensemble rank.
Samples are ordered within their class by rank, ties broken by sample id, so the selection
does not depend on row order. A class too small for three bands of k gets smaller bands
(a third of the class each), and no sample is in two bands.
"""
from __future__ import annotations

import pandas as pd

BANDS = ("easy", "medium", "hard")


def band_positions(size: int, k: int) -> dict[str, list[int]]:
    """Positions (0 = easiest) of each band in a class of ``size`` ordered samples."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    per_band = min(k, max(1, size // 3))
    easy = list(range(min(per_band, size)))
    hard = [p for p in range(max(size - per_band, 0), size) if p not in easy]
    start = round((size - per_band) / 2)
    medium = [p for p in range(start, min(start + per_band, size)) if p not in easy + hard]
    return {"easy": easy, "medium": medium, "hard": hard}


def select(ordering: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Per class, the k easiest, k medium (around the class's median rank) and k hardest samples.

    Returns the ordering's rows with ``band`` (easy, medium, hard) and ``place`` (1 = the
    easiest of its band), classes in alphabetical order, bands easy to hard.
    """
    missing = [c for c in ("sample_id", "label", "rank") if c not in ordering]
    if missing:
        raise ValueError(f"ordering lacks column {missing[0]!r}")
    parts = []
    for label, members in sorted(ordering.groupby("label"), key=lambda item: str(item[0])):
        ordered = members.sort_values(["rank", "sample_id"], kind="stable").reset_index(drop=True)
        for band, positions in band_positions(len(ordered), k).items():
            chosen = ordered.iloc[positions].copy()
            chosen.insert(0, "place", range(1, len(chosen) + 1))
            chosen.insert(0, "band", band)
            parts.append(chosen)
    table = pd.concat(parts, ignore_index=True)
    return table[["label", "band", "place", *[c for c in table.columns
                                            if c not in ("label", "band", "place")]]]
