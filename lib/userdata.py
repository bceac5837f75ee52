"""A user's own labelled audio: checked whole, then copied into the layout autrainer reads.

A user brings audio in either common convention:

- a folder of clips and a CSV with the columns ``file`` (relative to the folder) and ``label``,
  optionally ``split`` (train, dev or test) and ``group`` (a speaker, a session: no group may
  span two splits); every further column is kept as a covariate of its clip;
- class subfolders, ``<folder>/<label>/<clip>`` (deeper folders belong to their top one).

Any format libsndfile reads (wav, flac, ogg, mp3, aiff), any sample rate, channel count and
length. The whole input is checked before anything is written, and every problem is one line
naming the file and the fix (:class:`ImportRefused` carries them all); with ``drop_bad`` the
files with a problem are left out, and listed in the manifest, instead. The user's files are
only read. The copy, in ``data/<profile>/<name>/``, is what training reads: 16 kHz mono clips
of one length (:func:`lib.audio.fit_clip`), ``train.csv``/``dev.csv``/``test.csv`` (``path``,
``label``) and ``metadata.csv`` (the source file, the given label, whether the label was flipped
here as ground truth, the source's duration, rate and channels, and the user's covariates).
"""
from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from lib import audio, paths
from lib.datasets import build_once, read_manifest
from lib.groundtruth import FLIPPED_COLUMN, GIVEN_LABEL_COLUMN

#: The columns of a user's CSV this module reads; any other column is a covariate.
FILE, LABEL, SPLIT, GROUP = "file", "label", "split", "group"
SPLITS = ("train", "dev", "test")
#: File endings taken for audio in class subfolders (a CSV may name any file libsndfile reads).
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au")
#: The rate every clip is resampled to: the PANNs log-mel's, as the paper's configs.
SAMPLE_RATE = 16000
#: Clip lengths chosen from the data are rounded up to this step and kept within the bounds.
CLIP_STEP_SECONDS = 0.1
MIN_CLIP_SECONDS, MAX_CLIP_SECONDS = 0.5, 30.0
#: The copy's own columns: the source file under the user's folder, the label the user gave
#: (:data:`lib.groundtruth.GIVEN_LABEL_COLUMN`), its source's length, rate and channels. A
#: column of the user's CSV may not take one of these names.
SOURCE_COLUMN = "source_file"
OWN_COLUMNS = ("path", SOURCE_COLUMN, GIVEN_LABEL_COLUMN, FLIPPED_COLUMN, "source_seconds",
               "source_sample_rate", "source_channels")


@dataclass(frozen=True)
class Source:
    """What a user points at: a folder of clips, and a CSV of labels (None: class subfolders)."""
    audio: Path
    labels: Path | None = None


@dataclass(frozen=True)
class ImportSettings:
    """How the copy is made; every field is a profile parameter."""
    clip_seconds: float = 0.0          # 0: the clip_percentile of the durations
    clip_percentile: float = 90.0
    dev_share: float = 0.1             # used only where the CSV gives no split
    test_share: float = 0.1
    flip_fraction: float = 0.0         # share of training labels flipped as ground truth
    seed: int = 0
    drop_bad: bool = False


def source_of(values: dict) -> Source:
    """The user's input a profile names (``USER_AUDIO``, ``USER_LABELS``; relative paths are
    read from the repository root, ``~`` expanded)."""
    def resolved(path: str) -> Path:
        given = Path(path).expanduser()
        return given if given.is_absolute() else paths.ROOT / given
    return Source(resolved(values["USER_AUDIO"]),
                  resolved(values["USER_LABELS"]) if values["USER_LABELS"] else None)


def settings_of(values: dict) -> ImportSettings:
    """How a profile asks for the copy to be made."""
    dev, test = values["SPLIT_SHARES"]
    return ImportSettings(clip_seconds=values["CLIP_SECONDS"],
                          clip_percentile=values["CLIP_PERCENTILE"], dev_share=dev,
                          test_share=test, flip_fraction=values["FLIP_FRACTION"],
                          seed=values["DATA_SEED"], drop_bad=values["DROP_BAD_FILES"])


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (a file, or None for the whole input), what, and
    the fix. Only a problem with a file can be dropped."""
    where: str
    what: str
    fix: str
    file: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.what} ({self.fix})"

    def in_folder(self) -> str:
        """The line with the file as named inside the audio folder (no machine path), for the
        book's list of dropped files."""
        return f"{self.file or self.where}: {self.what} ({self.fix})"


