"""What each training augmentation costs per epoch, beside what the epoch itself costs.

The demo's training split is 600 log-mel clips (1 x 101 x 64). For every AUGMENTATION this
applies autrainer's composed pipeline (lib.toolkit.augmentation_pipeline, as a run with seed 1
builds it) to 600 clips, three times, and takes the fastest; beside it, one training epoch of
Cnn10 in bf16 autocast (forward and backward passes, Adam, batches of 16) over 600 clips of
the same shape, the cheapest model of the demo. The share is the augmentation's time over the
epoch's: what it adds to a Cnn10 epoch (a Cnn14 epoch costs about five times more, so its
share is smaller). Every figure comes from one run of this script on one machine: compare the
shares, not absolute times across machines.

Run:  .venv/bin/python benchmarks/augmentation_cost.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.publish import publish  # noqa: E402
from lib import profiles, toolkit  # noqa: E402
from lib.models import Cnn10  # noqa: E402

CLIPS, BATCH, CLASSES = 600, 16, 6


def _clips() -> torch.Tensor:
    return -54.0 + 10.0 * torch.randn((CLIPS, 1, 101, 64),
                                      generator=torch.Generator().manual_seed(0))


def augmentation_seconds(augmentation: str, clips: torch.Tensor, repeats: int = 3) -> float:
    """Fastest of ``repeats`` passes of the augmentation over every clip, one at a time."""
    best = float("inf")
    for _ in range(repeats):
        pipeline = toolkit.augmentation_pipeline(augmentation, seed=1)
        started = time.perf_counter()
        for index, clip in enumerate(clips):
            pipeline(clip, index)
        best = min(best, time.perf_counter() - started)
    return best


def epoch_seconds(clips: torch.Tensor) -> float:
    """One Cnn10 training epoch (bf16 autocast) over the clips, after one warm-up batch."""
    torch.manual_seed(0)
    model = Cnn10(output_dim=CLASSES, precision="bf16")
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-4)
    targets = torch.arange(len(clips)) % CLASSES
    loss = torch.nn.CrossEntropyLoss()

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        optimiser.zero_grad()
        loss(model(x).float(), y).backward()
        optimiser.step()

    model.train()
    step(clips[:BATCH], targets[:BATCH])
    started = time.perf_counter()
    for start in range(0, len(clips), BATCH):
        step(clips[start:start + BATCH], targets[start:start + BATCH])
    return time.perf_counter() - started


def main() -> int:
    clips = _clips()
    epoch = epoch_seconds(clips)
    rows = []
    for augmentation in profiles.AUGMENTATIONS:
        seconds = augmentation_seconds(augmentation, clips)
        rows.append({"augmentation": augmentation,
                     "steps": " + ".join(s.rsplit(".", 1)[1]
                                         for s in toolkit.augmentation_steps(augmentation))
                     or "(none)",
                     "augmentation_s_per_epoch": round(seconds, 3),
                     "cnn10_epoch_s": round(epoch, 1),
                     "share_of_cnn10_epoch": f"{seconds / epoch:.2%}"})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    publish("augmentation_cost", "What a training augmentation costs per epoch", table,
            "augmentation_cost.py",
            f"{CLIPS} clips of 1 x 101 x 64 (the demo's training split); the augmentation "
            "applied clip by clip as autrainer's data loader does, fastest of three passes; "
            "the epoch is Cnn10's forward and backward passes in bf16, batches of 16.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
