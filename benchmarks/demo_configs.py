"""Train candidate `demo` configurations side by side through the real autrainer path.

Each candidate is a keyword set (its size, SNR range and injected samples) and one training
configuration (model, seeds, epochs, batch, learning rate, precision). For each, this script
generates the set (reused when it exists), extracts features with `autrainer preprocess`,
trains the runs with `autrainer train`, scores them with aucurriculum's CumulativeAccuracy
(`aucurriculum curriculum`, stop: best) and prints, per candidate:
  - the learning curve: dev accuracy per epoch (mean over seeds);
  - test accuracy and training accuracy on the genuine (not injected) clips at the best epoch;
  - the minutes of training and of scoring;
  - the detection AUROC of the flipped labels and of the non-speech clips by the ensemble's
    CumulativeAccuracy (runs of one candidate only);
  - the real human recordings of the six words (lib.realspeech, through `autrainer
    inference`): how many the candidate's runs name right, and what each word was heard as.
The table is written to results/benchmarks/demo_configs.json. Everything lives under
data/benchmarks/ and results/benchmarks/; a second call reuses trained and scored runs.

Run:  .venv/bin/python benchmarks/demo_configs.py [--candidates NAME ...] [--list]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.publish import publish  # noqa: E402
from lib import (classes, detection, groundtruth, inference, keywords, paths, profiles,  # noqa: E402
                 scoring, toolkit, training, validation)
from lib.datasets import KEYWORD_SET  # noqa: E402

#: The keyword sets the candidates train on. Every word has a real recording in a Debian
#: package (lib.realspeech); three/tree is SpeechCommands' classic confusable pair.
WORDS = ("zero", "one", "three", "tree", "no", "seven")
DATA = {
    # name: (train voices, SNR range in dB); dev 10 voices, test 20 voices, 4 % flipped and
    # 4 % non-speech training clips (24 of each at 100 voices).
    "v100-snr0-20": (100, (0.0, 20.0)),
    "v100-snr5-25": (100, (5.0, 25.0)),
    "v80-snr5-25": (80, (5.0, 25.0)),
}


def _candidate(data: str, model: str, lr: float, scheduler: str = "cosine", batch: int = 16,
               epochs: int = 8, precision: str = "bf16",
               augmentation: str = "none") -> dict[str, Any]:
    return {"data": data, "MODELS": [model], "LEARNING_RATE": lr, "SCHEDULER": scheduler,
            "BATCH_SIZE": batch, "EPOCHS": epochs, "PRECISION": precision,
            "AUGMENTATION": augmentation}


CANDIDATES: dict[str, dict[str, Any]] = {
    "cnn10-3e-4-const": _candidate("v100-snr0-20", "Cnn10", 3e-4, "none"),
    "cnn10-3e-4-cos": _candidate("v100-snr0-20", "Cnn10", 3e-4),
    "cnn10-1e-4-cos": _candidate("v100-snr0-20", "Cnn10", 1e-4),
    "cnn10-2e-4-cos": _candidate("v100-snr0-20", "Cnn10", 2e-4),
    "cnn10-3e-4-cos-fp32": _candidate("v100-snr0-20", "Cnn10", 3e-4, precision="fp32"),
    "cnn14-1e-4-cos": _candidate("v100-snr0-20", "Cnn14", 1e-4),
    "cnn14-2e-4-cos": _candidate("v100-snr0-20", "Cnn14", 2e-4),
    "cnn14-3e-4-const": _candidate("v100-snr0-20", "Cnn14", 3e-4, "none"),
    "cnn14-1e-4-cos-snr5": _candidate("v100-snr5-25", "Cnn14", 1e-4),
    "cnn14-1e-4-cos-b8": _candidate("v100-snr0-20", "Cnn14", 1e-4, batch=8),
    "cnn14-1e-4-cos-b8-snr5": _candidate("v100-snr5-25", "Cnn14", 1e-4, batch=8),
    "cnn10-1e-4-cos-b8-snr5": _candidate("v100-snr5-25", "Cnn10", 1e-4, batch=8),
    # The demo's choice: 5-25 dB, lr 1e-4 cosine over 6 epochs, batch 16, bf16.
    "cnn14-demo": _candidate("v100-snr5-25", "Cnn14", 1e-4, epochs=6),
    "cnn10-demo": _candidate("v100-snr5-25", "Cnn10", 1e-4, epochs=6),
    "cnn14-onecycle-3e-4": _candidate("v100-snr5-25", "Cnn14", 3e-4, "onecycle", epochs=6),
    "cnn10-onecycle-3e-4": _candidate("v100-snr5-25", "Cnn10", 3e-4, "onecycle", epochs=6),
    "cnn10-demo-fp32": _candidate("v100-snr5-25", "Cnn10", 1e-4, epochs=6, precision="fp32"),
    # Training augmentation on the demo's setting (issue 27): does a model trained on
    # wideband synthetic voices hear the real, telephone-band ones?
    **{f"{model.lower()}-onecycle-3e-4-{augmentation}": _candidate(
        "v100-snr5-25", model, 3e-4, "onecycle", epochs=6, augmentation=augmentation)
       for model in ("Cnn10", "Cnn14") for augmentation in profiles.AUGMENTATIONS[1:]},
}
BASE = {**profiles.load("demo"), "DATASETS": [KEYWORD_SET], "SEEDS": [1],
        "SEEDS_BY_MODEL": {}, "OPTIMIZER": "Adam", "DEVICE": "auto"}


def data_profile(name: str) -> str:
    return f"benchmarks/{name}"


def spec(name: str) -> keywords.KeywordSetSpec:
    voices, snr = DATA[name]
    base = keywords.KeywordSetSpec.from_profile(BASE)
    return replace(base, keywords=WORDS, train_voices=voices, dev_voices=10, test_voices=20,
                   snr_db=snr, flip_fraction=0.04, nonspeech_fraction=0.04)


def prepare(name: str) -> str:
    profile = data_profile(name)
    keywords.generate(spec(name), paths.dataset_dir(profile, KEYWORD_SET))
    toolkit.preprocess(profile, [KEYWORD_SET])
    return profile


def evaluate(name: str, candidate: dict[str, Any]) -> dict[str, Any]:
    profile = prepare(candidate["data"])
    params = {**BASE, **{k: v for k, v in candidate.items() if k != "data"},
              "PROFILE": profile}
    started = time.monotonic()
    ensemble = training.Ensemble.from_parameters(params)
    reused = all(training.is_complete(profile, run) for run in ensemble.runs)
    runs = training.train_ensemble(profile, ensemble, summarise=False)
    trained = time.monotonic()
    scoring.score_ensemble(profile, ensemble, scoring.Scoring.from_parameters(params))
    scored = time.monotonic()
    metrics = training.run_metrics(profile, runs)
    curves = training.learning_curves(profile, runs)
    truth = validation.training_truth(profile, KEYWORD_SET)
    ordering = scoring.read_ordering(profile, KEYWORD_SET).set_index("sample_id")
    harder = 1 - ordering["score"]
    kinds = list(groundtruth.present(truth).values())
    genuine = truth.index[~truth[kinds].any(axis=1)]
    train_genuine = []
    for run in runs:  # the best checkpoint in eval mode on the genuine training clips
        predicted = classes.predictions(profile, run, "train").set_index("sample_id")
        predicted = predicted.loc[predicted.index.intersection(genuine)]
        train_genuine.append(float((predicted["predicted"] == predicted["label"]).mean()))
    real, _ = inference.real_speech(profile, runs, list(WORDS), log=lambda line: None)
    dev_curve = curves.groupby("epoch")["dev_accuracy"].mean().round(3).tolist()
    result = {
        "candidate": name, "data": candidate["data"], "models": params["MODELS"],
        "seeds": params["SEEDS"], "epochs": params["EPOCHS"], "batch": params["BATCH_SIZE"],
        "lr": params["LEARNING_RATE"], "scheduler": params["SCHEDULER"],
        "precision": params["PRECISION"], "augmentation": params["AUGMENTATION"],
        "train_clips": int(len(truth)),
        "dev_accuracy_by_epoch": dev_curve,
        "test_accuracy": round(float(metrics["test_accuracy"].mean()), 3),
        "train_accuracy_genuine_best_epoch": round(float(np.mean(train_genuine)), 3),
        "train_minutes": round(float(metrics["train_seconds"].sum()) / 60, 2),
        "seconds_per_epoch": round(float(metrics["train_seconds"].mean()) / params["EPOCHS"], 1),
        # Wall clock of this call: None where the runs were trained (and scored) earlier.
        "wall_minutes_train": None if reused else round((trained - started) / 60, 2),
        "wall_minutes_score": None if reused else round((scored - trained) / 60, 2),
        "auroc_flipped": round(detection.auroc(harder, groundtruth.against_genuine(
            truth, groundtruth.FLIPPED_COLUMN)), 3),
        "auroc_nonspeech": round(detection.auroc(harder, groundtruth.against_genuine(
            truth, groundtruth.NONSPEECH_COLUMN)), 3),
        "real_words_right": f"{int(real['runs_correct'].sum())}/{len(real) * len(runs)}",
        "real_heard_as": " ".join(f"{r.label}:{r.prediction}" for r in real.itertuples()),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES),
                        help=f"any of {', '.join(CANDIDATES)}")
    parser.add_argument("--list", action="store_true", help="list the candidates and stop")
    parser.add_argument("--publish", action="store_true",
                        help="publish the table of the candidates measured so far and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, candidate in CANDIDATES.items():
            print(f"{name}: {candidate}")
        return 0
    out = paths.RESULTS / "benchmarks" / "demo_configs.json"
    done = json.loads(out.read_text()) if out.is_file() else {}
    for name in [] if args.publish else args.candidates:
        print(f"== {name}: {CANDIDATES[name]}", flush=True)
        result = evaluate(name, CANDIDATES[name])
        for wall in ("wall_minutes_train", "wall_minutes_score"):  # keep a measured one
            if result[wall] is None:
                result[wall] = done.get(name, {}).get(wall)
        done[name] = result
        print(json.dumps(done[name]), flush=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(done, indent=2) + "\n")
    table = pd.DataFrame([done[n] for n in args.candidates if n in done])
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(table.drop(columns=["dev_accuracy_by_epoch"]).to_string(index=False))
        for row in table.itertuples():
            print(f"{row.candidate}: dev accuracy by epoch {row.dev_accuracy_by_epoch}")
    publish("demo_configs", "Candidate demo configurations, one seed each",
            pd.DataFrame([done[n] for n in done]).drop(columns=["dev_accuracy_by_epoch"]),
            "demo_configs.py",
            "Republished from results/benchmarks/demo_configs.json (`--publish`): the candidates "
            "were measured by earlier calls, at earlier commits." if args.publish else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