class ImportRefused(ValueError):
    """The input has problems; the message lists every one, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the "
                         "input, nothing imported:\n" + "\n".join(f"  {p}" for p in problems))


# --- Reading what the user brings ---------------------------------------------------------------

def _listing_from_csv(source: Source) -> tuple[pd.DataFrame, list[Problem]]:
    file = source.labels
    assert file is not None
    where = str(file)
    if not file.is_file():
        return pd.DataFrame(), [Problem(where, "labels file does not exist", "check the path")]
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        reason = str(err).splitlines()[0][:100]
        return pd.DataFrame(), [Problem(where, f"not a readable CSV ({reason})",
                                        "save it as comma-separated UTF-8 text")]
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in (FILE, LABEL) if c not in table.columns]
    if missing:
        return pd.DataFrame(), [Problem(where, f"no column {missing[0]!r} (columns: "
                                        f"{', '.join(table.columns)})",
                                        f"name the columns {FILE!r} and {LABEL!r}")]
    if table.empty:
        return pd.DataFrame(), [Problem(where, "no rows", "list one clip per row")]
    problems = [Problem(where, f"column {column!r} is a name the book's copy uses",
                        "rename the column") for column in table.columns if column in OWN_COLUMNS]
    for column in (FILE, LABEL, SPLIT, GROUP):
        if column in table:
            table[column] = table[column].str.strip()
    for row, entry in enumerate(table.itertuples(index=False), start=2):
        name = getattr(entry, FILE)
        at = f"{where}, line {row}"
        if not name:
            problems.append(Problem(at, "empty file name", "name the clip or delete the row"))
        elif not getattr(entry, LABEL):
            problems.append(Problem(f"{at} ({name})", "empty label", "give its class",
                                    file=name))
        if SPLIT in table and getattr(entry, SPLIT) not in SPLITS:
            problems.append(Problem(f"{at} ({name})", f"unknown split "
                                    f"{getattr(entry, SPLIT)!r}", f"use one of "
                                    f"{', '.join(SPLITS)}", file=name or None))
    repeated = table[FILE][table[FILE].duplicated() & (table[FILE] != "")]
    for name in dict.fromkeys(repeated):
        lines = [str(i + 2) for i in table.index[table[FILE] == name]]
        problems.append(Problem(f"{where} ({name})", f"listed {len(lines)} times (lines "
                                f"{', '.join(lines)})", "keep one row per clip", file=name))
    table = table[table[FILE] != ""].drop_duplicates(FILE)
    return table.reset_index(drop=True), problems


def _listing_from_folders(source: Source) -> tuple[pd.DataFrame, list[Problem]]:
    rows, problems = [], []
    for file in sorted(p for p in source.audio.rglob("*") if p.is_file()):
        if file.suffix.lower() not in AUDIO_SUFFIXES or file.name.startswith("."):
            continue
        relative = file.relative_to(source.audio)
        if len(relative.parts) == 1:
            problems.append(Problem(str(file), "not inside a class folder",
                                    f"move it to {source.audio}/<label>/, or list it in a "
                                    "labels CSV", file=str(relative)))
            continue
        rows.append({FILE: str(relative), LABEL: relative.parts[0]})
    if not rows and not problems:
        problems.append(Problem(str(source.audio), "no audio files in class subfolders",
                                "put clips in <folder>/<label>/ or give a labels CSV"))
    return pd.DataFrame(rows, columns=[FILE, LABEL]), problems


def read_listing(source: Source) -> tuple[pd.DataFrame, list[Problem]]:
    """The user's clips, one row each (``file``, ``label`` and any further columns), with the
    problems of the listing itself."""
    if not source.audio.is_dir():
        return pd.DataFrame(), [Problem(str(source.audio), "audio folder does not exist",
                                        "check the path")]
    return (_listing_from_csv(source) if source.labels is not None
            else _listing_from_folders(source))


# --- Checking every clip ------------------------------------------------------------------------

@dataclass(frozen=True)
class ClipFacts:
    """What decoding one clip found: its length, rate, channels and a digest of its samples
    (identical audio, even in two formats, has one digest)."""
    seconds: float
    sample_rate: int
    channels: int
    digest: str


def _decode(path: Path) -> tuple[np.ndarray, int]:
    return sf.read(str(path), dtype="float32", always_2d=True)


def inspect_clip(path: Path) -> ClipFacts | str:
    """One clip's facts, or what is wrong with it (missing, empty, unreadable, no samples,
    samples that are not finite)."""
    if not path.is_file():
        return "file does not exist"
    if path.stat().st_size == 0:
        return "empty file (0 bytes)"
    try:
        data, rate = _decode(path)
    except Exception as err:  # libsndfile raises several types for unreadable data
        reason = str(err).strip().splitlines()[0].rsplit(": ", 1)[-1][:80] if str(err) else ""
        return f"not readable as audio{f' ({reason})' if reason else ''}"
    if data.size == 0:
        return "no audio samples (zero length)"
    bad = int(np.count_nonzero(~np.isfinite(data)))
    if bad:
        return f"{bad} of {data.size} samples are NaN or infinite"
    digest = hashlib.sha1(audio.to_mono(data).astype(np.float32).tobytes()).hexdigest()
    return ClipFacts(len(data) / rate, rate, data.shape[1], digest)


def _facts(source: Source, listing: pd.DataFrame, progress: bool
           ) -> tuple[dict[str, ClipFacts], list[Problem]]:
    found, problems = {}, []
    for name in tqdm(listing[FILE], desc="checking your clips", unit="clip",
                     disable=not progress, mininterval=2):
        facts = inspect_clip(source.audio / name)
        if isinstance(facts, str):
            fix = ("check the path in the labels CSV" if facts == "file does not exist"
                   else "replace or remove the file")
            problems.append(Problem(str(source.audio / name), facts, fix, file=name))
        else:
            found[name] = facts
    return found, problems


def _identical_audio(root: Path, listing: pd.DataFrame, facts: dict[str, ClipFacts]
                     ) -> list[Problem]:
    """Identical audio under two labels, or (where the user gave splits) in train and test."""
    problems = []
    table = listing[listing[FILE].isin(facts)].assign(
        digest=lambda t: t[FILE].map(lambda f: facts[f].digest))
    for _, same in table.groupby("digest"):
        if len(same) < 2:
            continue
        files = list(same[FILE])
        if same[LABEL].nunique() > 1:
            labels = ", ".join(f"{f} ({lab})" for f, lab in zip(files, same[LABEL]))
            problems += [Problem(str(root / f), "identical audio under two labels: " + labels,
                                 "keep the one with the right label", file=f)
                         for f in files[1:]]
        elif SPLIT in same and {"train", "test"} <= set(same[SPLIT]):
            problems += [Problem(str(root / f), "identical audio in train and test: "
                                 + ", ".join(files),
                                 "keep one copy, or put both in one split", file=f)
                         for f in same[FILE][same[SPLIT] == "test"]]
    return problems


def _groups_across_splits(listing: pd.DataFrame) -> list[Problem]:
    if GROUP not in listing or SPLIT not in listing:
        return []
    problems = []
    known = listing[(listing[GROUP] != "") & listing[SPLIT].isin(SPLITS)]
    for group, part in known.groupby(GROUP):
        if part[SPLIT].nunique() > 1:
            spread = ", ".join(f"{s}: {n}" for s, n in part[SPLIT].value_counts().items())
            problems.append(Problem(f"group {group!r}", f"in more than one split ({spread} "
                                    "clips)", "put all of its clips in one split"))
    return problems


def _too_few(listing: pd.DataFrame) -> list[Problem]:
    """Classes that cannot fill their splits: under three clips, or (given splits) none in
    train, or a class of dev or test that train does not know."""
    problems = []
    counts = listing[LABEL].value_counts()
    for label, count in counts[counts < len(SPLITS)].items():
        problems.append(Problem(f"class {label!r}", f"{count} clip{'s' if count > 1 else ''}, "
                                f"fewer than its {len(SPLITS)} splits need",
                                "add clips or merge the class into another"))
    if SPLIT in listing:
        trained = set(listing.loc[listing[SPLIT] == "train", LABEL])
        for label in sorted(set(listing[LABEL]) - trained):
            if counts[label] >= len(SPLITS):
                problems.append(Problem(f"class {label!r}", "no clip in the train split",
                                        "move some of its clips to train"))
    return problems


#: Column names of the tables that hold a column per class (class probabilities beside the
#: sample, its label, fold and prediction): a class may not take one of them.
TABLE_COLUMNS = frozenset({"sample_id", "label", "fold", "filename", "prediction", "predicted",
                           "confidence", "warning", "error", "output"})


def _unusable_names(listing: pd.DataFrame) -> list[Problem]:
    """Class names that CSV readers (pandas, hence autrainer) take for a missing value, as NA,
    or that a table with a column per class already uses for another column."""
    def read_back(label: str) -> Any:
        return pd.read_csv(io.StringIO(f"{LABEL}\n{label}\n"), dtype=str)[LABEL].iloc[0]

    problems = []
    for label in sorted(set(listing[LABEL]) - {""}):
        if pd.isna(read_back(label)):
            problems.append(Problem(f"class {label!r}", "reads as a missing value in CSV "
                                    "tools (pandas, autrainer)",
                                    f"rename the class, e.g. {label + '_'!r}"))
        elif label in TABLE_COLUMNS:
            problems.append(Problem(f"class {label!r}", "is a column name of the book's tables "
                                    "of class probabilities",
                                    f"rename the class, e.g. {label + '_'!r}"))
    return problems


def check(source: Source, progress: bool = True
          ) -> tuple[pd.DataFrame, dict[str, ClipFacts], list[Problem]]:
    """Read and check the whole input; the listing, each readable clip's facts, and every
    problem found (none raised: the caller decides)."""
    listing, problems = read_listing(source)
    if listing.empty:
        return listing, {}, problems
    facts, unreadable = _facts(source, listing, progress)
    problems += unreadable
    problems += _identical_audio(source.audio, listing, facts)
    problems += _groups_across_splits(listing)
    problems += _unusable_names(listing)
    droppable = {p.file for p in problems if p.file}
    problems += _too_few(listing[~listing[FILE].isin(droppable)])
    return listing, facts, problems


# --- Splits, flipped labels, clip length --------------------------------------------------------

def split_clips(listing: pd.DataFrame, facts: dict[str, ClipFacts], dev_share: float,
                test_share: float, seed: int) -> pd.Series:
    """A split per clip, stratified by label and grouped (by ``group``; identical audio is one
    group too), seeded: each group goes, largest first, to the split furthest below its share of
    the group's (main) label, a split still without that label first where the group fits in
    its share; so every class with three small enough groups has a clip in each split."""
    shares = {"test": test_share, "dev": dev_share, "train": 1 - dev_share - test_share}
    groups = (listing[GROUP].where(listing[GROUP] != "", listing[FILE]) if GROUP in listing
              else listing[FILE].copy())
    digest = listing[FILE].map(lambda f: facts[f].digest if f in facts else f)
    first_of_digest = groups.groupby(digest).transform("first")
    groups = first_of_digest.where(digest.duplicated(keep=False), groups)
    members = listing.assign(group_key=groups.values)
    label_totals = members[LABEL].value_counts()
    order = members.groupby("group_key")[LABEL].agg(lambda labels: labels.value_counts().index[0])
    sizes = members.groupby("group_key").size()
    rng = np.random.default_rng(seed)
    keys = list(rng.permutation(sorted(order.index)))
    keys.sort(key=lambda key: -sizes[key])  # stable: ties keep the seeded order
    filled = {split: pd.Series(0, index=label_totals.index) for split in shares}
    assigned = {}
    for key in keys:
        label, size = order[key], sizes[key]
        target = {split: shares[split] * label_totals[label] for split in shares}
        deficit = {split: target[split] - filled[split][label] for split in shares}
        # a split still without this class comes first, where the group fits in its share
        missing = [split for split in shares if shares[split] > 0
                   and filled[split][label] == 0 and size <= max(1.0, target[split] + 0.5)]
        split = max(missing or [s for s in shares if shares[s] > 0],
                    key=lambda s: (deficit[s], -list(shares).index(s)))
        assigned[key] = split
        filled[split][label] += size
    return pd.Series([assigned[g] for g in groups], index=listing.index, name=SPLIT)


def flip_labels(labels: pd.Series, train: pd.Series, fraction: float, seed: int) -> pd.Series:
    """Labels with a seeded ``fraction`` of the training clips given another class, drawn
    uniformly: the ground truth of label noise on the user's own data."""
    flipped = labels.copy()
    candidates = labels.index[train.values]
    count = int(round(fraction * len(candidates)))
    if count == 0:
        return flipped
    rng = np.random.default_rng(seed + 1)
    classes = sorted(labels.unique())
    for index in rng.choice(candidates, size=count, replace=False):
        others = [c for c in classes if c != labels[index]]
        flipped[index] = others[rng.integers(len(others))]
    return flipped


