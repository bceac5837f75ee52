"""``make profile``: a profile for a user's own labelled audio, sized for this machine.

``python -m lib.userprofile --name mine --audio clips/ [--labels labels.csv]`` checks the whole
input first (every problem one line, nothing written while one stands, unless ``--drop-bad``),
then writes ``notebooks/profiles/mine.yaml``: the demo profile's values with the dataset
``mine`` and the sizes (models, seeds, epochs, the chapters' extra training) of the most
generous rung of :data:`LADDER` whose projected minutes (:mod:`lib.projection`) fit
``--minutes``. The file is an ordinary profile: every parameter is visible and may be edited
before ``make book PROFILE=mine``. An existing profile is never overwritten.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from lib import paths, profiles, projection, userdata

#: The sizes tried, most generous first: each rung changes the demo profile's values.
LADDER: tuple[dict[str, Any], ...] = (
    {"MODELS": ["Cnn10", "Cnn14"], "SEEDS": [1, 2, 3], "SEEDS_BY_MODEL": {"Cnn14": [1]},
     "EPOCHS": 10},
    {"MODELS": ["Cnn10", "Cnn14"], "SEEDS": [1, 2, 3], "SEEDS_BY_MODEL": {"Cnn14": [1]},
     "EPOCHS": 6},
    {"MODELS": ["Cnn10"], "SEEDS": [1, 2, 3], "SEEDS_BY_MODEL": {}, "EPOCHS": 6},
    {"MODELS": ["Cnn10"], "SEEDS": [1, 2, 3], "SEEDS_BY_MODEL": {}, "EPOCHS": 4,
     "SWEEP_FLIP_FRACTIONS": [], "PRUNE_RULES": ["hardest", "random", "oracle"],
     "CURRICULUM_SCHEDULES": ["curriculum", "random"]},
    {"MODELS": ["Cnn10"], "SEEDS": [1, 2], "SEEDS_BY_MODEL": {}, "EPOCHS": 3,
     "SWEEP_FLIP_FRACTIONS": [], "PRUNE_RULES": ["hardest", "oracle"],
     "CURRICULUM_SCHEDULES": ["curriculum"], "DEFINITION_MODELS": ["Cnn10"], "CV_EPOCHS": 2,
     "SELECTION_K": 5},
)
#: The share of training labels the book's copy flips, as ground truth, unless told otherwise.
DEFAULT_FLIP_FRACTION = 0.05


def own_values(name: str, source: userdata.Source, drop_bad: bool, flip_fraction: float
               ) -> dict[str, Any]:
    """The demo profile's values for a user's own dataset, before sizing."""
    values = profiles.load("demo")
    values.update(PROFILE=name, DATASETS=[name], USER_AUDIO=str(source.audio),
                  USER_LABELS="" if source.labels is None else str(source.labels),
                  DROP_BAD_FILES=drop_bad, FLIP_FRACTION=flip_fraction,
                  CURRICULUM_ORDERINGS=["CumulativeAccuracy"], INCLUSION_SHARES=[])
    return values


def sized(values: dict[str, Any], train_clips: int, seconds: float, classes: int,
          minutes: float, ground_truth: bool) -> tuple[dict[str, Any], projection.Projection]:
    """The most generous rung of :data:`LADDER` projected within ``minutes`` (the last rung
    where none is), and its projection; each model's rate is measured once."""
    rates: dict[str, float] = {}
    chosen = None
    for rung in LADDER:
        candidate = {**values, **rung}
        for model in projection.rated_models(candidate):
            if model not in rates:
                rates[model] = projection.step_rate(model, seconds, candidate["BATCH_SIZE"],
                                                    candidate["PRECISION"])
        chosen = (candidate, projection.project(candidate, train_clips, seconds, ground_truth,
                                                classes, rates))
        if chosen[1].total <= minutes:
            break
    assert chosen is not None
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the profile's and the dataset's name")
    parser.add_argument("--audio", required=True, help="folder of your labelled clips")
    parser.add_argument("--labels", default="", help="CSV of file,label[,split,group,...]; "
                        "empty: class subfolders <audio>/<label>/<clip>")
    parser.add_argument("--minutes", type=float, default=30.0,
                        help="the build's budget on this machine (default 30)")
    parser.add_argument("--flip", type=float, default=DEFAULT_FLIP_FRACTION,
                        help="share of training labels the book's copy flips as ground truth "
                        f"(default {DEFAULT_FLIP_FRACTION}; 0: none)")
    parser.add_argument("--drop-bad", action="store_true",
                        help="leave out the files that fail the checks, and list them")
    args = parser.parse_args(argv)
    target = paths.profile_file(args.name)
    if target.exists():
        print(f"error: {paths.relative(target)} exists: edit it, or choose another --name "
              "(a profile is never overwritten)", file=sys.stderr)
        return 1
    try:
        profiles.check("make profile --name", DATASETS=[args.name])
    except profiles.ProfileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    source = userdata.source_of({"USER_AUDIO": args.audio, "USER_LABELS": args.labels})
    listing, facts, problems = userdata.check(source)
    if problems and not args.drop_bad:
        print(str(userdata.ImportRefused(problems)), file=sys.stderr)
        print("fix them, or run again with DROP=1 to leave those files out", file=sys.stderr)
        return 1
    kept = listing[~listing[userdata.FILE].isin({p.file for p in problems})]
    values = own_values(args.name, source, args.drop_bad, args.flip)
    seconds = userdata.clip_seconds(kept[userdata.FILE].map(lambda f: facts[f].seconds),
                                    userdata.settings_of(values))
    dev, test = values["SPLIT_SHARES"]
    given = userdata.SPLIT in kept and (kept[userdata.SPLIT] == "train").any()
    train_clips = int((kept[userdata.SPLIT] == "train").sum() if given
                      else round(len(kept) * (1 - dev - test)))
    classes = kept[userdata.LABEL].nunique()
    values, projected = sized(values, train_clips, seconds, classes, args.minutes,
                              args.flip > 0)
    problem = profiles.user_dataset_problem(values)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    profiles.check(paths.relative(target), **{k: v for k, v in values.items() if k != "PROFILE"})
    profiles.write(values, target, header=(
        f"Made by `make profile` for {source.audio}"
        + (f" labelled by {source.labels}" if source.labels else " (class subfolders)")
        + f":\n{len(kept)} clips, {train_clips} for training, cut or padded to {seconds:g} s; "
        f"sized to {args.minutes:g} minutes here (projected {projected.total:.0f}).\n"
        "Every parameter may be edited; lib/profiles.py (SCHEMA) says what each means."))
    print(f"{args.name}: {len(kept)} clips of {kept[userdata.LABEL].nunique()} classes "
          f"({train_clips} for training), cut or padded to {seconds:g} s")
    for line in projected.lines():
        print(f"  {line}")
    print(f"  chose MODELS {values['MODELS']}, SEEDS {values['SEEDS']}, EPOCHS "
          f"{values['EPOCHS']} (budget {args.minutes:g} minutes)")
    print(f"wrote {paths.relative(target)}; next: make book PROFILE={args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
