"""How long a profile's book takes on this machine, said before anything trains.

Every chapter's training is counted in sample-epochs per model (:func:`sample_epochs`: the
ensemble, CVLoss's fold models, the label-noise sweep, the pruning points, the curricula); the
Grad-CAMs and masking passes of the explanations in training-step equivalents
(:func:`explanation_steps`); the scoring, calibration and inference passes over the training
set in a number of step equivalents per clip (:data:`SCORING_PASSES`). Each model's
training-step throughput is measured here, on random log-mels of the profile's clip length and
batch, in its precision (:func:`step_rate`), so the projection follows the clips' count and
length and this machine's speed. What is left, the commands' and kernels' start-up, is a
constant (:data:`FIXED_MINUTES`). The constants are fitted on two builds' reports
(``benchmarks/build_report.py``) on 2 cores: the demo at dffcc99 (600 clips of 1 s, 6 classes,
24.2 minutes of notebooks; ``git show dffcc99:book/measured/build_demo.md``) and a user's 621
clips of 2.5 s in 20 classes (34.1 minutes; ``git show 35c0eb6:book/measured/build_klettres.md``),
and both are projected within 10 %.
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

#: Wall time of an epoch over its training steps alone (dev and test passes, the in-training
#: recorder, data loading on top): 0.97 on the demo build's 01_training, 1.19 over the
#: training chapters of the 2.5 s user build; the middle is taken.
EPOCH_ALLOWANCE = 1.1
#: Passes over the training set outside training, in training-step equivalents per clip
#: (mostly forward passes): aucurriculum's scoring (probes, teacher, folds' evaluation),
#: calibration and inference.
#: Fitted with FIXED_MINUTES on the two builds (5.91 and 8.89 minutes besides training and
#: explanations, at 0.16 and 0.40 minutes per pass over their training sets).
SCORING_PASSES = 12.6
#: Minutes of start-up: each toolkit command's imports and run set-up, each kernel, figures.
FIXED_MINUTES = 3.9
#: A masking pass is a forward pass: a third of a training step. Each Grad-CAM is one forward
#: and backward pass, and two images saved (about 0.03 s here).
FORWARD_SHARE, IMAGE_SECONDS = 1 / 3, 0.03
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
        work["definitions"] = {values["DEFINITION_MODELS"][0]:  # CVLoss trains the first
                               folds * values["CV_EPOCHS"] * train_clips * (folds - 1) / folds}
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


def rated_models(values: Mapping[str, Any]) -> list[str]:
    """The models whose step rate a projection needs: those trained, explained and scoring."""
    return sorted(set(values["MODELS"]) | set(values["DEFINITION_MODELS"][:1])
                  | {values["EXPLAIN_MODEL"]})


def explained_maps(values: Mapping[str, Any], train_clips: int, classes: int) -> int:
    """Grad-CAMs the explanations compute: per class, up to SELECTION_K easy, medium and hard
    clips (no more than the class has), for each seed of EXPLAIN_MODEL."""
    model = values["EXPLAIN_MODEL"]
    seeds = values["SEEDS_BY_MODEL"].get(model, values["SEEDS"])
    per_class = min(3 * values["SELECTION_K"], train_clips // max(classes, 1))
    return per_class * classes * len(seeds)


def explanation_steps(values: Mapping[str, Any], maps: int) -> float:
    """Training-step equivalents of ``maps`` Grad-CAMs and their faithfulness check (one
    unmasked and, per masked share, one Grad-CAM-masked and :data:`lib.explain.RANDOM_MASKS`
    randomly masked
    forward passes)."""
    from lib.explain import RANDOM_MASKS

    forwards = 1 + len(values["FAITHFULNESS_TOP"]) * (1 + RANDOM_MASKS)
    return maps * (1 + forwards * FORWARD_SHARE)


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
    explanation_minutes: float              # Grad-CAMs and masking passes
    scoring_minutes: float                  # scoring, calibration and inference passes
    fixed_minutes: float                    # start-up

    @property
    def total(self) -> float:
        return (sum(self.minutes.values()) + self.explanation_minutes + self.scoring_minutes
                + self.fixed_minutes)

    def lines(self, when: str = "measured now") -> list[str]:
        """The projection in a few lines, as the build prints them (``when``: when the rates
        were measured)."""
        rates = ", ".join(f"{model} {rate:.0f} clips/s" for model, rate in self.rates.items())
        parts = ", ".join(f"{chapter} {minutes:.1f}" for chapter, minutes in self.minutes.items())
        return [f"this machine trains {rates} ({when})",
                f"projected: {self.total:.0f} minutes ({parts} minutes of training; "
                f"{self.explanation_minutes:.1f} of Grad-CAMs, {self.scoring_minutes:.1f} of "
                f"scoring passes, about {self.fixed_minutes:.0f} of start-up)"]


def project(values: Mapping[str, Any], train_clips: int, seconds: float, ground_truth: bool,
            classes: int, rates: dict[str, float] | None = None, device: str = "cpu"
            ) -> Projection:
    """The projected minutes of a profile's book on a training split of ``train_clips`` clips
    of ``seconds`` in ``classes`` classes (``rates``: measured here when not given)."""
    work = sample_epochs(values, train_clips, ground_truth)
    explainer, scorer = values["EXPLAIN_MODEL"], values["DEFINITION_MODELS"][0]
    rates = rates or {model: step_rate(model, seconds, values["BATCH_SIZE"],
                                       values["PRECISION"], device)
                      for model in rated_models(values)}
    minutes = {chapter: sum(count / rates[model] for model, count in parts.items())
               * EPOCH_ALLOWANCE / 60 for chapter, parts in work.items()}
    maps = explained_maps(values, train_clips, classes)
    explaining = (explanation_steps(values, maps) / rates[explainer]
                  + maps * IMAGE_SECONDS) / 60
    scoring = SCORING_PASSES * train_clips / rates[scorer] / 60
    return Projection(rates, minutes, explaining, scoring, FIXED_MINUTES)


def cached_rates(file: Path, models: list[str], seconds: float, batch: int, precision: str,
                 device: str = "cpu") -> tuple[dict[str, float], list[str]]:
    """:func:`step_rate` of each model, kept in ``file`` for this machine and input shape, so a
    rebuild says its projection without measuring again; and the models measured now."""
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
    return {model: rates[model] for model in models}, missing
