"""The study's datasets: their on-disk layouts as autrainer reads them, and checks of a tree.

Two are real (downloaded by autrainer's own ``download()``; needs the internet) and two are
generated here in exactly the same layouts, so the real loading code runs on them:
``OfflineKeywords`` (SpeechCommands layout) and ``SyntheticScenes`` (DCASE2020Task1A layout).
Any other name is a user's own labelled audio, copied by :mod:`lib.userdata` into one generic
layout (:func:`user_layout`); :func:`layout_of` answers for every name.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
from tqdm.auto import tqdm

from lib import audio, paths


class DatasetError(ValueError):
    """A dataset tree that autrainer would misread; one line naming the file."""


@dataclass(frozen=True)
class DatasetLayout:
    name: str
    autrainer_class: str          # the real dataset class that loads the tree
    index_column: str             # sample id: the audio path relative to ``default/``
    target_column: str
    splits: tuple[str, ...]       # CSV files present on disk (DCASE carves dev from train)
    columns: tuple[str, ...]
    sample_rate: int
    seconds: float                # minimum clip length accepted
    generated: bool
    #: Dataset-specific autrainer arguments, as in the paper's dataset configs.
    autrainer_args: dict[str, Any] = field(default_factory=dict)
    #: Covariates per sample (only for generated sets), keyed by the index column.
    metadata_file: str | None = None
    #: The paper's dataset a generated set stands in for (its published numbers are the yardstick).
    stands_in_for: str | None = None
    #: A user's own labelled audio, imported by :mod:`lib.userdata`.
    user: bool = False
    #: The length every training clip has (the keyword set's, SpeechCommands' 1 s words); None
    #: where clips keep their own length (scenes) or it is the user's (:func:`clip_seconds`).
    fixed_seconds: float | None = None

    @property
    def paper_dataset(self) -> str | None:
        """The paper's dataset this one is or stands in for, whose published numbers are its
        yardstick; None for a user's own."""
        return None if self.user else self.stands_in_for or self.name


_SPEECH_COMMANDS_COLUMNS = ("path", "sample_rate", "label", "speaker_id", "utterance_number")
_DCASE_COLUMNS = ("filename", "scene_label", "city", "location", "segment", "device")
_DCASE_ARGS = {"dev_split": 0.1, "dev_split_seed": 0,
               "stratify": ["scene_label", "city", "device"]}

#: The offline stand-ins this project generates: the keyword set (lib.keywords) and the tiny
#: scene tree (lib.scenes); and the paper's datasets they stand in for.
KEYWORD_SET = "OfflineKeywords"
SCENE_SET = "SyntheticScenes"
SPEECH_COMMANDS = "SpeechCommands"
DCASE = "DCASE2020Task1A"

#: Every dataset a profile may name, by name: the offline stand-ins first, then the real ones.
LAYOUTS: dict[str, DatasetLayout] = {layout.name: layout for layout in (
    DatasetLayout(
        KEYWORD_SET, "autrainer.datasets.SpeechCommands", "path", "label",
        ("train", "dev", "test"), _SPEECH_COMMANDS_COLUMNS, 16000, 1.0, True,
        metadata_file="metadata.csv", stands_in_for=SPEECH_COMMANDS, fixed_seconds=1.0),
    DatasetLayout(
        SCENE_SET, "autrainer.datasets.DCASE2020Task1A", "filename", "scene_label",
        # its clips last SCENE_SECONDS (the real data's 10 s, shorter in the smoke profile)
        ("train", "test"), _DCASE_COLUMNS, 44100, 1.0, True, dict(_DCASE_ARGS),
        stands_in_for=DCASE),
    DatasetLayout(
        SPEECH_COMMANDS, "autrainer.datasets.SpeechCommands", "path", "label",
        ("train", "dev", "test"), _SPEECH_COMMANDS_COLUMNS, 16000, 0.05, False,
        fixed_seconds=1.0),
    DatasetLayout(
        DCASE, "autrainer.datasets.DCASE2020Task1A", "filename", "scene_label",
        ("train", "test"), _DCASE_COLUMNS, 44100, 10.0, False, dict(_DCASE_ARGS)),
)}


def user_layout(name: str) -> DatasetLayout:
    """The layout of a user's own dataset as :mod:`lib.userdata` copies it: 16 kHz mono clips
    of one length under ``default/``, three split tables (``path``, ``label``) and per-clip
    covariates, read by autrainer's generic CSV dataset with class names kept as text
    (:class:`lib.toolkit.own_data.OwnClassificationDataset`)."""
    return DatasetLayout(name, "lib.toolkit.own_data.OwnClassificationDataset", "path", "label",
                         ("train", "dev", "test"), ("path", "label"), 16000, 0.0, True,
                         metadata_file="metadata.csv", user=True)