def clip_seconds(durations: pd.Series, settings: ImportSettings) -> float:
    """The length every clip is cut or padded to: the setting, or the chosen percentile of the
    durations rounded up to :data:`CLIP_STEP_SECONDS`, within the bounds."""
    if settings.clip_seconds:
        return float(settings.clip_seconds)
    chosen = float(np.percentile(durations, settings.clip_percentile))
    chosen = math.ceil(round(chosen / CLIP_STEP_SECONDS, 6)) * CLIP_STEP_SECONDS
    return round(min(max(chosen, MIN_CLIP_SECONDS), MAX_CLIP_SECONDS), 3)


# --- The copy -----------------------------------------------------------------------------------

def sample_path(file: str) -> str:
    """A clip's path in the copy (its sample id): the user's relative path, as wav."""
    return file if file.lower().endswith(".wav") else f"{file}.wav"


#: How the copy is read, in its fingerprint: a new one rebuilds the copy, and so retrains the
#: runs made from an older one (2: class names read as text, so 007 is no longer 7).
COPY_VERSION = 2


def _fingerprint(source: Source, listing: pd.DataFrame, settings: ImportSettings) -> str:
    """What the copy depends on: the settings, the labels file, each clip's size and time, and
    :data:`COPY_VERSION`."""
    digest = hashlib.sha256(json.dumps([asdict(settings), COPY_VERSION],
                                       sort_keys=True).encode())
    if source.labels is not None:
        digest.update(source.labels.read_bytes())
    for name in sorted(listing[FILE]):
        file = source.audio / name
        if file.is_file():
            stat = file.stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        else:
            digest.update(f"{name}\0missing\n".encode())
    return digest.hexdigest()[:16]


