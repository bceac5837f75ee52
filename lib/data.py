"""Prepare a profile's datasets (generate or download, check, extract log-mels) and describe them.

``python -m lib.data --profile demo`` is what ``make data`` runs. Generated sets are reused when
their parameters have not changed; real sets are downloaded by autrainer's own ``download()``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lib import (groundtruth, keywords, paths, profiles, projection, realspeech, scenes, toolkit,
                 userdata)
from lib.datasets import (KEYWORD_SET, SCENE_SET, DatasetError, check_tree, layout_of,
                          load_metadata, read_manifest, read_tables)
from lib.record import Data


class DownloadError(RuntimeError):
    """A real dataset could not be downloaded; one line naming it and why."""


def _download(name: str, root: Path) -> None:
    """autrainer's real download: needs the internet (Zenodo / torchaudio's mirror)."""
    if (root / "default").is_dir():
        return
    try:
        toolkit.download(layout_of(name), root)
    except Exception as err:  # network errors come in many types
        raise DownloadError(f"{paths.relative(root)}: downloading {name} failed "
                            f"({type(err).__name__}: {str(err).splitlines()[0][:120]}); "
                            "it needs the internet, or place the data there in the same "
                            "layout") from None


def _say_projection(profile: str, params: dict[str, Any], name: str, root: Path) -> None:
    """Before anything trains: the minutes the book of a user's dataset is projected to take
    here (:mod:`lib.projection`), and the sizes the profile chose."""
    layout = layout_of(name)
    table = read_tables(root, layout)["train"]
    train, classes = len(table), table[layout.target_column].nunique()
    seconds = (read_manifest(root) or {})["clip_seconds"]
    kept = paths.data_dir(profile) / "step_rates.json"
    rates, measured = projection.cached_rates(kept, projection.rated_models(params),
                                                  seconds, params["BATCH_SIZE"],
                                                  params["PRECISION"])
    projected = projection.project(params, train, seconds, params["FLIP_FRACTION"] > 0,
                                   classes, rates)
    print(f"{name}: {train} training clips of {seconds:g} s in {classes} classes; "
          f"MODELS {params['MODELS']}, "
          f"SEEDS {params['SEEDS']}, EPOCHS {params['EPOCHS']} "
          f"(notebooks/profiles/{profile}.yaml)")
    before = f"measured here before: {paths.relative(kept)}"
    when = ("measured now" if len(measured) == len(rates) else before if not measured
            else f"{', '.join(measured)} measured now, the rest {before}")
    for line in projected.lines(when):
        print(f"  {line}")


def prepare(profile: str) -> dict[str, dict[str, int]]:
    """Make every dataset of the profile ready for training; return clip counts."""
    params = profiles.load(profile)
    counts = {}
    for name in params["DATASETS"]:
        root = paths.dataset_dir(profile, name)
        if layout_of(name).user:
            source = userdata.source_of(params)
            if source.audio == realspeech.EXAMPLE_PROMPTS:  # the project's example, made here
                realspeech.write_prompts(source.audio, realspeech.EXAMPLE_PER_CLASS)
            userdata.import_dataset(source, root, name, userdata.settings_of(params))
            _say_projection(profile, params, name, root)
        elif name == KEYWORD_SET:
            keywords.generate(keywords.KeywordSetSpec.from_profile(params), root)
        elif name == SCENE_SET:
            scenes.generate(params["SCENE_CLIPS_PER_CLASS"], params["NOISE_SOURCES"],
                            params["DATA_SEED"], root, seconds=params["SCENE_SECONDS"])
        else:
            _download(name, root)
        counts[name] = check_tree(root, layout_of(name))
        print(f"{name}: checked {sum(counts[name].values())} clips "
              f"({', '.join(f'{s} {n}' for s, n in counts[name].items())})")
    toolkit.preprocess(profile, params["DATASETS"])
    print(f"log-mel features ({toolkit.FEATURES}) ready for {', '.join(params['DATASETS'])}")
    return counts


def class_counts(profile: str, name: str) -> pd.DataFrame:
    """Clips per class (rows) and split (columns), as autrainer will see them."""
    layout = layout_of(name)
    tables = read_tables(paths.dataset_dir(profile, name), layout)
    return pd.DataFrame({split: table[layout.target_column].value_counts()
                         for split, table in tables.items()}).fillna(0).astype(int)


def samples(profile: str, name: str) -> pd.DataFrame:
    """Every sample with its split and, for generated sets, its covariates; index = sample id."""
    layout = layout_of(name)
    root = paths.dataset_dir(profile, name)
    tables = read_tables(root, layout)
    table = pd.concat([t.assign(split=s) for s, t in tables.items()]).set_index(layout.index_column)
    metadata = load_metadata(root, layout, groundtruth.CLASS_COLUMNS)
    if metadata is not None:
        extra = [c for c in metadata.columns if c not in table.columns]
        table = table.join(metadata[extra], how="left")  # joined on the sample id
    return table


def examples_per_class(profile: str, name: str, split: str = "train") -> pd.Series:
    """One clean example per class (not an injected sample): class -> audio file."""
    layout = layout_of(name)
    table = samples(profile, name)
    table = table[table["split"] == split]
    for column in groundtruth.INJECTED.values():
        if column in table:
            table = table[~table[column].astype(bool)]
    if "snr_db" in table:
        table = table.sort_values("snr_db", ascending=False)  # the clearest one
    first = table.groupby(layout.target_column).head(1)
    return pd.Series({label: clip_file(profile, name, sample_id)
                      for sample_id, label in first[layout.target_column].items()}).sort_index()


def examples_per_kind(profile: str, name: str) -> pd.Series:
    """One training clip of each injected kind the dataset records, the clearest where the data
    records how clear each clip is: kind -> audio file."""
    table = samples(profile, name)
    table = table[table["split"] == "train"]
    if "snr_db" in table:
        table = table.sort_values("snr_db", ascending=False)
    return pd.Series({kind: clip_file(profile, name, table.index[flags][0])
                      for kind, column in groundtruth.present(table).items()
                      if (flags := table[column].astype(bool).to_numpy()).any()})


def kinds_table(profile: str, name: str) -> pd.DataFrame:
    """Per injected kind the dataset records: what it is, its place in H-CAT's taxonomy and its
    training clips."""
    table = samples(profile, name)
    train = table[table["split"] == "train"]
    return pd.DataFrame([{"kind": kind, "what the clip is": groundtruth.DESCRIPTION[kind],
                          "H-CAT's kind": groundtruth.HCAT_KIND[kind],
                          "training clips": int(train[column].astype(bool).sum())}
                         for kind, column in groundtruth.present(table).items()])


def duplicate_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The near-duplicate pairs a :func:`samples` table records, each once: ``first``,
    ``second`` (sample ids), their splits and ``across_splits``."""
    twins = table[groundtruth.DUPLICATE_OF_COLUMN].fillna("").astype(str)
    twins = twins[twins != ""]
    pairs = pd.DataFrame({"first": twins.index, "second": twins.values})
    return with_splits(pairs[pairs["first"] < pairs["second"]].reset_index(drop=True),
                       table["split"])


