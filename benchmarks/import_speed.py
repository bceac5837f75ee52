"""How fast one's own audio is imported: clips per second of each step of `make data` on a
user's folder, per input format side by side, projected to tens of thousands of clips.

The input is real speech: the Asterisk prompts of the import tests (one speaker's number
words, letter names and phonetic alphabet, :func:`lib.realspeech.write_prompts`), cycled to
``--clips`` clips in three class subfolders, each copy a little quieter than the last so that
no two are identical audio (which the import would refuse under two labels). Each format gets
its own folder: the package's 8 kHz WAV, 16 kHz WAV (nothing to resample), 44.1 kHz stereo
FLAC and 22.05 kHz OGG. Per format it times

- **check**: every clip decoded and inspected (:func:`lib.userdata.check`), the first step of
  an import, which lists every problem before anything is written;
- **copy**: the rest of :func:`lib.userdata.import_dataset` (resample to 16 kHz mono, cut or
  pad to the clip length, write), its total minus a check;
- **re-run**: the same import again, which reuses the copy without decoding a clip;

and once (the copies are 16 kHz WAV of one length whatever the input) **features**:
``autrainer preprocess`` (log-mel) on the copy of ``--clips`` clips and on one of 9 clips, whose
difference is the per-clip time without the command's start. The projection is that start
plus ``--project`` clips at the per-clip times of check, copy and features. A benchmark-only
profile's folders (``data/bench-import``, ``results/bench-import``) are removed afterwards.

Run:  .venv/bin/python benchmarks/import_speed.py [--clips 600] [--project 50000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.publish import publish  # noqa: E402
from lib import audio, paths, realspeech, toolkit, userdata  # noqa: E402

PROFILE = "bench-import"
#: Clips of the small import whose features time gives the command's start.
SMALL = 9
#: Format name -> (sample rate, channels, file suffix); None: the package's own rate.
FORMATS = {"8 kHz WAV (as shipped)": (None, 1, ".wav"), "16 kHz WAV": (16000, 1, ".wav"),
           "44.1 kHz stereo FLAC": (44100, 2, ".flac"), "22.05 kHz OGG": (22050, 1, ".ogg")}


def write_input(prompts: Path, root: Path, clips: int, rate: int | None, channels: int,
                suffix: str) -> Path:
    """``clips`` clips cycled from the prompts' good files, one class after the other, in one
    format."""
    classes = [sorted(f for f in folder.iterdir() if f.suffix in (".wav", ".flac", ".ogg")
                      and f.relative_to(prompts).as_posix() not in realspeech.BROKEN_PROMPTS)
               for folder in sorted(prompts.iterdir()) if folder.is_dir()]
    for i in range(clips):
        files = classes[i % len(classes)]
        source = files[(i // len(classes)) % len(files)]
        samples, source_rate = audio.read(source)
        mono = samples[:, 0] * (1.0 - 0.5 * i / clips)  # no two copies are identical audio
        target_rate = rate or source_rate
        signal = audio.resample(mono, source_rate, target_rate)
        if channels == 2:
            signal = np.stack([signal, 0.5 * signal], axis=1)
        target = root / source.parent.name / f"{source.stem}-{i}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(target, signal, target_rate)
    return root


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(source: userdata.Source, name: str, features: bool) -> dict[str, float]:
    """Seconds of a check, an import (check and copy), a re-run and, with ``features``, the
    log-mel features of the copy."""
    settings = userdata.ImportSettings(flip_fraction=0.05)
    root = paths.dataset_dir(PROFILE, name)
    check = timed(lambda: userdata.check(source, progress=False))
    total = timed(lambda: userdata.import_dataset(source, root, name, settings, progress=False,
                                                  log=lambda line: None))
    rerun = timed(lambda: userdata.import_dataset(source, root, name, settings, progress=False,
                                                  log=lambda line: None))
    seconds = {"check": check, "copy": total - check, "rerun": rerun}
    if features:
        seconds["features"] = timed(lambda: toolkit.preprocess(PROFILE, [name]))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=600, help="clips per format")
    parser.add_argument("--project", type=int, default=50000, help="clips to project to")
    args = parser.parse_args(argv)
    if args.clips <= 10 * SMALL:
        parser.error(f"--clips must exceed {10 * SMALL}: the features' per-clip time is the "
                     f"difference from a {SMALL}-clip command")
    raw = {}
    with tempfile.TemporaryDirectory() as tmp:
        prompts = realspeech.write_prompts(Path(tmp) / "prompts")
        try:
            small = write_input(prompts, Path(tmp) / "small", SMALL, None, 1, ".wav")
            raw["small"] = measure(userdata.Source(small), "Small", features=True)
            for i, (label, (rate, channels, suffix)) in enumerate(FORMATS.items()):
                folder = write_input(prompts, Path(tmp) / f"input{i}", args.clips, rate,
                                     channels, suffix)
                raw[label] = measure(userdata.Source(folder), f"Format{i}", features=i == 0)
                print(label, {k: round(v, 2) for k, v in raw[label].items()}, flush=True)
        finally:
            shutil.rmtree(paths.data_dir(PROFILE), ignore_errors=True)
            shutil.rmtree(paths.results_dir(PROFILE), ignore_errors=True)
    first = raw[next(iter(FORMATS))]
    features = (first["features"] - raw["small"]["features"]) / (args.clips - SMALL)
    start = raw["small"]["features"] - SMALL * features
    rows = [{"input": label,
             "check clips/s": round(args.clips / found["check"]),
             "copy clips/s": round(args.clips / found["copy"]),
             "features clips/s": round(1 / features),
             "re-run s": round(found["rerun"], 2),
             f"minutes for {args.project:,} clips": round(
                 (start + args.project * ((found["check"] + found["copy"]) / args.clips
                                          + features)) / 60, 1)}
            for label, found in raw.items() if label != "small"]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    out = paths.RESULTS / "benchmarks" / "import_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(raw, indent=2))
    publish("import_speed", "Importing one's own audio", table, "import_speed.py",
            notes=f"{args.clips} clips per input format (real speech, the Asterisk prompts, "
                  "about 1 s each), one process. *check* decodes and inspects every clip, "
                  "*copy* resamples to 16 kHz mono, cuts or pads and writes, *features* is "
                  "`autrainer preprocess` (log-mel) per clip, from the difference of a "
                  f"{args.clips}-clip and a {SMALL}-clip command (its start, {start:.0f} s, is "
                  "in the projection once); *re-run* is the import again on unchanged input "
                  "(nothing decoded). The projection is the start plus every clip's check, "
                  "copy and features.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
