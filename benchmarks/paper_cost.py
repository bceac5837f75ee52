"""Estimate, from measurements on this device, the compute time and disk the `paper` profile needs.

The `paper` profile (notebooks/profiles/paper.yaml) trains autrainer's Cnn10 and Cnn14 on
DCASE2020Task1A (10 s clips) and SpeechCommands (1 s clips) with 3 seeds for 100 epochs, then
aucurriculum's CumulativeAccuracy evaluates every epoch's checkpoint of every run on the
training set. Far too slow to run here, so this script measures the parts and multiplies out.

Measured, per (dataset, model), on synthetic log-mel input of the exact shape autrainer's
`log_mel_16k` preprocessing produces (autrainer's own PannMel with that preprocessing's
parameters; the models take (batch, 1, frames, 64)):
  - training-step throughput: forward + cross-entropy backward + Adam step, samples/s;
  - evaluation throughput: no_grad forward, samples/s;
  - forward FLOPs per clip (torch.utils.flop_counter: convolutions and matmuls, 2 per MAC);
  - peak GPU memory (cuda only);
  - bytes autrainer writes: model.pt and optimizer.pt (torch.save of the state_dicts), and the
    per-sample outputs its OutputsTracker saves for the train and dev set every epoch;
  - bytes of one clip's features (.npy) and of its 16-bit 16 kHz wav.
Not measured: data loading from disk, the one-off download and feature extraction.

Per run: training = epochs x (n_train / train_rate + n_dev / eval_rate) + n_test / eval_rate;
scoring = epochs x n_train / eval_rate (an upper bound: with SCORING_STOP best, only the epochs
up to the best one are scored). Both scoring engines make that same forward pass: aucurriculum
after training from every kept checkpoint, the in-training engine during training from the
weights in memory (lib/callbacks.py), so its disk keeps only the best model state and the
last epoch's model and optimizer (to continue a run; lib.toolkit.retain) and 12 bytes per training sample and epoch of records; one run per dataset
still keeps every checkpoint, as the reference aucurriculum scores beside the records. The
disk of a run and of the sweep is lib/disk.py's projection (the one the training checks the
free disk against) with the sizes measured here: epochs (+ _initial, _best) x model.pt +
per-epoch outputs, plus the optimizer states; lib/training.py prunes all but the last
optimizer.pt as soon as a run finishes, so the peak is every run's kept files plus one running
run's optimizer state per epoch. Features and audio count once.

The Definitions chapter's scoring functions are projected from the same rates
(:func:`definition_hours`).

Run:  .venv/bin/python benchmarks/paper_cost.py [--device cpu|cuda|auto] [--batches N]
Writes results/benchmarks/paper_cost.json.
"""
from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import platform
import statistics
import tempfile
import time
import sys
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import autrainer
import numpy as np
import torch
import torch.nn.functional as F
from autrainer.core.utils import Bookkeeping
from autrainer.datasets.dcase_2020_t1a import SCENE_CATEGORIES
from autrainer.datasets.utils import LabelEncoder
from autrainer.models import Cnn10, Cnn14
from autrainer.training import OutputsTracker
from autrainer.transforms import PannMel
from omegaconf import OmegaConf
from torch.utils.flop_counter import FlopCounterMode

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.publish import publish  # noqa: E402
from lib import curricula, disk, paths, profiles, training  # noqa: E402
from lib.datasets import DCASE, SPEECH_COMMANDS  # noqa: E402

OUTPUT = paths.RESULTS / "benchmarks" / "paper_cost.json"
#: The preprocessing both datasets' `-16k` configurations use (features_subdir: log_mel_16k).
LOG_MEL = Path(autrainer.__file__).parent.parent / "autrainer-configurations" / \
    "preprocessing" / "log_mel_16k.yaml"