def layout_of(name: str) -> DatasetLayout:
    """A dataset's layout: one of :data:`LAYOUTS`, else a user's own (:func:`user_layout`);
    which names a profile may use is the profile's check (:mod:`lib.profiles`)."""
    return LAYOUTS.get(name) or user_layout(name)


#: Audiences of the book's parts: prose and code about the keyword set's covariates, the scene
#: tree, the paper's datasets and published numbers, a user's own data, the compendium's own
#: datasets (the stand-ins and the paper's, so any but a user's), or the paper's real datasets
#: as downloaded. A notebook cell tagged with
#: one is left out of every other profile's notebook (lib.run), the book's parameter boxes leave
#: out such parameters, and its fixed pages show a ``{only}`` block or a page only where its
#: audience's Sphinx tag (:func:`sphinx_tag`) is set (lib.book).
CELL_AUDIENCES: dict[str, Callable[[list[str]], bool]] = {
    "keyword-set": lambda names: KEYWORD_SET in names,
    "scene-set": lambda names: SCENE_SET in names,
    "paper-data": lambda names: any(layout_of(name).paper_dataset for name in names),
    "own-data": lambda names: any(layout_of(name).user for name in names),
    "compendium-data": lambda names: any(not layout_of(name).user for name in names),
    "published-data": lambda names: any(not layout_of(name).generated for name in names),
}


#: The environment variable that hands a profile's audiences (their Sphinx tags, comma
#: separated) from lib.book to the book's extension (book/_ext/offline_book.py), which sets
#: them as tags for the fixed pages' ``{only}`` blocks.
AUDIENCES_VARIABLE = "COMPENDIUM_AUDIENCES"


def audiences(names: list[str]) -> list[str]:
    """The audiences (:data:`CELL_AUDIENCES`) a profile of these datasets belongs to."""
    return [audience for audience, applies in CELL_AUDIENCES.items() if applies(names)]


def sphinx_tag(audience: str) -> str:
    """An audience's Sphinx tag, for ``{only}`` blocks of the fixed pages (``own-data``:
    ``own_data``; a tag expression reads a hyphen as minus)."""
    return audience.replace("-", "_")


def cell_applies(tags: list[str], names: list[str]) -> bool:
    """Whether a notebook cell with these tags belongs in a profile of these datasets."""
    return all(CELL_AUDIENCES[tag](names) for tag in tags if tag in CELL_AUDIENCES)


def clip_seconds(profile: str, name: str) -> float | None:
    """The length of a dataset's training clips, to which inference shapes new audio
    (:func:`lib.audio.fit_clip`); None where clips keep their own length."""
    layout = layout_of(name)
    if layout.user:
        return (read_manifest(paths.dataset_dir(profile, name)) or {}).get("clip_seconds")
    return layout.fixed_seconds


def data_fingerprint(profile: str, name: str) -> str:
    """What a dataset looks like now: a generated set by its manifest, a real one by its
    tables (name, size, modification time). Runs and notebooks are redone when it changes."""
    root = paths.dataset_dir(profile, name)
    manifest = read_manifest(root) or {}
    tables = sorted(root.glob("*.csv"))
    return json.dumps([manifest.get("fingerprint"),
                       [(t.name, t.stat().st_size, t.stat().st_mtime_ns) for t in tables]])


#: Columns that name a sample or a class in the tables the compendium writes.
NAME_COLUMNS = ("sample_id", "label")


def read_named_csv(file: Path, names: tuple[str, ...] = (), **options: Any) -> pd.DataFrame:
    """A CSV with its sample and class names (:data:`NAME_COLUMNS` and ``names``) read as text,
    as written: a class named 007 stays 007 (pandas alone reads the number 7 when every name in
    a column is a number). ``options`` go to :func:`pandas.read_csv`."""
    header = pd.read_csv(file, nrows=0).columns
    text = {column: str for column in (*NAME_COLUMNS, *names) if column in header}
    return pd.read_csv(file, dtype=text, **options)


