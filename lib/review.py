"""The clips to review: every training clip of a dataset, hardest first, with what each
definition of difficulty, cleanlab and the ensemble say of it.

This is what a researcher acts on: one CSV per dataset (``results/<profile>/review/``), its
columns documented beside it (:data:`COLUMNS`), and the chapter *Clips to review*, which plays
the top of the list. It is sorted by the definition the Definitions chapter found best at
finding flipped labels on this very data where the build knows them, else by the profile's
``SCORING`` definition. Rows are joined on the sample id, never on row order.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import (calibration, cleanlab_baseline, data, definitions, groundtruth, paths, profiles,
                 scoring, toolkit, userdata)
from lib.difficulty import DifficultyError, tie_key
from lib.datasets import layout_of
from lib.plots import data_uri, draw_log_mel, figure_png
from lib.profiles import CONTROL_DEFINITION
from lib.record import Review as Record
from lib.training import Run

#: The columns of every list, in order, and what each holds. ``<definition>`` stands for each
#: definition the Definitions chapter scored (the random control left out).
COLUMNS = {
    "rank": "1 is the hardest clip by the definition the list is sorted by (`ordered_by`)",
    "file": "the clip as it was given (for the generated sets, the project's copy)",
    "clip": "the project's copy the models heard, the sample id",
    "label": "the label the clip came with: yours for your own data; for the generated sets, "
             "the set's own (its flipped labels included)",
    "trained_as": "the label the models trained with: the one the clip came with, or for your "
                  "own data the one the build flipped it to (`injected`)",
    "injected": "the kind of hard sample the build made of the clip (flipped label, or one "
                "the dataset records), empty for none",
    "<definition>": "each definition's score, the mean over its runs, oriented so that higher "
                    "= harder (a definition whose high values mean easy, as CumulativeAccuracy, "
                    "is negated)",
    "<definition> rank": "each definition's normalised rank, 0 the easiest clip, 1 the hardest",
    "cleanlab_issue": "whether cleanlab's find_label_issues flags the trained-as label, from the "
                      "network's out-of-fold probabilities (empty without CVLoss in "
                      "DEFINITIONS, whose fold models give them, and for a clip no fold held "
                      "out, where autrainer carves dev by seed)",
    "cleanlab_score": "1 - cleanlab's label quality: higher = more likely a label error",
    "suggested_label": "the class the ensemble's mean probability favours (every run's best "
                       "checkpoint, on clips it trained on); empty where a run did not train "
                       "on the clip",
    "suggested_confidence": "that mean probability, 0-1",
}


@dataclass(frozen=True)
class Worklist:
    """One dataset's list: the table (hardest first) and the definition that sorted it."""
    dataset: str
    table: pd.DataFrame
    ordered_by: str
    #: Why that definition: found best at flipped labels here, or the profile's SCORING.
    because: str


def _scores(profile: str, dataset: str, names: list[str]) -> pd.DataFrame:
    """Each definition's ensemble score and normalised rank per sample id (the control left
    out, a definition the Definitions chapter did not score skipped)."""
    kept = {}
    for name in names:
        if name == CONTROL_DEFINITION:
            continue
        try:
            kept[name] = definitions.stored(profile, dataset, name)
        except definitions.DefinitionError:
            continue
    if not kept:
        raise DifficultyError(f"{dataset}: no definition's scores kept; run "
                              "notebooks/02b_definitions first")
    scores = definitions.ensemble_scores(kept)
    ranks = definitions.ranks(scores).add_suffix(" rank")
    return scores.join(ranks)[[c for name in scores for c in (name, f"{name} rank")]]


def _cleanlab(profile: str, dataset: str, trained_as: pd.Series) -> pd.DataFrame:
    """cleanlab's flag and score where the Definitions chapter kept the network's out-of-fold
    probabilities (CVLoss in DEFINITIONS), for the clips a fold held out (where autrainer
    carves dev by seed, the folds' training split is not every run's), else empty."""
    columns = ["cleanlab_issue", "cleanlab_score"]
    probabilities = cleanlab_baseline.kept_fold_probabilities(profile, dataset)
    if probabilities is None:
        return pd.DataFrame(index=trained_as.index, columns=columns)
    found = cleanlab_baseline.network_cleanlab(
        trained_as[trained_as.index.isin(probabilities.index)], probabilities)
    return (found.rename(columns={"label_issue": "cleanlab_issue", "score": "cleanlab_score"})
            [columns].reindex(trained_as.index))


def _suggestions(profile: str, runs: list[Run], device: str) -> pd.DataFrame:
    mean = calibration.ensemble_probabilities(profile, runs, "train", device)
    return (mean.set_index("sample_id")[["prediction", "confidence"]]
            .rename(columns={"prediction": "suggested_label",
                             "confidence": "suggested_confidence"}))


