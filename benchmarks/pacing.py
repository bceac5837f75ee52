"""Which pacing for the curricula chapter? Candidates side by side in one run.

Trains the curriculum of the Difficulty chapter's ordering (ensemble CumulativeAccuracy) for
the profile's first model and seed 1 under each candidate pacing, through the chapter's own
path (lib.curricula.train: aucurriculum's curriculum training, reused when trained before),
and prints, per pacing: the share of a full run's sample-epochs it trains on, the minutes of
the run, its test accuracy and the difference from the same seed without a curriculum, beside
the spread of the main ensemble's seeds (what reseeding alone does). Needs the profile's
notebooks up to 02b_definitions executed (``make notebooks`` or ``python -m lib.run``).

    .venv/bin/python benchmarks/pacing.py            # demo profile, publishes the table
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.publish import publish  # noqa: E402
from lib import curricula, profiles, retraining, training  # noqa: E402

#: (function, initial share, share of the epochs until the whole split): linear growth from a
#: fifth to all at half the run, the same faster (root) and slower (quadratic), linear to all
#: at three quarters, and one step from half to all.
CANDIDATES = (("Linear", 0.2, 0.5), ("Root", 0.2, 0.5), ("Quadratic", 0.2, 0.5),
              ("Linear", 0.2, 0.75), ("OneStep", 0.5, 0.5))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--no-publish", action="store_true")
    args = parser.parse_args(argv)
    values = profiles.load(args.profile)
    ensemble = training.Ensemble.from_parameters(values)
    dataset, seed = values["DATASETS"][0], 1
    samples = curricula.training_samples(args.profile, dataset)
    without = curricula.baseline(args.profile, ensemble, dataset, [seed])
    base = without.metrics()["test_accuracy"].iloc[0]
    spread = retraining.seed_spread(retraining.reseeded(args.profile, ensemble, dataset))
    rows = [{"pacing": "no curriculum (main run)", "sample-epochs": "100%",
             "minutes": f"{without.metrics()['train_seconds'].iloc[0] / 60:.2f}",
             "test accuracy": f"{base:.3f}", "difference": "+0.000"}]
    for function, initial, final in CANDIDATES:
        pacing = curricula.Pacing(function, initial, final, values["CURRICULUM_SAMPLING"])
        (point,) = curricula.train(args.profile, ensemble, {dataset: ["CumulativeAccuracy"]},
                                   ["curriculum"], pacing, [seed])[dataset]
        metrics = point.metrics().iloc[0]
        share = curricula.sample_epochs_share(pacing, samples, ensemble.settings.epochs)
        rows.append({"pacing": f"{function} {initial:.0%} -> all at {final:.0%}",
                     "sample-epochs": f"{share:.0%}",
                     "minutes": f"{metrics['train_seconds'] / 60:.2f}",
                     "test accuracy": f"{metrics['test_accuracy']:.3f}",
                     "difference": f"{metrics['test_accuracy'] - base:+.3f}"})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    notes = (f"{dataset}, {ensemble.models[0]} seed {seed}, {ensemble.settings.epochs} epochs, "
             f"{samples} training clips, {values['CURRICULUM_SAMPLING']} sampling, the "
             "curriculum of ensemble CumulativeAccuracy. The main run's minutes include the "
             "in-training recorder (about a fifth of them), which curriculum runs do not carry. "
             "The main ensemble's seeds of the model differ in test accuracy by a standard "
             f"deviation of {spread:.3f}: one seed per pacing tells cost apart, not accuracy.")
    print(notes)
    if not args.no_publish:
        publish("pacing", "Pacing functions side by side (curricula)", table, "pacing.py", notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