MODELS = {"Cnn10": Cnn10, "Cnn14": Cnn14}
SAMPLE_RATE = 16_000
WARMUP_BATCHES = 2
#: Batch size for 10 s clips on CPU: one Cnn14 training step at batch 32 takes ~20 s on 2 cores.
#: Per-sample throughput barely depends on it there (Cnn10, 10 s: 2.2 samples/s at 8 and at 32).
CPU_LONG_CLIP_BATCH = 8
#: Rows of fake outputs handed to autrainer's OutputsTracker to measure bytes per sample.
OUTPUT_ROWS = 1000

#: The 35 words of SpeechCommands v0.02 (Warden 2018, arXiv:1804.03209, and the dataset's README).
SPEECH_COMMANDS_WORDS = [
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward",
    "four", "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one",
    "right", "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow",
    "yes", "zero",
]

@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as autrainer splits it: clip length, classes and split sizes (the splits are
    lib/disk.py's PAPER_SPLITS, which the training's disk check uses too)."""

    seconds: int
    labels: list[str]
    splits: disk.Splits

    def __post_init__(self) -> None:
        assert len(self.labels) == self.splits.classes, (self.labels, self.splits)

    @property
    def train(self) -> int:
        return self.splits.train

    @property
    def dev(self) -> int:
        return self.splits.dev

    @property
    def test(self) -> int:
        return self.splits.test

    @property
    def clips(self) -> int:
        return self.train + self.dev + self.test


DATASETS = {
    # DCASE fold 1 with autrainer's dev_split 0.1 (autrainer loads test.csv as test)
    DCASE: DatasetSpec(
        seconds=10,
        labels=sorted(label for group in SCENE_CATEGORIES.values() for label in group),
        splits=disk.PAPER_SPLITS[DCASE]),
    # autrainer's SpeechCommands.download keeps torchaudio's SPEECHCOMMANDS subsets "training",
    # "validation", "testing" (from the archive's validation_list.txt and testing_list.txt) as
    # train/dev/test.
    SPEECH_COMMANDS: DatasetSpec(
        seconds=1, labels=SPEECH_COMMANDS_WORDS, splits=disk.PAPER_SPLITS[SPEECH_COMMANDS]),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto",
                        help="where to measure; auto takes cuda when available")
    parser.add_argument("--batches", type=int, default=3,
                        help=f"timed batches per measurement (after {WARMUP_BATCHES} warm-up)")
    parser.add_argument("--assumed-tflops", type=float, default=20.0,
                        help="effective sustained fp32 TFLOP/s for the GPU projection printed "
                             "when measuring on CPU; 20 is a plausible rate for an A100/H100-"
                             "class GPU on these small CNNs. An assumption, not a measurement")
    return parser.parse_args()


def device_name(device: torch.device) -> str:
    """Name the hardware the rates belong to, so the JSON is interpretable later."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]
        cpu = models[0] if models else cpu
    return f"{cpu}, {os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads"


def log_mel(seconds: int) -> torch.Tensor:
    """One clip's features as `autrainer preprocess` stores them: (1, frames, 64) float32."""
    pipeline = OmegaConf.to_container(OmegaConf.load(LOG_MEL))["pipeline"]
    params = next(step["autrainer.transforms.PannMel"] for step in pipeline
                  if isinstance(step, dict) and "autrainer.transforms.PannMel" in step)
    return PannMel(**params)(torch.zeros(1, SAMPLE_RATE * seconds))


def npy_bytes(array: np.ndarray) -> int:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getbuffer().nbytes


