"""The offline keyword set: a SpeechCommands-layout dataset generated here, with ground truth.

Words from the SpeechCommands vocabulary are spoken by synthetic voices (eSpeak NG, Piper),
split voice-disjoint into train/dev/test as the real set splits by speaker, and mixed with real
recorded noise at known SNRs. Two kinds of hard sample the paper found are injected into the
training split at known rates: flipped labels and non-speech clips carrying a word label.
``metadata.csv`` records every sample's covariates (voice, engine, SNR, flipped, true word,
non-speech): the ground truth the book checks difficulty scores against.

It is a stand-in for SpeechCommands, not human speech.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from lib import audio, paths
from lib.datasets import KEYWORD_SET, build_once, layout_of
from lib.groundtruth import FLIPPED_COLUMN, NONSPEECH_COLUMN
from lib.noise import NoiseBank
from lib.speech import RATE, Voice, synthesize, trim_silence, voice_bank

#: Bump when the generator's output changes for the same spec (invalidates reuse).
GENERATOR_VERSION = 5
CLIP_SECONDS = 1.0
SPLIT_COLUMNS = list(layout_of(KEYWORD_SET).columns)


@dataclass(frozen=True)
class KeywordSetSpec:
    keywords: tuple[str, ...]
    engines: tuple[str, ...]
    train_voices: int
    dev_voices: int
    test_voices: int
    utterances_per_voice: int
    snr_db: tuple[float, float]
    flip_fraction: float
    nonspeech_fraction: float
    noise_sources: tuple[str, ...]
    seed: int

    @classmethod
    def from_profile(cls, params: dict[str, Any]) -> "KeywordSetSpec":
        return cls(tuple(params["KEYWORDS"]), tuple(params["ENGINES"]),
                   params["TRAIN_VOICES"], params["DEV_VOICES"], params["TEST_VOICES"],
                   params["UTTERANCES_PER_VOICE"], tuple(map(float, params["SNR_DB"])),
                   float(params["FLIP_FRACTION"]), float(params["NONSPEECH_FRACTION"]),
                   tuple(params["NOISE_SOURCES"]), params["DATA_SEED"])

    def fingerprint(self) -> str:
        text = json.dumps([GENERATOR_VERSION, dataclasses.asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plan(spec: KeywordSetSpec, rng: np.random.Generator) -> tuple[pd.DataFrame, list[Voice]]:
    """One row per clip: who says which word, and which training clips get injected."""
    counts = {"train": spec.train_voices, "dev": spec.dev_voices, "test": spec.test_voices}
    voices = voice_bank(list(spec.engines), sum(counts.values()), rng)
    # Spread each engine evenly along the order, so every split gets its share of each engine.
    by_engine = {e: rng.permutation([i for i, v in enumerate(voices) if v.engine == e])
                 for e in spec.engines}
    order = [int(i) for _, _, i in sorted(((k + 0.5) / len(ids), e, i)
                                          for e, ids in by_engine.items()
                                          for k, i in enumerate(ids))]
    rows, start = [], 0
    for split, count in counts.items():
        for index in sorted(order[start:start + count]):
            for word in spec.keywords:
                for take in range(spec.utterances_per_voice):
                    rows.append({"split": split, "voice_index": index, "spoken_word": word,
                                 "label": word, "utterance_number": take})
        start += count
    plan = pd.DataFrame(rows)
    plan[FLIPPED_COLUMN] = False
    plan[NONSPEECH_COLUMN] = False
    train = plan.index[plan["split"] == "train"].to_numpy()
    n_flip = int(round(spec.flip_fraction * len(train)))
    n_nonspeech = int(round(spec.nonspeech_fraction * len(train)))
    chosen = rng.choice(train, size=n_flip + n_nonspeech, replace=False)
    for row in chosen[:n_flip]:
        others = [w for w in spec.keywords if w != plan.at[row, "spoken_word"]]
        plan.at[row, "label"] = others[rng.integers(len(others))]
        plan.at[row, FLIPPED_COLUMN] = True
    for row in chosen[n_flip:]:
        plan.at[row, "spoken_word"] = ""
        plan.at[row, NONSPEECH_COLUMN] = True
    # An injected clip is an extra take of its voice, numbered after the genuine takes and
    # after any other injected clip of the same voice and label, so file names never collide.
    injected = plan[FLIPPED_COLUMN] | plan[NONSPEECH_COLUMN]
    extra_take = plan[injected].groupby(["voice_index", "label"]).cumcount()
    plan.loc[injected, "utterance_number"] = spec.utterances_per_voice + extra_take
    return plan, voices


def _render(row: pd.Series, spoken: np.ndarray | None, bank: NoiseBank, spec: KeywordSetSpec,
            rng: np.random.Generator) -> dict[str, Any]:
    """Place a spoken word (None: non-speech) into 1 s of real noise; signal and covariates."""
    samples = int(CLIP_SECONDS * RATE)
    noise, noise_clip = bank.draw(rng, samples)
    if row[NONSPEECH_COLUMN]:
        signal, snr, speech_seconds, offset = noise, np.nan, 0.0, 0.0
    else:
        speech = trim_silence(spoken)[:samples]
        start = int(rng.integers(0, samples - len(speech) + 1))
        placed = np.zeros(samples, dtype=np.float32)
        placed[start:start + len(speech)] = speech
        snr = float(rng.uniform(*spec.snr_db))
        signal = audio.mix_at_snr(placed, noise, snr, measured_on=speech)
        speech_seconds, offset = len(speech) / RATE, start / RATE
    signal = audio.peak_normalise(signal, float(rng.uniform(0.3, 0.9)))
    return {"signal": signal, "snr_db": snr, "noise_clip": noise_clip,
            "speech_seconds": round(speech_seconds, 4), "speech_onset_s": round(offset, 4)}


def generate(spec: KeywordSetSpec, root: Path, log: Callable[[str], None] = print) -> Path:
    """Write the set to ``root`` unless an identical one is there already.

    The set is built in a sibling ``.partial`` folder and moved into place only when
    complete, so an interrupted run never leaves a half-written dataset behind.
    """
    def build(partial: Path) -> dict[str, Any]:
        rng = np.random.default_rng(spec.seed)
        bank = NoiseBank(list(spec.noise_sources), log=log)
        plan, voices = _plan(spec, rng)
        speaking = plan.index[~plan[NONSPEECH_COLUMN]]
        log(f"OfflineKeywords: synthesising {len(speaking)} words with "
            f"{', '.join(spec.engines)} ...")
        spoken = dict(zip(speaking, synthesize(
            [(plan.at[i, "spoken_word"], voices[plan.at[i, "voice_index"]]) for i in speaking])))
        records = []
        for position, row in tqdm(plan.iterrows(), total=len(plan), unit="clip",
                                  desc="mixing OfflineKeywords", mininterval=1):
            voice = voices[row["voice_index"]]
            clip = _render(row, spoken.get(position), bank, spec, rng)
            path = f"{row['label']}/{voice.speaker_id}_nohash_{row['utterance_number']}.wav"
            audio.write(partial / "default" / path, clip.pop("signal"), RATE)
            records.append({"path": path, "sample_rate": RATE, "label": row["label"],
                            "speaker_id": voice.speaker_id,
                            "utterance_number": row["utterance_number"], "split": row["split"],
                            "engine": voice.engine, "voice": voice.name,
                            "voice_pitch": voice.pitch, "voice_rate": voice.rate,
                            "spoken_word": row["spoken_word"],
                            FLIPPED_COLUMN: row[FLIPPED_COLUMN],
                            NONSPEECH_COLUMN: row[NONSPEECH_COLUMN], **clip})
        metadata = pd.DataFrame(records)
        for split in ("train", "dev", "test"):
            metadata.loc[metadata["split"] == split, SPLIT_COLUMNS].to_csv(
                partial / f"{split}.csv", index=False)
        metadata.to_csv(partial / "metadata.csv", index=False)
        counts = {s: int(n) for s, n in metadata.groupby("split").size().items()}
        log(f"OfflineKeywords: wrote {len(metadata)} clips to {paths.relative(root)} "
            f"(train {counts.get('train', 0)}, dev {counts.get('dev', 0)}, "
            f"test {counts.get('test', 0)}; {int(metadata[FLIPPED_COLUMN].sum())} flipped "
            f"labels, {int(metadata[NONSPEECH_COLUMN].sum())} non-speech clips, "
            f"{len(spec.keywords)} words, {metadata['speaker_id'].nunique()} voices)")
        return {"spec": dataclasses.asdict(spec), "noise_sources": bank.sources,
                "noise_clips": len(bank.clips), "clips_per_split": counts,
                "flipped": int(metadata[FLIPPED_COLUMN].sum()),
                "nonspeech": int(metadata[NONSPEECH_COLUMN].sum())}

    # A noise source skipped last time (offline, no apt-get) is tried again.
    return build_once(root, KEYWORD_SET, spec.fingerprint(), build,
                      reuse_if=lambda m: sorted(m["noise_sources"]) == sorted(spec.noise_sources),
                      log=log)
