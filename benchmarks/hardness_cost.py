"""The field's other hardness scores beside aucurriculum's definitions: cost on one run.

On the first run of a dataset in a built profile (the run that keeps every epoch's model
state), in one call of this script, one after the other:
  - each score of lib.hardness computed from scratch (AUM, EL2N, forgetting events and Data
    Maps from autrainer's saved training outputs; GraNd, VoG and Datalab's outlier check with
    their passes over the training split);
  - aucurriculum's CumulativeAccuracy, CELoss and FirstIteration on the same run, each through
    its own `aucurriculum curriculum` command (start-up included: what a user pays), in a
    scratch results folder that links the run and the data, so the build's files are untouched.
Printed: seconds per score and the ratio to aucurriculum's CumulativeAccuracy (the paper's
score), and the disk each keeps. These machines are noisy: read the ratios, not the seconds.

Run:  .venv/bin/python benchmarks/hardness_cost.py [--profile demo] [--dataset OfflineKeywords]
Writes results/benchmarks/hardness_cost.json and publishes book/measured/hardness_cost.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.publish import publish  # noqa: E402
from lib import hardness, paths, profiles, toolkit, training  # noqa: E402
from lib.datasets import KEYWORD_SET  # noqa: E402

OUTPUT = paths.RESULTS / "benchmarks" / "hardness_cost.json"
#: aucurriculum's definitions timed beside them: each scores the run from its own output.
AUCURRICULUM = ("CumulativeAccuracy", "CELoss", "FirstIteration")


def scratch_profile(profile: str, dataset: str, run: training.Run) -> str:
    """A results folder under results/benchmarks/ that sees the built run, its configs and
    the data through links, so aucurriculum writes its scores there and nowhere else."""
    scratch = f"benchmarks/hardness/{profile}"
    shutil.rmtree(paths.results_dir(scratch), ignore_errors=True)
    links = {paths.dataset_dir(scratch, dataset): paths.dataset_dir(profile, dataset),
             training.run_dir(scratch, run): training.run_dir(profile, run),
             paths.toolkit_dir(scratch) / "conf": paths.toolkit_dir(profile) / "conf"}
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.resolve(), target_is_directory=True)
    return scratch


def time_hardness(profile: str, run: training.Run, epochs: int, device: str) -> dict[str, float]:
    """Seconds of each score on the run, from scratch; the scores from the training outputs
    share one read of them, counted in each (the read is what they cost)."""
    seconds = {}
    for score in hardness.SCORES:
        started = time.perf_counter()
        if score in hardness.FROM_OUTPUTS:
            outputs = hardness.training_logits(profile, run, epochs)
            hardness.from_outputs(outputs, epochs)[score]
        elif score == hardness.GRAND:
            hardness.grand_of_run(profile, run, epochs, device)
        elif score == hardness.VOG:
            hardness.vog_of_run(profile, run, epochs, device)
        else:
            hardness.outlier_of_run(profile, run, device)
        seconds[score] = time.perf_counter() - started
        print(f"  {score}: {seconds[score]:.1f} s", flush=True)
    return seconds


def time_aucurriculum(scratch: str, dataset: str, run: training.Run, device: str,
                      batch_size: int) -> dict[str, float]:
    """Seconds of each aucurriculum definition on the run, one command each."""
    seconds = {}
    for definition in AUCURRICULUM:
        settings = (toolkit.loss_settings([run.name], "best", "train")
                    if definition == "CELoss"
                    else toolkit.run_settings([run.name], "best", "train"))
        started = time.perf_counter()
        toolkit.score_configs(scratch, "train",
                              {toolkit.score_id(definition, dataset): (definition, settings)},
                              device, batch_size, log=lambda _: None)
        seconds[definition] = time.perf_counter() - started
        print(f"  {definition} (aucurriculum): {seconds[definition]:.1f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--dataset", default=KEYWORD_SET)
    args = parser.parse_args()
    values = profiles.load(args.profile)
    ensemble = training.Ensemble.from_parameters(values)
    kept = [r for r in ensemble.runs_of(args.dataset) if ensemble.keeps_every_epoch(r)]
    if not kept or not training.is_complete(args.profile, kept[0]):
        sys.exit(f"error: {args.profile} has no finished {args.dataset} run that keeps every "
                 f"epoch's state; build it first (make notebooks PROFILE={args.profile})")
    run, epochs = kept[0], ensemble.settings.epochs
    device = toolkit.resolve_device(ensemble.settings.device)
    print(f"{run.name}, {epochs} epochs, on {device}:", flush=True)
    ours = time_hardness(args.profile, run, epochs, device)
    scratch = scratch_profile(args.profile, args.dataset, run)
    theirs = time_aucurriculum(scratch, args.dataset, run, device, ensemble.settings.batch_size)
    scores_mb = sum(f.stat().st_size for f in toolkit.scores_dir(scratch, "CELoss", "train")
                    .parent.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    reference = theirs["CumulativeAccuracy"]
    rows = ([{"score": score, "by": "lib.hardness", "source": hardness.SOURCE[score],
              "seconds": round(s, 1), "ratio to CumulativeAccuracy": round(s / reference, 2)}
             for score, s in ours.items()]
            + [{"score": name, "by": "aucurriculum", "source": "its own command",
                "seconds": round(s, 1), "ratio to CumulativeAccuracy": round(s / reference, 2)}
               for name, s in theirs.items()])
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"disk: lib.hardness keeps one CSV per score (kilobytes); aucurriculum's scoring "
          f"folders here: {scores_mb:.1f} MB")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({"profile": args.profile, "run": run.name, "epochs": epochs,
                                  "device": device, "rows": rows,
                                  "aucurriculum_scores_mb": round(scores_mb, 2)}, indent=2)
                      + "\n")
    print(f"written to {paths.relative(OUTPUT)}")
    publish("hardness_cost", f"The field's other scores beside aucurriculum's, on one "
            f"{args.profile} run ({run.model}, {epochs} epochs)", table, "hardness_cost.py")


if __name__ == "__main__":
    main()