def wav_bytes(seconds: int) -> int:
    """Size of a mono 16-bit 16 kHz wav, the format the datasets are resampled to."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(2 * SAMPLE_RATE * seconds))
    return buffer.getbuffer().nbytes


def state_bytes(state: dict[str, Any]) -> int:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def output_bytes_per_sample(logits: torch.Tensor, labels: list[str]) -> float:
    """Bytes autrainer's OutputsTracker writes per sample (4 .npy and a results CSV).

    It writes them for the whole train and dev set every epoch, which adds up. Measured as the
    difference between OUTPUT_ROWS and 2 x OUTPUT_ROWS rows, so file headers cancel out.
    """
    data = SimpleNamespace(output_dim=len(labels), target_transform=LabelEncoder(labels))
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (OUTPUT_ROWS, 2 * OUTPUT_ROWS):
            folder = Path(tmp, str(rows))
            tracker = OutputsTracker(export=True, prefix="train", data=data,
                                     criterion=torch.nn.CrossEntropyLoss(),
                                     bookkeeping=Bookkeeping(str(folder), os.devnull))
            tracker.update(logits.repeat(math.ceil(rows / len(logits)), 1)[:rows],
                           torch.randint(len(labels), (rows,)), torch.arange(rows))
            tracker.save("epoch_1")
            sizes.append(sum(f.stat().st_size for f in folder.glob("epoch_1/train_*")))
    return (sizes[1] - sizes[0]) / OUTPUT_ROWS


def timed(step: Callable[[], None], device: torch.device, batches: int) -> list[float]:
    """Seconds of each of `batches` calls of `step`, after warm-up calls (first calls allocate).

    Per batch, so that the caller can take the median: on a shared machine another process
    can stall a single batch.
    """
    for _ in range(WARMUP_BATCHES):
        step()
    seconds = []
    for _ in range(batches):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds.append(time.perf_counter() - start)
    return seconds


def measure(model_name: str, spec: DatasetSpec, device: torch.device, batch: int,
            batches: int, learning_rate: float) -> dict[str, Any]:
    """Rates, FLOPs, memory and file sizes of one model on one dataset's input shape."""
    torch.manual_seed(0)
    model = MODELS[model_name](output_dim=len(spec.labels)).to(device)
    x = torch.randn(batch, *log_mel(spec.seconds).shape, device=device)
    y = torch.randint(len(spec.labels), (batch,), device=device)

    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x[:1])
    flops = counter.get_total_flops()

    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    logits: list[torch.Tensor] = []

    def eval_step() -> None:
        logits.append(model(x).cpu())

    result: dict[str, Any] = {"batch_size": batch, "timed_batches": batches,
                              "input_shape": list(x.shape)}
    for phase, step, mode in (("train", train_step, True), ("eval", eval_step, False)):
        model.train(mode)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        with torch.set_grad_enabled(mode):
            seconds = timed(step, device, batches)
        result[f"{phase}_batch_seconds"] = seconds
        result[f"{phase}_samples_per_s"] = batch / statistics.median(seconds)
        if device.type == "cuda":
            result[f"{phase}_peak_gpu_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    result.update(
        forward_flops_per_clip=flops,
        checkpoint_bytes=state_bytes(model.state_dict()),
        optimizer_bytes=state_bytes(optimizer.state_dict()),
        output_bytes_per_sample=output_bytes_per_sample(torch.cat(logits), spec.labels),
    )
    return result


def measured_sizes(m: dict[str, Any]) -> disk.Sizes:
    """The file sizes measured for one (dataset, model), as lib/disk.py projects with them."""
    return disk.Sizes(m["checkpoint_bytes"], m["optimizer_bytes"], m["output_bytes_per_sample"])


def per_run(m: dict[str, Any], spec: DatasetSpec, epochs: int,
            recorded: str = "train") -> dict[str, float]:
    """Time, FLOPs and disk of one training run and its scoring, from the measured parts; the
    disk by lib/disk.py (``recorded``: the split the in-training engine records)."""
    train_s = epochs * (spec.train / m["train_samples_per_s"]
                        + spec.dev / m["eval_samples_per_s"]) \
        + spec.test / m["eval_samples_per_s"]
    score_s = epochs * spec.train / m["eval_samples_per_s"]
    f = m["forward_flops_per_clip"]
    # the paper's runs have no schedule, so autrainer can continue them: resumable
    every_epoch = disk.run_bytes(measured_sizes(m), spec.splits, epochs, "every-epoch",
                                 resumable=True)
    best_last = disk.run_bytes(measured_sizes(m), spec.splits, epochs, "scored",
                               recorded=recorded, resumable=True)
    return {
        "train_hours": train_s / 3600,
        "score_hours_upper_bound": score_s / 3600,
        "train_flops": epochs * (3 * f * spec.train + f * spec.dev) + f * spec.test,
        "score_flops": epochs * f * spec.train,
        "outputs_bytes": every_epoch.outputs,
        "kept_bytes": every_epoch.kept,
        "peak_bytes": every_epoch.peak,
        # the in-training engine: the best model, the last epoch's model and optimizer (to
        # continue the run), plus the records
        "kept_bytes_in_training": best_last.kept,
        "peak_bytes_in_training": best_last.peak,
    }


