"""Real human speech from Debian packages: the out-of-domain check of the synthetic keyword set.

Two packages ship single SpeechCommands words spoken by people: ``asterisk-core-sounds-en-wav``
(one female US speaker, 8 kHz telephone prompts: the digits zero to nine and "no"; CC-BY-SA-3.0)
and ``ktuberling-data`` ("tree", English; GPL-2+). Each word is one recording of one speaker,
so accuracy on them is a handful of yes/no answers, not an estimate: it shows whether a model
trained on synthetic voices transfers to a human voice at all. The files go through the same
inference path as any input (autrainer resamples them to 16 kHz), cut as SpeechCommands cuts
its clips (:func:`lib.audio.one_second`): the models were trained on 1-s clips, and autrainer
pads a shorter spectrogram with 0 dB frames, louder than any speech, which on its own turned
real "three"s into "no"s (measured on the demo's runs).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import soundfile as sf

from lib import audio, paths
from lib.noise import RegistrySource, SourceError, fetch

_ALLISON = "usr/share/asterisk/sounds/en_US_f_Allison"
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ASTERISK = RegistrySource(
    "asterisk-core-sounds-en-wav", "debian", "asterisk-core-sounds-en-wav",
    (f"{_ALLISON}/digits/[0-9].wav", f"{_ALLISON}/vm-no.wav"), "CC-BY-SA-3.0")
KTUBERLING = RegistrySource("ktuberling-data", "debian", "ktuberling-data",
                            ("usr/share/ktuberling/sounds/en/tv_tree.ogg",), "GPL-2+")
#: The same speaker spelling the alphabet: 26 real words outside any SpeechCommands
#: vocabulary, recorded like the digits, for the out-of-vocabulary check.
ASTERISK_LETTERS = RegistrySource(
    "asterisk-letters", "debian", "asterisk-core-sounds-en-wav",
    (f"{_ALLISON}/letters/[a-z].wav",), "CC-BY-SA-3.0")
#: The same speaker's number words, letter names and phonetic alphabet, one class subfolder
#: each: a small real dataset in a user's layout, for the import's tests.
ASTERISK_PROMPTS = RegistrySource(
    "asterisk-prompts", "debian", "asterisk-core-sounds-en-wav",
    tuple(f"{_ALLISON}/{folder}/*.wav" for folder in ("digits", "letters", "phonetic")),
    "CC-BY-SA-3.0")
#: The prompts' folders and the class each becomes in :func:`write_prompts`.
PROMPT_CLASSES = {"digits": "numbers", "letters": "letters", "phonetic": "phonetic"}
#: The broken files :func:`write_prompts` adds, and what is wrong with each.
BROKEN_PROMPTS = ("numbers/empty.wav", "letters/text.wav", "phonetic/nan.wav",
                  "letters/zero.wav", "numbers/dup.wav")
#: Where a profile finds the prompts as a user's own data (the smoke profile's), made by
#: :func:`write_prompts` with :data:`EXAMPLE_PER_CLASS` clips of each class when missing.
EXAMPLE_PROMPTS = paths.DATA / "examples" / "asterisk-prompts"
EXAMPLE_PER_CLASS = 8
#: SpeechCommands word -> (package, file inside it) of its real recording.
RECORDINGS: dict[str, tuple[RegistrySource, str]] = {
    **{word: (ASTERISK, f"{_ALLISON}/digits/{digit}.wav") for digit, word in enumerate(_DIGITS)},
    "no": (ASTERISK, f"{_ALLISON}/vm-no.wav"),
    "tree": (KTUBERLING, "usr/share/ktuberling/sounds/en/tv_tree.ogg"),
}


def write_inputs(profile: str, words: list[str],
                 log: Callable[[str], None] = print) -> tuple[Path | None, list[str]]:
    """``data/<profile>/real_speech/<word>.wav`` for each word with a real recording (1 s), and
    ``truth.csv`` (filename, label, sample_rate, package, licence; each package is one
    speaker); plus one note per word or package that
    could not be had. The folder is None when no recording could be had.

    Recordings keep their own sample rate (8 kHz for the telephone prompts); ogg is decoded to
    16-bit wav because ``autrainer inference`` reads wav folders.
    """
    notes = [f"{word}: no real recording ships in a registry package" for word in words
             if word not in RECORDINGS]
    folder = paths.real_speech_dir(profile)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    truth = []
    for word in [w for w in words if w in RECORDINGS]:
        source, member = RECORDINGS[word]
        try:
            root = fetch(source)
        except SourceError as err:
            notes.append(f"{word}: {err}")
            continue
        signal, rate = audio.read(root / member)
        audio.write(partial / f"{word}.wav", audio.one_second(audio.to_mono(signal), rate), rate)
        truth.append({"filename": f"{word}.wav", "label": word, "sample_rate": rate,
                      "package": source.package, "licence": source.licence})
    for note in notes:
        log(f"real speech: {note}")
    if not truth:
        shutil.rmtree(partial)
        return None, notes
    pd.DataFrame(truth).to_csv(partial / "truth.csv", index=False)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder, notes


def write_out_of_vocabulary(profile: str, log: Callable[[str], None] = print
                            ) -> tuple[Path | None, list[str]]:
    """``data/<profile>/out_of_vocabulary/letter_<x>.wav``: the speaker of the digits saying
    the letters a to z, and ``truth.csv`` (filename, letter, sample_rate, package, licence);
    None and a note where the package cannot be had."""
    folder = paths.out_of_vocabulary_dir(profile)
    try:
        root = fetch(ASTERISK_LETTERS)
    except SourceError as err:
        log(f"out of vocabulary: {err}")
        return None, [str(err)]
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    truth = []
    for file in sorted((root / _ALLISON / "letters").glob("[a-z].wav")):
        signal, rate = audio.read(file)
        name = f"letter_{file.stem}.wav"
        audio.write(partial / name, audio.one_second(audio.to_mono(signal), rate), rate)
        truth.append({"filename": name, "letter": file.stem, "sample_rate": rate,
                      "package": ASTERISK_LETTERS.package, "licence": ASTERISK_LETTERS.licence})
    pd.DataFrame(truth).to_csv(partial / "truth.csv", index=False)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder, []


def write_prompts(root: Path, per_class: int | None = None) -> Path:
    """A labelled dataset as a user brings one, from real recordings: class subfolders
    (:data:`PROMPT_CLASSES`) of the Asterisk prompts (the first ``per_class`` of each, or all),
    every 7th re-encoded as 44.1 kHz stereo FLAC and the next as 22.05 kHz OGG, the rest the
    package's 8 kHz WAV; then :data:`BROKEN_PROMPTS`: an empty file, text named .wav, NaN
    samples, zero samples, and a copy of a letter under the numbers. Written whole or not at
    all; an existing one made with the same ``per_class`` (``<root>.recipe`` says) is kept."""
    recipe, made = f"per_class={per_class}\n", root.with_name(root.name + ".recipe")
    if root.is_dir() and made.is_file() and made.read_text() == recipe:
        return root
    recordings = fetch(ASTERISK_PROMPTS) / _ALLISON
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for folder, label in PROMPT_CLASSES.items():
        for i, file in enumerate(sorted((recordings / folder).glob("*.wav"))[:per_class]):
            target = partial / label / file.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if i % 7 in (1, 2):
                samples, rate = audio.read(file)
                new_rate = 44100 if i % 7 == 1 else 22050
                mono = audio.resample(samples[:, 0], rate, new_rate)
                signal = np.stack([mono, 0.5 * mono], axis=1) if i % 7 == 1 else mono
                sf.write(target.with_suffix(".flac" if i % 7 == 1 else ".ogg"), signal, new_rate)
            else:
                shutil.copy(file, target)
    (partial / "numbers" / "empty.wav").write_bytes(b"")
    (partial / "letters" / "text.wav").write_text("not audio")
    sf.write(partial / "phonetic" / "nan.wav",
             np.array([0.1, np.nan, 0.2] * 100, dtype=np.float32), 16000, subtype="FLOAT")
    sf.write(partial / "letters" / "zero.wav", np.zeros(0, dtype=np.float32), 16000)
    shutil.copy(partial / "letters" / "a.wav", partial / "numbers" / "dup.wav")
    shutil.rmtree(root, ignore_errors=True)
    partial.replace(root)
    made.write_text(recipe)  # beside the folder: it holds only what a user would bring
    return root