def import_dataset(source: Source, root: Path, name: str, settings: ImportSettings,
                   progress: bool = True, log: Callable[[str], None] = print) -> Path:
    """Check the user's input and copy it to ``root`` (``data/<profile>/<name>``), or raise
    :class:`ImportRefused` listing every problem. An earlier copy of the same input (the same
    listing, each file's size and time, the same settings) is reused without decoding a clip:
    it was checked when it was made."""
    listing, _ = read_listing(source)
    fingerprint = _fingerprint(source, listing, settings) if not listing.empty else None
    if fingerprint and (read_manifest(root) or {}).get("fingerprint") == fingerprint:
        log(f"{name}: reusing {paths.relative(root)} (fingerprint {fingerprint}: the input and "
            "the settings are unchanged)")
        return root
    listing, facts, problems = check(source, progress)
    fatal = [p for p in problems if not (settings.drop_bad and p.file)]
    if fatal or listing.empty:
        raise ImportRefused(fatal or problems)
    dropped = [p.in_folder() for p in problems]
    kept = listing[~listing[FILE].isin({p.file for p in problems})].reset_index(drop=True)
    if problems:
        log(f"{name}: dropping {len(problems)} file(s) with problems (DROP_BAD_FILES):")
        for problem in problems:
            log(f"  {problem}")
    again = _too_few(kept) if dropped else []
    if again:
        raise ImportRefused(again)
    given_splits = SPLIT in kept and (kept[SPLIT] != "").all()
    splits = (kept[SPLIT] if given_splits else
              split_clips(kept, facts, settings.dev_share, settings.test_share, settings.seed))
    seconds = clip_seconds(kept[FILE].map(lambda f: facts[f].seconds), settings)
    labels = flip_labels(kept[LABEL], splits == "train", settings.flip_fraction, settings.seed)

    def build(partial: Path) -> dict:
        covariates = [c for c in kept.columns if c not in (FILE, LABEL, SPLIT)]
        table = pd.DataFrame({"path": kept[FILE].map(sample_path), "label": labels,
                              SPLIT: splits})
        for file, clip in tqdm(list(zip(kept[FILE], table["path"])), desc="copying your clips",
                               unit="clip", disable=not progress, mininterval=2):
            data, rate = _decode(source.audio / file)
            signal = audio.resample(audio.to_mono(data), rate, SAMPLE_RATE)
            audio.write(partial / "default" / clip, audio.fit_clip(signal, SAMPLE_RATE, seconds),
                        SAMPLE_RATE)
        for split in SPLITS:
            table.loc[table[SPLIT] == split, ["path", "label"]].to_csv(
                partial / f"{split}.csv", index=False)
        metadata = pd.DataFrame({
            "path": table["path"], SOURCE_COLUMN: kept[FILE], "label": labels,
            GIVEN_LABEL_COLUMN: kept[LABEL],
            FLIPPED_COLUMN: labels != kept[LABEL], SPLIT: splits,
            "source_seconds": kept[FILE].map(lambda f: round(facts[f].seconds, 4)),
            "source_sample_rate": kept[FILE].map(lambda f: facts[f].sample_rate),
            "source_channels": kept[FILE].map(lambda f: facts[f].channels),
            **{c: kept[c] for c in covariates}})
        metadata.to_csv(partial / "metadata.csv", index=False)
        return {"source": {"audio": str(source.audio),
                           "labels": None if source.labels is None else str(source.labels)},
                "clip_seconds": seconds, "sample_rate": SAMPLE_RATE,
                "splits_given": bool(given_splits), "settings": asdict(settings),
                "clips": int(len(table)), "flipped": int(metadata[FLIPPED_COLUMN].sum()),
                "dropped": dropped}

    return build_once(root, name, fingerprint, build, log=log)