def definition_hours(rows: list[dict[str, Any]], profile: dict[str, Any]) -> dict[str, float]:
    """Device-hours of each definition of the Definitions chapter (DEFINITIONS) over the
    profile's datasets, from the measured rates; the forward passes counted, not the k-NN or
    SVM fits (seconds here) nor PredictionDepth's float32 trace (up to 2x on bf16 devices).

    CumulativeAccuracy is the main scoring (counted above); CELoss one forward per run;
    FirstIteration one per epoch (up to the best); PredictionDepth, per run, one partial
    forward per probe, at most one whole forward each (the probes plus fc1 and the output);
    CVLoss trains CV_FOLDS models of the first of DEFINITION_MODELS for CV_EPOCHS on the
    other folds, then scores its fold; TransferTeacher one forward of its teacher (PANNs'
    Cnn14 for ``Cnn14-16k-T``, else the first of DEFINITION_MODELS)."""
    epochs, models = profile["EPOCHS"], profile["DEFINITION_MODELS"]
    seeds = {m: len(profile["SEEDS_BY_MODEL"].get(m, profile["SEEDS"])) for m in models}
    teacher = "Cnn14" if profile["TEACHER"].startswith("Cnn14") else models[0]
    hours: dict[str, float] = {}
    for dataset in profile["DATASETS"]:
        spec = DATASETS[dataset]
        rate = {r["model"]: r for r in rows if r["dataset"] == dataset}
        forward = {m: spec.train / rate[m]["eval_samples_per_s"] / 3600 for m in rate}
        per_model = {
            "CELoss": lambda m: forward[m],
            "FirstIteration": lambda m: epochs * forward[m],
            "PredictionDepth": lambda m: (len(profile["PROBES"]) + 2) * forward[m],
        }
        for name, cost in per_model.items():
            if name in profile["DEFINITIONS"]:
                hours[name] = hours.get(name, 0.0) + sum(seeds[m] * cost(m) for m in models)
        if "CVLoss" in profile["DEFINITIONS"]:
            first = rate[models[0]]
            folds = profile["CV_FOLDS"]
            fold_train = spec.train * (folds - 1) / folds
            hours["CVLoss"] = hours.get("CVLoss", 0.0) + folds * (
                profile["CV_EPOCHS"] * (fold_train / first["train_samples_per_s"]
                                        + spec.dev / first["eval_samples_per_s"])) / 3600 \
                + forward[models[0]]
        if "TransferTeacher" in profile["DEFINITIONS"]:
            hours["TransferTeacher"] = hours.get("TransferTeacher", 0.0) + forward[teacher]
    return hours


def curricula_hours(rows: list[dict[str, Any]], profile: dict[str, Any]) -> dict[str, float]:
    """Device-hours of the curricula chapter (09_curricula) over the profile's datasets, from
    the measured rates of its first model: every (schedule, ordering) point per seed trains
    the paced share of the split each epoch (dev and test in full); every inclusion share
    trains twice per seed (the easiest and the hardest share alone). ``best`` counts as an
    ordering of its own (an upper bound: it may name one of the others)."""
    epochs, model = profile["EPOCHS"], profile["MODELS"][0]
    pacing = curricula.Pacing.from_parameters(profile)
    points = len(curricula.points_to_train(profile["CURRICULUM_ORDERINGS"],
                                           profile["CURRICULUM_SCHEDULES"]))
    seeds = len(profile["CURRICULUM_SEEDS"])
    hours = {"curricula": 0.0, "inclusion": 0.0}
    for dataset in profile["DATASETS"]:
        spec = DATASETS[dataset]
        rate = next(r for r in rows if r["dataset"] == dataset and r["model"] == model)

        def run_hours(train_share: float) -> float:
            return (epochs * (train_share * spec.train / rate["train_samples_per_s"]
                              + spec.dev / rate["eval_samples_per_s"])
                    + spec.test / rate["eval_samples_per_s"]) / 3600
        share = curricula.sample_epochs_share(pacing, spec.train, epochs)
        hours["curricula"] += points * seeds * run_hours(share)
        hours["inclusion"] += sum(2 * seeds * run_hours(kept)
                                  for kept in profile["INCLUSION_SHARES"])
    return hours