def read_split(root: Path, layout: DatasetLayout, split: str, as_text: bool = False,
               ) -> pd.DataFrame:
    """One split's table, with a one-line error for a missing file or column; ``as_text``
    keeps every cell as written (to write the table back unchanged)."""
    file = root / f"{split}.csv"
    if not file.is_file():
        raise DatasetError(f"{paths.relative(file)}: missing split file")
    try:
        table = (pd.read_csv(file, dtype=str, keep_default_na=False) if as_text
                 else read_named_csv(file, (layout.index_column, layout.target_column)))
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as err:
        raise DatasetError(f"{paths.relative(file)}: unreadable CSV ({err})") from None
    missing = [c for c in layout.columns if c not in table.columns]
    if missing:
        raise DatasetError(f"{paths.relative(file)}: missing column {missing[0]!r}")
    if table.empty:
        raise DatasetError(f"{paths.relative(file)}: no rows")
    repeated = table[layout.index_column][table[layout.index_column].duplicated()]
    if not repeated.empty:
        raise DatasetError(f"{paths.relative(file)}: sample {repeated.iloc[0]!r} listed twice")
    return table


def read_tables(root: Path, layout: DatasetLayout) -> dict[str, pd.DataFrame]:
    """All split tables; dev/test classes must be known from train."""
    tables = {split: read_split(root, layout, split) for split in layout.splits}
    known = set(tables["train"][layout.target_column])
    seen: dict[str, str] = {}
    for split, table in tables.items():
        for sample in table[layout.index_column]:
            if sample in seen:
                raise DatasetError(f"{paths.relative(root / f'{split}.csv')}: sample {sample!r} "
                                   f"is also in {seen[sample]}.csv")
            seen[sample] = split
    for split, table in tables.items():
        unknown = sorted(set(table[layout.target_column]) - known)
        if unknown:
            raise DatasetError(f"{paths.relative(root / f'{split}.csv')}: unknown class "
                               f"{unknown[0]!r} (not in train.csv)")
    return tables


def check_tree(root: Path, layout: DatasetLayout, progress: bool = True,
               log: Callable[[str], None] = print) -> dict[str, int]:
    """Check tables and decode every clip of a tree (:func:`lib.audio.inspect`: unreadable or
    non-finite audio fails with one line naming the file; silent clips are counted in one
    warning line); return the clip count per split."""
    if not root.is_dir():
        raise DatasetError(f"{paths.relative(root)}: dataset folder does not exist "
                           f"(run `make data`)")
    tables = read_tables(root, layout)
    files = [f for table in tables.values() for f in table[layout.index_column]]
    flagged = []
    for file in tqdm(files, desc=f"checking {layout.name} audio", disable=not progress,
                     unit="clip", mininterval=2):
        warnings = audio.inspect(root / "default" / file, min_seconds=layout.seconds,
                                 **({"sample_rate": layout.sample_rate, "channels": 1}
                                    if layout.generated else {}))
        flagged += [f"{file}: {warning}" for warning in warnings]
    if flagged:
        log(f"warning: {layout.name}: {len(flagged)} clips flagged, e.g. {flagged[0]}")
    return {split: len(table) for split, table in tables.items()}


def load_metadata(root: Path, layout: DatasetLayout, names: tuple[str, ...] = ()
                  ) -> pd.DataFrame | None:
    """Per-sample covariates of a generated set, indexed by sample id; None for real sets.
    ``names``: further columns that name a class, read as text."""
    if layout.metadata_file is None:
        return None
    file = root / layout.metadata_file
    if not file.is_file():
        raise DatasetError(f"{paths.relative(file)}: missing metadata file")
    return read_named_csv(file, (layout.index_column, layout.target_column, *names)
                          ).set_index(layout.index_column)


def _sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def read_manifest(root: Path) -> dict[str, Any] | None:
    file = root / "manifest.json"
    return json.loads(file.read_text()) if file.is_file() else None


def build_once(root: Path, name: str, fingerprint: str, build: Callable[[Path], dict[str, Any]],
               reuse_if: Callable[[dict[str, Any]], bool] = lambda manifest: True,
               log: Callable[[str], None] = print) -> Path:
    """Generate a dataset tree unless an identical one is already at ``root``.

    ``build`` writes into a sibling ``.partial`` folder and returns facts for the manifest;
    the folder replaces ``root`` only when complete, so an interrupted or failed run never
    leaves a half-written dataset, and the previous one stays until the new one is ready.
    """
    manifest = read_manifest(root)
    if manifest and manifest.get("fingerprint") == fingerprint and reuse_if(manifest):
        log(f"{name}: reusing {paths.relative(root)} (fingerprint {fingerprint})")
        return root
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    facts = build(partial)
    manifest = {"dataset": name, "fingerprint": fingerprint, **facts,
                "audio_sha256": _sha256(sorted((partial / "default").rglob("*.wav"))),
                "tables_sha256": {f.name: _sha256([f]) for f in sorted(partial.glob("*.csv"))}}
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    if root.exists():
        shutil.rmtree(root)
    partial.rename(root)
    return root
