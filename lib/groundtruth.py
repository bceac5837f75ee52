"""Kinds of hard sample with a per-sample ground truth, as the data records them.

A dataset with ground truth marks each training clip of an injected kind in a column of its
per-sample metadata: the keyword set injects flipped labels and non-speech clips
(:mod:`lib.keywords`), a user's own dataset flipped labels (:mod:`lib.userdata`). Every
chapter that checks a score against the truth asks :func:`present` which kinds a table has.
"""
from __future__ import annotations

import pandas as pd

#: The metadata columns that mark a training clip's injected difficulty (ground truth).
FLIPPED_COLUMN = "label_flipped"
NONSPEECH_COLUMN = "nonspeech"
#: What each clip is, as figures and tables name it: genuine, or one of the injected kinds.
GENUINE = "genuine"
FLIPPED = "flipped label"
NONSPEECH = "non-speech"
#: Each injected kind -> the metadata column that marks it.
INJECTED = {FLIPPED: FLIPPED_COLUMN, NONSPEECH: NONSPEECH_COLUMN}


def present(table: pd.DataFrame) -> dict[str, str]:
    """The injected kinds a per-sample table records (kind -> its column), in
    :data:`INJECTED`'s order."""
    return {kind: column for kind, column in INJECTED.items() if column in table}