def worklist(profile: str, dataset: str, runs: list[Run], names: list[str], main: str,
             device: str = "cpu") -> Worklist:
    """Every clip of ``dataset`` the runs trained on (the Difficulty chapter's ordering: where
    autrainer carves dev out of the training table, the carved clips are not among them) with
    :data:`COLUMNS`, hardest first by the best definition at flipped labels, else by ``main``
    (the profile's SCORING); ties in the order of :func:`lib.difficulty.tie_key`."""
    layout = layout_of(dataset)
    samples = data.samples(profile, dataset)
    train = samples.loc[scoring.read_ordering(profile, dataset)["sample_id"]]
    trained_as = train[layout.target_column].astype(str)
    if layout.user:
        given = train[groundtruth.GIVEN_LABEL_COLUMN].astype(str)
        audio = userdata.source_of(profiles.load(profile)).audio
        files = train[userdata.SOURCE_COLUMN].map(lambda f: str(audio / f))
    else:
        given = trained_as
        files = pd.Series({sample: paths.relative(data.clip_file(profile, dataset, sample))
                           for sample in train.index})
    injected = pd.Series("", index=train.index)
    for kind, column in groundtruth.present(train).items():
        injected[train[column].astype(bool)] = kind
    table = pd.DataFrame({"file": files, "clip": train.index, "label": given,
                          "trained_as": trained_as, "injected": injected}, index=train.index)
    table = (table.join(_scores(profile, dataset, names))
             .join(_cleanlab(profile, dataset, trained_as))
             .join(_suggestions(profile, runs, device)))
    best = definitions.best(profile, dataset)
    ordered_by, because = ((best, "found best at flipped labels on this data") if best else
                           (main, "the profile's SCORING; no flipped labels to choose by"))
    if ordered_by not in table:
        raise DifficultyError(f"{dataset}: {ordered_by} was not scored; add it to DEFINITIONS")
    table = (table.assign(tie=table["clip"].map(tie_key))
             .sort_values([ordered_by, "tie"], ascending=[False, True]).drop(columns="tie"))
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return Worklist(dataset, table.reset_index(drop=True), ordered_by, because)


def columns_text(worklist: Worklist) -> str:
    """The columns of a list and what each holds, as Markdown (written beside the CSV)."""
    lines = [f"# {worklist.dataset}: clips to review",
             "", f"Sorted by {worklist.ordered_by} ({worklist.because}), hardest first.", ""]
    lines += [f"- `{name}`: {meaning}" for name, meaning in COLUMNS.items()]
    return "\n".join(lines) + "\n"


def write(profile: str, worklist: Worklist) -> Path:
    """The list as CSV and its columns as Markdown beside it, each written whole."""
    file = paths.review_file(profile, worklist.dataset)
    file.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(file, lambda partial: worklist.table.to_csv(partial, index=False,
                                                                       float_format="%.6g"))
    paths.write_atomically(file.with_suffix(".md"),
                           lambda partial: partial.write_text(columns_text(worklist)))
    return file


def _flag(row: pd.Series) -> list[str]:
    notes = []
    if row["injected"]:
        notes.append(f'<strong style="color:#d62728">{html.escape(row["injected"])}</strong>')
    if row["cleanlab_issue"] is True or row["cleanlab_issue"] == 1:
        notes.append("cleanlab: label issue")
    if isinstance(row["suggested_label"], str) and row["suggested_label"] != row["trained_as"]:
        notes.append(f"ensemble: {html.escape(str(row['suggested_label']))} "
                     f"({row['suggested_confidence']:.2f})")
    return notes


def top_html(profile: str, worklist: Worklist, top: int) -> str:
    """The list's ``top`` clips as tiles: log-mel thumbnail, player, rank, file, label and what
    flags it; plays without a kernel."""
    tiles = []
    for _, row in worklist.table.head(top).iterrows():
        png = data_uri(_thumbnail(profile, worklist.dataset, row["clip"]), "image/png")
        wav = data_uri(data.clip_file(profile, worklist.dataset, row["clip"]).read_bytes(),
                       "audio/wav")
        name = html.escape(Path(row["file"]).name)
        notes = "<br/>".join([f"#{row['rank']} {name}", f"label: {html.escape(row['label'])}",
                              *_flag(row)])
        tiles.append(
            f'<figure style="display:inline-block;margin:4px;text-align:center;width:180px;'
            f'vertical-align:top"><img src="{png}" width="176" alt="log-mel spectrogram of '
            f'{name}, rank {row["rank"]}"/><figcaption style="font-size:11px">'
            f'<audio controls preload="none" src="{wav}" style="width:176px;height:28px">'
            f'</audio><br/>{notes}</figcaption></figure>')
    return (f'<div class="review-gallery"><p><em>{html.escape(worklist.dataset)}: the '
            f'{min(top, len(worklist.table))} hardest training clips by {html.escape(worklist.ordered_by)}, log-mel spectrogram '
            f'(x: time, y: mel frequency 50 Hz-8 kHz) and audio as the models heard it.</em></p>'
            + "".join(tiles) + "</div>")


def _thumbnail(profile: str, dataset: str, clip: str) -> bytes:
    """A clip's log-mel (the features the models read) as a small PNG."""
    fig, ax = plt.subplots(figsize=(2.6, 1.7))
    draw_log_mel(ax, np.load(toolkit.features_file(profile, dataset, clip)))
    return figure_png(fig)


def key_numbers(profile: str, worklists: dict[str, Worklist], top: int) -> dict[str, Any]:
    """The chapter's record (:class:`lib.record.Review`) per dataset."""
    numbers = {}
    for dataset, listed in worklists.items():
        table = listed.table
        injected = int((table["injected"] != "").sum())
        issues = table["cleanlab_issue"].dropna()
        numbers[dataset] = {
            Record.CLIPS: int(len(table)),
            Record.ORDERED_BY: listed.ordered_by,
            Record.BECAUSE: listed.because,
            Record.SHOWN: int(min(top, len(table))),
            Record.INJECTED: injected,
            Record.INJECTED_AT_THE_TOP: (int((table.head(injected)["injected"] != "").sum())
                                         if injected else None),
            Record.CLEANLAB_FLAGGED: int(issues.astype(bool).sum()) if len(issues) else None,
            Record.SUGGESTED_OTHER: int((table["suggested_label"].notna() & (
                table["suggested_label"] != table["trained_as"])).sum()),
            Record.FILE: str(paths.review_file(profile, dataset)
                             .relative_to(paths.results_dir(profile))),
        }
    return numbers
