"""Kinds of hard sample with a per-sample ground truth, as the data records them.

A dataset with ground truth marks each training clip of an injected kind in a column of its
per-sample metadata: the keyword set injects six kinds (:mod:`lib.keywords`; H-CAT's taxonomy,
Seedat et al. 2024, named beside each), a user's own dataset flipped labels
(:mod:`lib.userdata`). Every
chapter that checks a score against the truth asks :func:`present` which kinds a table has;
the label-noise sweep relabels a copy with another share of flipped labels (:func:`relabelled`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lib import paths
from lib.datasets import build_once, read_manifest, read_named_csv

#: The metadata columns that mark a training clip's injected difficulty (ground truth).
FLIPPED_COLUMN = "label_flipped"
CONFUSABLE_COLUMN = "label_confusable"
OUT_OF_VOCABULARY_COLUMN = "out_of_vocabulary"
NONSPEECH_COLUMN = "nonspeech"
ATYPICAL_COLUMN = "atypical_voice"
DUPLICATE_COLUMN = "near_duplicate"
#: Beside :data:`DUPLICATE_COLUMN`: the sample id of the clip's twin ("" for the others).
DUPLICATE_OF_COLUMN = "duplicate_of"
#: What each clip is, as figures and tables name it: genuine, or one of the injected kinds.
GENUINE = "genuine"
FLIPPED = "flipped label"
CONFUSABLE = "confusable flip"
OUT_OF_VOCABULARY = "other word"
NONSPEECH = "non-speech"
ATYPICAL = "atypical voice"
DUPLICATE = "near-duplicate"
#: Each injected kind -> the metadata column that marks it.
INJECTED = {FLIPPED: FLIPPED_COLUMN, CONFUSABLE: CONFUSABLE_COLUMN,
            OUT_OF_VOCABULARY: OUT_OF_VOCABULARY_COLUMN, NONSPEECH: NONSPEECH_COLUMN,
            ATYPICAL: ATYPICAL_COLUMN, DUPLICATE: DUPLICATE_COLUMN}
#: What each kind is, in one phrase for tables.
DESCRIPTION = {
    FLIPPED: "labelled as another class, drawn at random",
    CONFUSABLE: "labelled as the class spelled most alike (three as tree)",
    OUT_OF_VOCABULARY: "says a word outside the classes, labelled as one of them",
    NONSPEECH: "noise only, labelled as a class",
    ATYPICAL: "its word at a pitch and rate no other voice has, labelled right",
    DUPLICATE: "the same utterance as another clip under other noise, labelled right",
}
#: The kinds whose label is wrong for what the clip holds (what an oracle would remove); an
#: atypical voice and a near-duplicate carry their true label.
MISLABELLED = (FLIPPED, CONFUSABLE, OUT_OF_VOCABULARY, NONSPEECH)
#: Each kind's place in H-CAT's taxonomy of hard samples (Seedat et al., ICLR 2024); a
#: near-duplicate has none there.
HCAT_KIND = {FLIPPED: "uniform mislabelling", CONFUSABLE: "asymmetric mislabelling",
             OUT_OF_VOCABULARY: "near out-of-distribution",
             NONSPEECH: "far out-of-distribution", ATYPICAL: "atypical", DUPLICATE: "—"}
#: The metadata column holding a clip's true class before any flip: the keyword set's spoken
#: word (empty for a non-speech clip), a user's own label.
SPOKEN_WORD_COLUMN, GIVEN_LABEL_COLUMN = "spoken_word", "label_given"
TRUE_LABEL_COLUMNS = (SPOKEN_WORD_COLUMN, GIVEN_LABEL_COLUMN)
#: The columns of a metadata table that name a clip (path) or a class, read as text.
CLASS_COLUMNS = ("path", "label", *TRUE_LABEL_COLUMNS, DUPLICATE_OF_COLUMN)


def present(table: pd.DataFrame) -> dict[str, str]:
    """The injected kinds a per-sample table records (kind -> its column), in
    :data:`INJECTED`'s order."""
    return {kind: column for kind, column in INJECTED.items() if column in table}