def main() -> None:
    args = parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device here")
    device = torch.device("cuda" if args.device == "cuda" or (
        args.device == "auto" and torch.cuda.is_available()) else "cpu")
    profile = profiles.load("paper")
    epochs, seeds = profile["EPOCHS"], len(profile["SEEDS"])
    pairs = [(d, m) for d in profile["DATASETS"] for m in profile["MODELS"]]
    started = time.perf_counter()
    print(f"Measuring on {device_name(device)} (torch {torch.__version__}, "
          f"autrainer {autrainer.__version__}); {WARMUP_BATCHES} warm-up + {args.batches} "
          f"timed batches each (rate = batch / median batch time)")
    load = os.getloadavg()[0]
    if load > 1.0:
        print(f"Note: 1-minute load average {load:.1f} before starting; if other processes "
              f"are still busy, they share the CPU and the rates come out low.")

    rows = []
    for i, (dataset, model) in enumerate(pairs, 1):
        spec = DATASETS[dataset]
        batch = profile["BATCH_SIZE"]
        if device.type == "cpu" and spec.seconds > 1:
            batch = CPU_LONG_CLIP_BATCH
        print(f"[{i}/{len(pairs)}] {dataset} {model}: batch {batch} of {spec.seconds} s clips ...",
              flush=True)
        m = measure(model, spec, device, batch, args.batches, profile["LEARNING_RATE"])
        print(f"      train {m['train_samples_per_s']:.1f}/s, eval {m['eval_samples_per_s']:.1f}/s,"
              f" {m['forward_flops_per_clip'] / 1e9:.2f} GFLOP/clip "
              f"({time.perf_counter() - started:.0f} s so far)", flush=True)
        rows.append({"dataset": dataset, "model": model, **m,
                     **per_run(m, spec, epochs, profile["SCORING_SUBSET"])})

    data = {}
    for dataset in profile["DATASETS"]:
        spec = DATASETS[dataset]
        feature = npy_bytes(log_mel(spec.seconds).numpy())
        audio = wav_bytes(spec.seconds)
        data[dataset] = {
            "seconds": spec.seconds, "classes": len(spec.labels), "train": spec.train,
            "dev": spec.dev, "test": spec.test, "feature_bytes_per_clip": feature,
            "wav16k_bytes_per_clip": audio, "bytes": spec.clips * (feature + audio),
        }
    # The sweep's disk under each engine (the profile's launcher: runs training at once),
    # projected by lib/disk.py with the sizes measured here; features and audio on top.
    measured = {(r["dataset"], r["model"]): measured_sizes(r) for r in rows}
    sweep = {engine: disk.project(
        training.Ensemble.from_parameters({**profile, "SCORING_ENGINE": engine}),
        sizes=lambda dataset, model: measured[dataset, model])
        for engine in ("aucurriculum", "in-training")}
    data_bytes = sum(d["bytes"] for d in data.values())
    totals = {
        "runs": sweep["aucurriculum"].runs,
        "train_hours": seeds * sum(r["train_hours"] for r in rows),
        "score_hours_upper_bound": seeds * sum(r["score_hours_upper_bound"] for r in rows),
        "data_gb": data_bytes / 1e9,
        "kept_gb": (sweep["aucurriculum"].kept + data_bytes) / 1e9,
        # one reference run per dataset keeps every checkpoint (the model chosen first)
        "kept_gb_in_training": (sweep["in-training"].kept + data_bytes) / 1e9,
        "peak_gb": (sweep["aucurriculum"].peak + data_bytes) / 1e9,
        "peak_gb_in_training": (sweep["in-training"].peak + data_bytes) / 1e9,
    }
    totals["device_hours"] = totals["train_hours"] + totals["score_hours_upper_bound"]

    gpu = "  peak GPU MiB" if device.type == "cuda" else ""
    header = (f"{'dataset':<16}{'model':<7}{'batch':>6}{'train/s':>9}{'eval/s':>9}"
              f"{'GFLOP':>8}{'ckpt MB':>9}{'optim MB':>9}{'train h':>9}{'score h':>9}"
              f"{'GB kept':>9}{'GB peak':>9}{gpu}")
    print(f"\nMeasured on {device_name(device)}; per run, {epochs} epochs "
          f"(GFLOP: forward per clip; score h: upper bound, every epoch scored)")
    print(header)
    print("-" * len(header))
    for r in rows:
        line = (f"{r['dataset']:<16}{r['model']:<7}{r['batch_size']:>6}"
                f"{r['train_samples_per_s']:>9.1f}{r['eval_samples_per_s']:>9.1f}"
                f"{r['forward_flops_per_clip'] / 1e9:>8.2f}{r['checkpoint_bytes'] / 1e6:>9.1f}"
                f"{r['optimizer_bytes'] / 1e6:>9.1f}{r['train_hours']:>9.1f}"
                f"{r['score_hours_upper_bound']:>9.1f}{r['kept_bytes'] / 1e9:>9.1f}"
                f"{r['peak_bytes'] / 1e9:>9.1f}")
        if device.type == "cuda":
            line += f"{r['train_peak_gpu_mib']:>14.0f}"
        print(line)
    for dataset, d in data.items():
        print(f"{dataset}: {d['train']} train / {d['dev']} dev / {d['test']} test clips; "
              f"features {d['feature_bytes_per_clip'] / 1e3:.0f} kB + 16 kHz wav "
              f"{d['wav16k_bytes_per_clip'] / 1e3:.0f} kB per clip = {d['bytes'] / 1e9:.1f} GB")
    print(f"\nSweep ({totals['runs']} runs = {seeds} seeds x {len(profile['MODELS'])} models x "
          f"{len(profile['DATASETS'])} datasets), measured on this device:")
    print(f"  training {totals['train_hours']:.0f} h + scoring <= "
          f"{totals['score_hours_upper_bound']:.0f} h = {totals['device_hours']:.0f} "
          f"device-hours ({totals['device_hours'] / 24:.1f} days on one such device)")
    print(f"  disk: {totals['kept_gb']:.0f} GB kept for scoring ({totals['data_gb']:.0f} GB of "
          f"it features + audio), {totals['peak_gb']:.0f} GB peak while the largest run "
          f"trains (its optimizer state of every epoch)")
    print(f"  disk with SCORING_ENGINE in-training: {totals['kept_gb_in_training']:.0f} GB kept "
          f"(the best model, the last epoch's model and optimizer, the records; one reference "
          f"run per dataset keeps "
          f"every checkpoint), {totals['kept_gb'] / totals['kept_gb_in_training']:.1f} x less; "
          f"{totals['peak_gb_in_training']:.0f} GB peak")

    definitions = definition_hours(rows, profile)
    totals["definitions_hours"] = sum(definitions.values())
    print(f"\nDefinitions of difficulty (02b_definitions, on the runs of "
          f"{', '.join(profile['DEFINITION_MODELS'])}), device-hours beyond the sweep's:")
    for name, value in definitions.items():
        print(f"  {name:<16}{value:>8.1f} h")
    print(f"  {'together':<16}{totals['definitions_hours']:>8.1f} h")

    trained_again = curricula_hours(rows, profile)
    totals["curricula_hours"] = sum(trained_again.values())
    print(f"\nCurricula (09_curricula, {profile['MODELS'][0]}): curriculum points "
          f"{trained_again['curricula']:.1f} h, training on one end alone "
          f"{trained_again['inclusion']:.1f} h")

    projection = None
    if device.type == "cpu":
        flops = seeds * sum(r["train_flops"] + r["score_flops"] for r in rows)
        hours = flops / (args.assumed_tflops * 1e12) / 3600
        # The definitions make the same forward and training passes of the same models, so
        # they speed up by the sweep's ratio.
        definition_gpu_hours = totals["definitions_hours"] * hours / totals["device_hours"]
        curricula_gpu_hours = totals["curricula_hours"] * hours / totals["device_hours"]
        projection = {"assumed_tflops": args.assumed_tflops, "sweep_flops": flops,
                      "gpu_hours": hours, "definitions_gpu_hours": definition_gpu_hours,
                      "curricula_gpu_hours": curricula_gpu_hours}
        print(f"\nPROJECTION, not a measurement: the sweep's {flops:.2e} FLOPs (training 3x and "
              f"evaluation 1x the measured forward FLOPs) at an assumed {args.assumed_tflops:g} "
              f"TFLOP/s sustained = {hours:.1f} GPU-hours; the Definitions chapter's scoring "
              f"functions, at the same ratio, {definition_gpu_hours:.1f} GPU-hours more, the "
              f"curricula {curricula_gpu_hours:.1f}. Re-run "
              f"with --device cuda on the GPU to measure instead.")

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({
        "device": device_name(device), "device_type": device.type,
        "torch": torch.__version__, "autrainer": autrainer.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "profile": {"epochs": epochs, "seeds": seeds, "models": profile["MODELS"],
                    "datasets": profile["DATASETS"], "batch_size": profile["BATCH_SIZE"]},
        "warmup_batches": WARMUP_BATCHES, "timed_batches": args.batches,
        "load_average_at_start": load,
        "datasets": data, "measurements": rows, "totals": totals,
        "definitions_hours": definitions, "curricula_hours": trained_again,
        "gpu_projection": projection,
        "script_seconds": time.perf_counter() - started,
    }, indent=2))
    print(f"\nWrote {paths.relative(OUTPUT)} ({time.perf_counter() - started:.0f} s)")
    publish(f"paper_cost_{device.type}", f"The paper's sweep, measured on {device.type}",
            pd.DataFrame([{
                "dataset": r["dataset"], "model": r["model"], "batch": r["batch_size"],
                "train clips/s": round(r["train_samples_per_s"], 1),
                "eval clips/s": round(r["eval_samples_per_s"], 1),
                "GFLOP per clip": round(r["forward_flops_per_clip"] / 1e9, 2),
                "train h per run": round(r["train_hours"], 1),
                "score h per run (at most)": round(r["score_hours_upper_bound"], 1),
                "GB kept per run": round(r["kept_bytes"] / 1e9, 1)} for r in rows]),
            "paper_cost.py",
            f"The whole sweep ({totals['runs']} runs of {epochs} epochs): training "
            f"{totals['train_hours']:.0f} h + scoring at most "
            f"{totals['score_hours_upper_bound']:.0f} h on one such device; "
            f"{totals['kept_gb']:.0f} GB kept for scoring with the aucurriculum engine, "
            f"{totals['kept_gb_in_training']:.0f} GB with the in-training engine. The "
            f"Definitions chapter's scoring functions add "
            f"{totals['definitions_hours']:.0f} h ("
            + ", ".join(f"{name} {value:.1f} h" for name, value in definitions.items())
            + f"); the curricula chapter {trained_again['curricula']:.0f} h of curriculum "
            f"points and {trained_again['inclusion']:.0f} h of training on one end alone"
            + ("" if projection is None else
               f"; projected at an assumed {args.assumed_tflops:g} TFLOP/s, the sweep "
               f"{projection['gpu_hours']:.1f}, the definitions "
               f"{projection['definitions_gpu_hours']:.1f} and the curricula "
               f"{projection['curricula_gpu_hours']:.1f} GPU-hours") + ".")


if __name__ == "__main__":
    main()
