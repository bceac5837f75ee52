"""The offline keyword set: a SpeechCommands-layout dataset generated here, with ground truth.

Words from the SpeechCommands vocabulary are spoken by synthetic voices (eSpeak NG, Piper),
split voice-disjoint into train/dev/test as the real set splits by speaker, and mixed with real
recorded noise at known SNRs. Six kinds of hard sample are injected into the training split at
known rates (:data:`lib.groundtruth.INJECTED`): flipped labels, uniform and between words
spelled alike; words outside the keywords labelled as one; non-speech clips carrying a word
label; words in voices pitched and paced as no training voice is; and near-duplicate pairs, the
same utterance under other noise, every second copy in the test split. ``metadata.csv``
records every sample's covariates (voice, engine, SNR, spoken word, each kind's flag, a
near-duplicate's twin): the ground truth the book checks difficulty scores against.

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
from lib.groundtruth import (ATYPICAL, CONFUSABLE, DUPLICATE, DUPLICATE_COLUMN,
                             DUPLICATE_OF_COLUMN, FLIPPED, FLIPPED_COLUMN, INJECTED, NONSPEECH,
                             NONSPEECH_COLUMN, OUT_OF_VOCABULARY)
from lib.noise import NoiseBank
from lib.speech import RATE, Voice, synthesize, trim_silence, voice_bank

#: Bump when the generator's output changes for the same spec (invalidates reuse).
GENERATOR_VERSION = 6
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
    confusable_fraction: float = 0.0
    out_of_vocabulary_fraction: float = 0.0
    atypical_fraction: float = 0.0
    duplicate_fraction: float = 0.0

    @classmethod
    def from_profile(cls, params: dict[str, Any]) -> "KeywordSetSpec":
        return cls(tuple(params["KEYWORDS"]), tuple(params["ENGINES"]),
                   params["TRAIN_VOICES"], params["DEV_VOICES"], params["TEST_VOICES"],
                   params["UTTERANCES_PER_VOICE"], tuple(map(float, params["SNR_DB"])),
                   float(params["FLIP_FRACTION"]), float(params["NONSPEECH_FRACTION"]),
                   tuple(params["NOISE_SOURCES"]), params["DATA_SEED"],
                   float(params["CONFUSABLE_FRACTION"]),
                   float(params["OUT_OF_VOCABULARY_FRACTION"]),
                   float(params["ATYPICAL_FRACTION"]), float(params["DUPLICATE_FRACTION"]))

    def fingerprint(self) -> str:
        text = json.dumps([GENERATOR_VERSION, dataclasses.asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


#: Words an out-of-vocabulary clip may say, in this order of preference: SpeechCommands words
#: that are none of the set's keywords (each is said by some clip labelled as a keyword).
OTHER_WORDS = ("four", "five", "six", "eight", "nine", "two", "yes", "bed", "bird", "cat",
               "dog", "happy", "house", "wow")
#: A confusable flip gives a word the keyword nearest in spelling, when at most this many
#: letters apart (three/tree: 1, no/one: 2).
CONFUSABLE_DISTANCE = 2


def spelling_distance(first: str, second: str) -> int:
    """Levenshtein distance: letters inserted, deleted or replaced to turn one into the other."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        current = [i]
        for j, b in enumerate(second, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def confusable_partners(keywords: tuple[str, ...]) -> dict[str, str]:
    """Each keyword -> the other keyword nearest in spelling, where one is within
    :data:`CONFUSABLE_DISTANCE` (ties: the first in the set's order)."""
    partners = {}
    for word in keywords:
        others = sorted((spelling_distance(word, o), i, o) for i, o in enumerate(keywords)
                        if o != word)
        if others and others[0][0] <= CONFUSABLE_DISTANCE:
            partners[word] = others[0][2]
    return partners


def atypical_voice(voice: Voice, rng: np.random.Generator) -> Voice:
    """The voice spoken at a pitch and rate no training voice has (:func:`lib.speech.voice_bank`
    draws eSpeak pitch 25-75 at 130-210 words a minute, Piper shifts of -4..4 semitones at
    length scales 0.8-1.3)."""
    high = bool(rng.integers(2))
    if voice.engine == "espeak":
        return dataclasses.replace(voice, pitch=float(rng.integers(92, 100) if high
                                                      else rng.integers(0, 8)),
                                   rate=float(rng.integers(300, 361)))
    return dataclasses.replace(voice, pitch=round(float(rng.uniform(7, 9)) * (1 if high else -1),
                                                  2),
                               rate=round(float(rng.uniform(1.7, 2.0)), 3))


def _plan(spec: KeywordSetSpec, rng: np.random.Generator) -> tuple[pd.DataFrame, list[Voice]]:
    """One row per clip: who says which word, and which training clips get injected.

    Each injected kind takes its share of the training clips, no clip two kinds: a flipped
    label (another keyword at random), a confusable flip (the keyword nearest in spelling), a
    word outside the keywords labelled as one, a non-speech clip, a word in an atypical voice,
    and near-duplicate pairs: a training clip's very utterance again under other noise, the
    copy in the test split for every second pair (leakage), else in training."""
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
    for column in INJECTED.values():
        plan[column] = False
    plan["copy_of"] = -1  # a near-duplicate's copy: the row of its original
    train = plan.index[plan["split"] == "train"].to_numpy()
    share = {kind: int(round(fraction * len(train))) for kind, fraction in (
        (CONFUSABLE, spec.confusable_fraction), (FLIPPED, spec.flip_fraction),
        (OUT_OF_VOCABULARY, spec.out_of_vocabulary_fraction),
        (NONSPEECH, spec.nonspeech_fraction), (ATYPICAL, spec.atypical_fraction),
        (DUPLICATE, spec.duplicate_fraction))}
    pairs = share.pop(DUPLICATE)
    in_test = (pairs + 1) // 2  # pairs 0, 2, 4, ... cross into the test split
    wanted = sum(share.values()) + 2 * pairs - in_test
    if wanted > len(train) or in_test > int((plan["split"] == "test").sum()):
        raise ValueError(f"the injected shares (FLIP_FRACTION, NONSPEECH_FRACTION, "
                         f"CONFUSABLE_FRACTION, OUT_OF_VOCABULARY_FRACTION, ATYPICAL_FRACTION, "
                         f"DUPLICATE_FRACTION) need {wanted} training clips, one kind each; "
                         f"the training split has {len(train)}")
    partners = confusable_partners(spec.keywords)
    free = rng.permutation(train)
    # Confusable flips first, from the words that have a partner; then the others in turn.
    eligible = [r for r in free if plan.at[r, "spoken_word"] in partners]
    chosen = {CONFUSABLE: eligible[:share.pop(CONFUSABLE)]}
    free = [r for r in free if r not in set(chosen[CONFUSABLE])]
    for kind, count in share.items():
        chosen[kind], free = free[:count], free[count:]
    originals, free = free[:pairs], free[pairs:]
    test_copies = list(rng.choice(plan.index[plan["split"] == "test"], size=in_test,
                                  replace=False))
    train_copies = free[:pairs - in_test]
    copies = [(test_copies if i % 2 == 0 else train_copies)[i // 2] for i in range(pairs)]
    for row in chosen[CONFUSABLE]:
        plan.at[row, "label"] = partners[plan.at[row, "spoken_word"]]
    for row in chosen[FLIPPED]:
        others = [w for w in spec.keywords if w != plan.at[row, "spoken_word"]]
        plan.at[row, "label"] = others[rng.integers(len(others))]
    other_words = [w for w in OTHER_WORDS if w not in spec.keywords]
    for number, row in enumerate(chosen[OUT_OF_VOCABULARY]):
        plan.at[row, "spoken_word"] = other_words[number % len(other_words)]
    for row in chosen[NONSPEECH]:
        plan.at[row, "spoken_word"] = ""
    seen = {voice.speaker_id for voice in voices}
    for row in chosen[ATYPICAL]:
        voice = atypical_voice(voices[plan.at[row, "voice_index"]], rng)
        while voice.speaker_id in seen:  # a speaker id names one voice, so one file name
            voice = atypical_voice(voices[plan.at[row, "voice_index"]], rng)
        seen.add(voice.speaker_id)
        voices.append(voice)
        plan.at[row, "voice_index"] = len(voices) - 1
    for kind, rows_of_kind in chosen.items():
        plan.loc[rows_of_kind, INJECTED[kind]] = True
    for original, copy in zip(originals, copies):
        for column in ("voice_index", "spoken_word", "label"):
            plan.at[copy, column] = plan.at[original, column]
        plan.loc[[original, copy], DUPLICATE_COLUMN] = True
        plan.at[copy, "copy_of"] = original
    # A changed clip is an extra take of its voice, numbered after the genuine takes and after
    # any other changed clip of the same voice and label, so file names never collide.
    changed = plan[list(INJECTED.values())].any(axis=1)
    extra_take = plan[changed].groupby(["voice_index", "label"]).cumcount()
    plan.loc[changed, "utterance_number"] = spec.utterances_per_voice + extra_take
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
        copies = plan.index[plan["copy_of"] >= 0]
        twin = {**dict(zip(copies, plan.loc[copies, "copy_of"])),
                **dict(zip(plan.loc[copies, "copy_of"], copies))}
        # A near-duplicate's copy says its original's very utterance: synthesised once.
        speaking = plan.index[~plan[NONSPEECH_COLUMN] & (plan["copy_of"] < 0)]
        log(f"OfflineKeywords: synthesising {len(speaking)} words with "
            f"{', '.join(spec.engines)} ...")
        spoken = dict(zip(speaking, synthesize(
            [(plan.at[i, "spoken_word"], voices[plan.at[i, "voice_index"]]) for i in speaking])))
        spoken.update({copy: spoken[plan.at[copy, "copy_of"]] for copy in copies})
        sample_ids = {position: f"{row['label']}/{voices[row['voice_index']].speaker_id}"
                                f"_nohash_{row['utterance_number']}.wav"
                      for position, row in plan.iterrows()}
        records = []
        for position, row in tqdm(plan.iterrows(), total=len(plan), unit="clip",
                                  desc="mixing OfflineKeywords", mininterval=1):
            voice = voices[row["voice_index"]]
            clip = _render(row, spoken.get(position), bank, spec, rng)
            path = sample_ids[position]
            audio.write(partial / "default" / path, clip.pop("signal"), RATE)
            records.append({"path": path, "sample_rate": RATE, "label": row["label"],
                            "speaker_id": voice.speaker_id,
                            "utterance_number": row["utterance_number"], "split": row["split"],
                            "engine": voice.engine, "voice": voice.name,
                            "voice_pitch": voice.pitch, "voice_rate": voice.rate,
                            "spoken_word": row["spoken_word"],
                            **{column: row[column] for column in INJECTED.values()},
                            DUPLICATE_OF_COLUMN: (sample_ids[twin[position]]
                                                  if position in twin else ""),
                            **clip})
        metadata = pd.DataFrame(records)
        for split in ("train", "dev", "test"):
            metadata.loc[metadata["split"] == split, SPLIT_COLUMNS].to_csv(
                partial / f"{split}.csv", index=False)
        metadata.to_csv(partial / "metadata.csv", index=False)
        counts = {s: int(n) for s, n in metadata.groupby("split").size().items()}
        train = metadata[metadata["split"] == "train"]
        kinds = {kind: int(train[column].sum()) for kind, column in INJECTED.items()}
        log(f"OfflineKeywords: wrote {len(metadata)} clips to {paths.relative(root)} "
            f"(train {counts.get('train', 0)}, dev {counts.get('dev', 0)}, "
            f"test {counts.get('test', 0)}; training clips injected: "
            f"{', '.join(f'{n} {kind}' for kind, n in kinds.items())}; "
            f"{len(spec.keywords)} words, {metadata['speaker_id'].nunique()} voices)")
        return {"spec": dataclasses.asdict(spec), "noise_sources": bank.sources,
                "noise_clips": len(bank.clips), "clips_per_split": counts,
                "flipped": int(metadata[FLIPPED_COLUMN].sum()),
                "nonspeech": int(metadata[NONSPEECH_COLUMN].sum()), "injected": kinds}

    # A noise source skipped last time (offline, no apt-get) is tried again.
    return build_once(root, KEYWORD_SET, spec.fingerprint(), build,
                      reuse_if=lambda m: sorted(m["noise_sources"]) == sorted(spec.noise_sources),
                      log=log)
