"""A tiny tree in the DCASE2020 Task 1A layout, to run the paper's DCASE code path offline.

Each "scene" is a fixed mixture recipe of real recordings from the noise bank, 10 s long as
DCASE's (SCENE_SECONDS; the smoke profile's are shorter) at 44.1 kHz mono, named
``audio/<scene>-<city>-<location>-<segment>-<device>.wav`` and listed in
``train.csv``/``test.csv`` as TAU Urban Acoustic Scenes 2020 Mobile lists them. It exercises
autrainer's real ``DCASE2020Task1A`` class (location-based dev split included); it says nothing
about real acoustic scenes.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from lib import audio
from lib.datasets import SCENE_SET, build_once, layout_of
from lib.noise import RATE as NOISE_RATE
from lib.noise import NoiseBank

GENERATOR_VERSION = 1
SCENES = ("airport", "bus", "metro", "metro_station", "park", "public_square",
          "shopping_mall", "street_pedestrian", "street_traffic", "tram")
CITIES = ("barcelona", "helsinki", "lisbon", "lyon", "paris")
DEVICES = ("a", "b", "c", "s1", "s2", "s3")
RATE = 44100
TEST_CLIPS_PER_CLASS = 2


def _scene_signal(scene_index: int, bank: NoiseBank, rng: np.random.Generator,
                  seconds: float) -> np.ndarray:
    """Two or three clips from the scene's own share of the bank, at random levels."""
    own = bank.clips[scene_index::len(SCENES)] or bank.clips
    samples = int(seconds * NOISE_RATE)
    mix = np.zeros(samples, dtype=np.float32)
    for _ in range(int(rng.integers(2, 4))):
        clip = own[rng.integers(len(own))].signal
        looped = np.tile(clip, int(np.ceil(samples / len(clip))) + 1)
        start = int(rng.integers(0, len(looped) - samples + 1))
        mix += looped[start:start + samples] * float(rng.uniform(0.2, 1.0))
    return audio.peak_normalise(audio.resample(mix, NOISE_RATE, RATE), 0.5)


def generate(clips_per_class: int, noise_sources: list[str], seed: int, root: Path,
             log: Callable[[str], None] = print, seconds: float = 10.0) -> Path:
    """Write the tree to ``root`` unless an identical one is there already."""
    spec = {"clips_per_class": clips_per_class, "noise_sources": sorted(noise_sources),
            "seed": seed, "seconds": seconds, "version": GENERATOR_VERSION}
    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    columns = list(layout_of(SCENE_SET).columns)

    def build(partial: Path) -> dict[str, Any]:
        rng = np.random.default_rng(seed)
        bank = NoiseBank(noise_sources, log=log)
        rows = []
        jobs = [(split, scene_index, take) for split, count in
                (("train", clips_per_class), ("test", TEST_CLIPS_PER_CLASS))
                for scene_index in range(len(SCENES)) for take in range(count)]
        for split, scene_index, take in tqdm(jobs, unit="clip", desc="mixing SyntheticScenes"):
            city = CITIES[int(rng.integers(len(CITIES)))]
            # Two clips per recording location, as TAU records several segments per location.
            location = 1000 * (scene_index + 1) + 10 * (split == "test") + take // 2
            segment = 100 * take + int(rng.integers(100))
            device = DEVICES[int(rng.integers(len(DEVICES)))]
            name = f"audio/{SCENES[scene_index]}-{city}-{location}-{segment}-{device}.wav"
            audio.write(partial / "default" / name,
                        _scene_signal(scene_index, bank, rng, seconds), RATE)
            rows.append({"filename": name, "scene_label": SCENES[scene_index], "city": city,
                         "location": location, "segment": segment, "device": device,
                         "split": split})
        table = pd.DataFrame(rows)
        for split in ("train", "test"):
            table.loc[table["split"] == split, columns].to_csv(partial / f"{split}.csv",
                                                               index=False)
        log(f"SyntheticScenes: wrote {len(table)} clips of {seconds:g} s "
            f"({len(SCENES)} scenes; train {int((table['split'] == 'train').sum())}, "
            f"test {int((table['split'] == 'test').sum())})")
        return {"spec": spec, "noise_sources": bank.sources}

    return build_once(root, SCENE_SET, fingerprint, build,
                      reuse_if=lambda m: sorted(m["noise_sources"]) == spec["noise_sources"],
                      log=log)