def against_genuine(truth: pd.DataFrame, column: str) -> pd.Series:
    """A kind's flags (``column``) over the samples of that kind and the genuine ones, by
    sample id: what a score is judged on, so a sample of another kind is neither found nor
    missed."""
    kinds = [c for c in present(truth).values()]
    flagged = truth[column].astype(bool)
    genuine = ~truth[kinds].astype(bool).any(axis=1)
    return flagged[flagged | genuine]


def true_labels(metadata: pd.DataFrame) -> pd.Series:
    """Each clip's class before any flip ("" where it has none: a non-speech clip, or a word
    outside the classes)."""
    column = next(c for c in TRUE_LABEL_COLUMNS if c in metadata)
    labels = metadata[column].fillna("").astype(str)
    if OUT_OF_VOCABULARY_COLUMN in metadata:
        labels = labels.mask(metadata[OUT_OF_VOCABULARY_COLUMN].astype(bool), "")
    return labels


#: Bump when :func:`relabelled` draws its flips differently (rebuilds the relabelled copies).
RELABEL_RULE = 2


def relabelled(source: Path, target: Path, name: str, flip_fraction: float, seed: int,
               log: Callable[[str], None] = print) -> Path:
    """The dataset ``name`` at ``source`` with another share of flipped training labels.

    Only the labels change: the audio and its log-mel features are the source's (linked, not
    copied), so two such sets differ in nothing but label noise. Every clip with a class first
    gets its true class back; then ``flip_fraction`` of the training clips get another, drawn
    with ``seed``, from the genuine ones only (never a clip of another kind, nor one without a
    class). Reused when built before with the same inputs and :data:`RELABEL_RULE`.
    """
    fingerprint = hashlib.sha256(json.dumps(
        [read_manifest(source)["fingerprint"], flip_fraction, seed, RELABEL_RULE]).encode()
    ).hexdigest()[:16]

    def build(partial: Path) -> dict[str, Any]:
        metadata = read_named_csv(source / "metadata.csv", CLASS_COLUMNS,
                                  keep_default_na=False)
        truth = true_labels(metadata)
        has_class = truth != ""
        metadata.loc[has_class, "label"] = truth[has_class]
        metadata[FLIPPED_COLUMN] = False
        if CONFUSABLE_COLUMN in metadata:
            metadata[CONFUSABLE_COLUMN] = False
        classes = sorted(truth[has_class].unique())
        # Only genuine clips are flipped: a clip keeps one kind (an atypical voice flipped
        # would count as atypical, not as mislabelled).
        others = [c for c in present(metadata).values() if c != FLIPPED_COLUMN]
        genuine = ~metadata[others].astype(bool).any(axis=1) if others else has_class
        candidates = metadata.index[has_class & genuine & (metadata["split"] == "train")]
        rng = np.random.default_rng(seed)
        count = int(round(flip_fraction * int((metadata["split"] == "train").sum())))
        for row in rng.choice(candidates, size=min(count, len(candidates)), replace=False):
            metadata.at[row, "label"] = rng.choice([c for c in classes if c != truth[row]])
            metadata.at[row, FLIPPED_COLUMN] = True
        labels = metadata.set_index("path")["label"]
        for split in ("train", "dev", "test"):
            table = read_named_csv(source / f"{split}.csv", ("path",), keep_default_na=False)
            table["label"] = table["path"].map(labels)  # joined on the sample id
            table.to_csv(partial / f"{split}.csv", index=False)
        metadata.to_csv(partial / "metadata.csv", index=False)
        for folder in ("default", "log_mel_16k"):
            (partial / folder).symlink_to((source / folder).resolve(), target_is_directory=True)
        log(f"{name}: {paths.relative(target)} relabelled from "
            f"{paths.relative(source)}: {int(metadata[FLIPPED_COLUMN].sum())} flipped labels")
        return {"relabelled_from": paths.relative(source), "flip_fraction": flip_fraction,
                "seed": seed, "flipped": int(metadata[FLIPPED_COLUMN].sum())}

    target.parent.mkdir(parents=True, exist_ok=True)
    return build_once(target, name, fingerprint, build, log=log)
