"""How long a profile's book takes on this machine, said before anything trains.

Every chapter's training is counted in sample-epochs per model (:func:`sample_epochs`: the
ensemble, CVLoss's fold models, the label-noise sweep, the pruning points, the curricula); each
model's training-step throughput is measured here, on random log-mels of the profile's clip
length and batch, in its precision (:func:`step_rate`); what an epoch costs beyond its
training steps (dev and test passes, the in-training recorder, data loading) and what the book
does besides training (scoring, Grad-CAM, inference, the toolkit's start-up) are allowances
measured on the demo build (:data:`EPOCH_ALLOWANCE`, :data:`FIXED_MINUTES`).
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

#: Wall time of an epoch over its training steps alone, on the demo build: 01_training's epochs
#: (8.39 min, book/measured/build_demo.md) against its sample-epochs at the rates
#: :func:`step_rate` measured on the same 2 cores (Cnn10 61-63, Cnn14 9-12 clips/s at 1 s,
#: batch 16, bf16): 0.85-0.99 over five measurements. An epoch's dev pass and recorder cost
#: about what the timed steps' own overhead adds, so the epochs take their steps' time.
EPOCH_ALLOWANCE = 1.0
#: The demo build's minutes outside the runs' epochs (24.97 - 16.86, build_demo.md): commands'
#: start-up, scoring passes, Grad-CAM, inference, figures; about the same for any small set.
FIXED_MINUTES = 8.1
#: Log-mel frames per second of audio (10 ms hop) and mel bins, as ``log_mel_16k``.
FRAMES_PER_SECOND, MEL_BINS = 100, 64


def _pace_share(values: Mapping[str, Any]) -> float:
    """The share of a full run's sample-epochs a curriculum run draws (linear pacing from
    CURRICULUM_INITIAL_SIZE to the whole split at CURRICULUM_FINAL_ITERATION)."""
    start, until = values["CURRICULUM_INITIAL_SIZE"], values["CURRICULUM_FINAL_ITERATION"]
    return until * (1 + start) / 2 + (1 - until)


def sample_epochs(values: Mapping[str, Any], train_clips: int, ground_truth: bool
                  ) -> dict[str, dict[str, float]]:
    """Per chapter and model, the training sample-epochs a profile asks for on a training split
    of ``train_clips`` (``ground_truth``: whether the data records injected samples, which the
    oracle pruning rule needs)."""
    models, epochs = values["MODELS"], values["EPOCHS"]
    first = models[0]
    seeds = {model: values["SEEDS_BY_MODEL"].get(model, values["SEEDS"]) for model in models}
    work: dict[str, dict[str, float]] = {
        "training": {model: len(seeds[model]) * epochs * train_clips for model in models}}
    if "CVLoss" in values["DEFINITIONS"]:
        folds = values["CV_FOLDS"]
        work["definitions"] = {model: folds * values["CV_EPOCHS"] * train_clips
                               * (folds - 1) / folds for model in values["DEFINITION_MODELS"]}
    if ground_truth and values["SWEEP_FLIP_FRACTIONS"]:
        work["validation"] = {first: len(values["SWEEP_FLIP_FRACTIONS"])
                              * len(values["SWEEP_SEEDS"]) * epochs * train_clips}
    rules = [rule for rule in values["PRUNE_RULES"] if rule != "oracle" or ground_truth]
    work["pruning"] = {first: sum(len(values["PRUNE_SEEDS"]) * epochs * train_clips
                                  * (1 - share) for rule in rules
                                  for share in values["PRUNE_FRACTIONS"])}
    curricula = (len(values["CURRICULUM_ORDERINGS"]) * len(values["CURRICULUM_SCHEDULES"])
                 * len(values["CURRICULUM_SEEDS"]) * epochs * train_clips * _pace_share(values))
    work["curricula"] = {first: curricula}
    return {chapter: parts for chapter, parts in work.items() if any(parts.values())}


def step_rate(model: str, seconds: float, batch: int, precision: str, device: str = "cpu",
              steps: int = 4) -> float:
    """Training samples per second of ``model`` (forward, cross-entropy backward, Adam step) on
    random log-mels of ``seconds`` of audio, the median of ``steps`` timed batches after two
    untimed ones (the first pays for allocation)."""
    import statistics

    import torch
    import torch.nn.functional as F

    from lib import models

    torch.manual_seed(0)
    net = getattr(models, model)(output_dim=10, precision=precision).to(device).train()
    x = torch.randn(batch, 1, int(seconds * FRAMES_PER_SECOND) + 1, MEL_BINS, device=device)
    y = torch.randint(10, (batch,), device=device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    timed = []
    for step in range(steps + 2):
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if step > 1:
            timed.append(time.perf_counter() - started)
    return batch / statistics.median(timed)


@dataclass(frozen=True)
class Projection:
    """A profile's projected minutes on this machine, and what they rest on."""
    rates: dict[str, float]                 # model -> training samples per second
    minutes: dict[str, float]               # chapter -> minutes of training
    fixed_minutes: float

    @property
    def total(self) -> float:
        return sum(self.minutes.values()) + self.fixed_minutes

    def lines(self) -> list[str]:
        """The projection in a few lines, as the build prints them."""
        rates = ", ".join(f"{model} {rate:.0f} clips/s" for model, rate in self.rates.items())
        parts = ", ".join(f"{chapter} {minutes:.1f}" for chapter, minutes in self.minutes.items())
        return [f"this machine trains {rates} (measured now)",
                f"projected: {self.total:.0f} minutes ({parts} minutes of training; about "
                f"{self.fixed_minutes:.0f} besides)"]


def project(values: Mapping[str, Any], train_clips: int, seconds: float, ground_truth: bool,
            rates: dict[str, float] | None = None, device: str = "cpu") -> Projection:
    """The projected minutes of a profile's book (``rates``: measured here when not given)."""
    work = sample_epochs(values, train_clips, ground_truth)
    models = sorted({model for parts in work.values() for model in parts})
    rates = rates or {model: step_rate(model, seconds, values["BATCH_SIZE"],
                                       values["PRECISION"], device) for model in models}
    minutes = {chapter: sum(count / rates[model] for model, count in parts.items())
               * EPOCH_ALLOWANCE / 60 for chapter, parts in work.items()}
    return Projection(rates, minutes, FIXED_MINUTES)


def cached_rates(file: Path, models: list[str], seconds: float, batch: int, precision: str,
                 device: str = "cpu") -> dict[str, float]:
    """:func:`step_rate` of each model, kept in ``file`` for this machine and input shape, so a
    rebuild says its projection without measuring again."""
    key = json.dumps([platform.processor() or platform.machine(), os.cpu_count(), device,
                      seconds, batch, precision])
    stored = json.loads(file.read_text()) if file.is_file() else {}
    rates = stored.get(key, {})
    missing = [model for model in models if model not in rates]
    for model in missing:
        rates[model] = step_rate(model, seconds, batch, precision, device)
    if missing:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps({**stored, key: rates}, indent=1))
    return {model: rates[model] for model in models}
