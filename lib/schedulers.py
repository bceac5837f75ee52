"""Learning-rate schedules named in the configs :mod:`lib.toolkit` writes; autrainer builds them.

A one-cycle schedule is sized in optimiser steps, which depend on the dataset. autrainer names
a run after its scheduler's config id, so one config per size would give runs of one setting
different names, and one config sized for a single dataset would mis-size every other. The
config therefore holds each dataset's size and the run's dataset id (``${dataset.id}``,
resolved by Hydra in the run's own config), so one command trains or scores datasets of any
sizes under one id.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch


class OneCycleLR(torch.optim.lr_scheduler.OneCycleLR):
    """torch's one-cycle schedule with ``steps_per_epoch`` looked up by dataset id."""

    def __init__(self, optimizer: torch.optim.Optimizer, max_lr: float, epochs: int,
                 steps_per_epoch: Mapping[str, int], dataset: str, **settings: Any) -> None:
        if dataset not in steps_per_epoch:
            raise ValueError(f"one-cycle schedule: no size for dataset {dataset!r} (sized: "
                             f"{', '.join(steps_per_epoch)})")
        steps = epochs * int(steps_per_epoch[dataset])
        # torch ends the warm-up at step pct_start * steps - 1 and divides by its length: a
        # warm-up of exactly one step (4 steps at 0.25: a pruned smoke-sized set) divides by
        # zero, so one of a step or less gets two where there are steps enough
        warm_up = settings.pop("pct_start", 0.3)
        if steps >= 3 and warm_up * steps <= 1:
            warm_up = 2 / steps
        super().__init__(optimizer, max_lr=max_lr, epochs=epochs,
                         steps_per_epoch=int(steps_per_epoch[dataset]), pct_start=warm_up,
                         **settings)