def with_splits(pairs: pd.DataFrame, splits: pd.Series) -> pd.DataFrame:
    """Pairs of sample ids (``first``, ``second``) with each clip's split and whether they
    straddle two."""
    table = pairs.copy()
    table["first_split"] = table["first"].map(splits)
    table["second_split"] = table["second"].map(splits)
    table["across_splits"] = table["first_split"] != table["second_split"]
    return table


def clip_file(profile: str, name: str, sample_id: str) -> Path:
    """A sample's audio file (its id is the path under the dataset's ``default/``)."""
    return paths.dataset_dir(profile, name) / "default" / sample_id


def log_mels(examples: pd.Series) -> dict[str, np.ndarray]:
    """The log-mel of each example clip (class -> wav file), as autrainer extracts it."""
    return {label: toolkit.log_mel(Path(file)) for label, file in examples.items()}


def key_numbers(profile: str, datasets: list[str]) -> dict[str, Any]:
    """The data chapter's record (:class:`lib.record.Data`): clips per split, classes, the
    injected samples of each kind the dataset records, and (for the keyword set) voices."""
    summary: dict[str, Any] = {}
    for name in datasets:
        table = samples(profile, name)
        entry: dict[str, Any] = {
            Data.CLIPS_PER_SPLIT: table["split"].value_counts().to_dict(),
            Data.CLASSES: int(table[layout_of(name).target_column].nunique())}
        for key, column in ((Data.FLIPPED, groundtruth.FLIPPED_COLUMN),
                            (Data.NONSPEECH, groundtruth.NONSPEECH_COLUMN)):
            if column in table:
                entry[key] = int(table[column].astype(bool).sum())
        kinds = groundtruth.present(table)
        if kinds:
            train = table[table["split"] == "train"]
            entry[Data.KINDS] = {kind: int(train[column].astype(bool).sum())
                                 for kind, column in kinds.items()}
        if groundtruth.DUPLICATE_OF_COLUMN in table:
            pairs = duplicate_pairs(table)
            entry[Data.DUPLICATE_PAIRS] = len(pairs)
            entry[Data.PAIRS_ACROSS_SPLITS] = int(pairs["across_splits"].sum())
        if name == KEYWORD_SET:
            entry[Data.VOICES] = int(table["speaker_id"].nunique())
        if layout_of(name).user:
            manifest = read_manifest(paths.dataset_dir(profile, name)) or {}
            entry.update({Data.SOURCE: manifest["source"]["audio"],
                          Data.CLIP_SECONDS: manifest["clip_seconds"],
                          Data.SPLITS_GIVEN: manifest["splits_given"],
                          Data.DROPPED: manifest["dropped"]})
        summary[name] = entry
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    args = parser.parse_args(argv)
    try:
        prepare(args.profile)
    except (profiles.ProfileError, DatasetError, DownloadError, toolkit.ToolkitError,
            ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


def sample_kinds(profile: str, name: str) -> pd.Series | None:
    """Per sample id, what it is: :data:`lib.groundtruth.GENUINE` or one of the injected kinds
    (:data:`lib.groundtruth.INJECTED`); None for a dataset without that ground truth."""
    return kinds_in(samples(profile, name))


def kinds_in(table: pd.DataFrame) -> pd.Series | None:
    """:func:`sample_kinds` of a :func:`samples` table already read."""
    if groundtruth.FLIPPED_COLUMN not in table:
        return None
    kinds = pd.Series(groundtruth.GENUINE, index=table.index, name="kind")
    for kind, column in groundtruth.INJECTED.items():
        if column in table:
            kinds[table[column].astype(bool)] = kind
    return kinds
