"""Classify new audio with a trained run: the paper's ``autrainer inference`` step.

autrainer reads every file of a folder, resamples it to 16 kHz, mixes it to mono and pads short
spectrograms, so other sample rates, stereo and other lengths need nothing from us. But one
unreadable file stops its whole run, so each file is checked first; a bad one gets a one-line
error in the table and the others are still classified. A classified file may carry warnings:
silent, too short, shorter than the 1-s clips of a keyword dataset (autrainer pads it with
0 dB frames, louder than speech), narrowband where the models never heard a band-limited
clip, and low confidence where its top probability is below a threshold chosen on the dev
split (:mod:`lib.calibration`).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import soundfile as sf

from lib import audio, calibration, datasets, paths, realspeech, scoring, toolkit, training
from lib.datasets import layout_of, read_named_csv
from lib.record import Inference as Record
from lib.training import Ensemble, Run


#: Bump when the generated examples change, so an older folder is made again.
EXAMPLES_VERSION = "3"


def write_examples(profile: str, dataset: str) -> Path:
    """A folder of test clips made awkward on purpose, plus odd and broken files.

    Per class (up to four classes): the clip at 44.1 kHz stereo, at 8 kHz, 2.5 times as long
    (centred in silence) and cut to its middle 0.5 s; the first class's clip also cut to
    0.05 s (``blip``, flagged as too short). Then ``silent.wav`` (1 s of noise at -75 dBFS,
    flagged as silent, no true class), ``nan.wav`` (32-bit float samples that are all NaN),
    ``corrupt.wav`` (not audio) and ``empty.wav`` (0 bytes), which are rejected with one line
    each. ``truth.csv`` lists the true class of each clip.
    """
    folder = paths.inference_examples_dir(profile)
    if (folder / ".version").is_file() and (folder / ".version").read_text() == EXAMPLES_VERSION:
        return folder
    layout = layout_of(dataset)
    test = read_named_csv(paths.dataset_dir(profile, dataset) / "test.csv",
                          (layout.index_column, layout.target_column),
                          keep_default_na=False).sort_values(layout.index_column)
    first = test.groupby(layout.target_column, sort=True).head(1).head(4)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    truth = []
    for sample_id, label in zip(first[layout.index_column], first[layout.target_column]):
        signal, rate = audio.read(paths.dataset_dir(profile, dataset) / "default" / sample_id)
        mono = audio.to_mono(signal)
        pad = np.zeros(int(0.75 * len(mono)), dtype=np.float32)
        middle = len(mono) // 2
        variants = {
            "44k_stereo": (np.stack([mono, 0.8 * mono], axis=1), rate, 44100),
            "8k": (mono, rate, 8000),
            "long": (np.concatenate([pad, mono, pad]), rate, rate),
            "short": (mono[max(0, middle - rate // 4):middle + rate // 4], rate, rate)}
        for variant, (signal_, source, target) in variants.items():
            name = f"{label}_{variant}.wav"
            audio.write(partial / name, audio.resample(signal_, source, target), target)
            truth.append({"filename": name, "label": label, "variant": variant})
    signal, rate = audio.read(paths.dataset_dir(profile, dataset) / "default"
                              / first[layout.index_column].iloc[0])
    mono = audio.to_mono(signal)
    blip = mono[len(mono) // 2 - rate // 40:len(mono) // 2 + rate // 40]
    audio.write(partial / f"{first[layout.target_column].iloc[0]}_blip.wav", blip, rate)
    truth.append({"filename": f"{first[layout.target_column].iloc[0]}_blip.wav",
                  "label": first[layout.target_column].iloc[0], "variant": "blip"})
    faint = np.random.default_rng(0).standard_normal(rate).astype(np.float32) * 10 ** (-75 / 20)
    audio.write(partial / "silent.wav", faint, rate)  # -75 dBFS of noise: flagged, classified
    sf.write(str(partial / "nan.wav"), np.full(rate, np.nan, dtype=np.float32), rate,
             subtype="FLOAT")
    (partial / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEnot audio at all" * 4)
    (partial / "empty.wav").write_bytes(b"")
    truth += [{"filename": name, "label": "", "variant": name.removesuffix(".wav")}
              for name in ("silent.wav", "nan.wav", "corrupt.wav", "empty.wav")]
    pd.DataFrame(truth).to_csv(partial / "truth.csv", index=False)
    (partial / ".version").write_text(EXAMPLES_VERSION)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


#: Below this share of its energy above :data:`lib.audio.NARROWBAND_HZ`, a clip is narrowband.
#: Measured: the telephone prompts of lib.realspeech, resampled to 16 kHz, hold at most 4e-5;
#: of the demo's training clips, 1 % hold less than 3e-5 and the median 7.5e-3.
NARROWBAND_SHARE = 1e-4


def narrowband_warning(share: float) -> str:
    """The warning of a clip with ``share`` of its energy above 4 kHz, or empty."""
    if share >= NARROWBAND_SHARE:
        return ""
    return (f"narrowband ({share:.4%} of its energy above {audio.NARROWBAND_HZ / 1000:g} kHz): "
            "the models were trained on wideband audio")


def trained_on_narrowband(augmentation: str) -> bool:
    """Whether runs trained with this AUGMENTATION heard band-limited clips."""
    return "telephone" in toolkit.augmentation_parts(augmentation)


def shaping_note(seconds: float, clip_seconds: float | None) -> str:
    """What shaping a file of ``seconds`` as the training clips (``clip_seconds`` long) does to
    it, or empty where it keeps its length."""
    if clip_seconds is None or abs(seconds - clip_seconds) < 0.005:
        return ""
    if seconds > clip_seconds:
        return f"cut to its loudest {clip_seconds:g} s of {seconds:.2f} s, as the training clips"
    return (f"padded from {seconds:.2f} s to {clip_seconds:g} s at its own floor, as the "
            "training clips")


def check_inputs(folder: Path, narrowband_trained: bool = False,
                 clip_seconds: float | None = None
                 ) -> tuple[list[Path], pd.DataFrame, dict[str, str]]:
    """The classifiable wav files of a folder, a table of the others with their one-line error,
    and the warnings (silent, too short, narrowband unless the models were trained on
    band-limited clips) and notes (shaped to the training clips' ``clip_seconds``) of
    classifiable files, by file name."""
    files = sorted(Path(folder).glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"{paths.relative(folder)}: no .wav files to classify")
    good, bad, warnings = [], [], {}
    for file in files:
        try:
            found = audio.inspect(file)
            toolkit.load_audio(file)  # decodes as autrainer will
        except audio.AudioError as err:
            bad.append({"filename": file.name, "error": str(err)})
            continue
        except Exception as err:  # a decoder error autrainer would stop on
            bad.append({"filename": file.name, "error": f"{paths.relative(file)}: cannot be "
                        f"decoded ({str(err).splitlines()[0][:80]})"})
            continue
        good.append(file)
        signal, rate = audio.read(file)
        if not narrowband_trained:
            found.append(narrowband_warning(audio.energy_above(signal, rate)))
        found.append(shaping_note(len(signal) / rate, clip_seconds))
        if any(found):
            warnings[file.name] = "; ".join(w for w in found if w)
    return good, pd.DataFrame(bad, columns=["filename", "error"]), warnings


def choose_run(profile: str, ensemble: Ensemble, dataset: str, name: str = "") -> Run:
    """The run named like ``Cnn10_s1``, or the dataset's run with the best dev accuracy."""
    runs = ensemble.runs_of(dataset)
    if name:
        for run in runs:
            if scoring.short_run(run) == name:
                return run
        raise ValueError(f"INFERENCE_RUN {name!r} is not a run of {dataset} "
                         f"({', '.join(scoring.short_run(r) for r in runs)})")
    metrics = training.run_metrics(profile, runs)
    best = metrics.sort_values(["dev_accuracy", "seed"], ascending=[False, True]).iloc[0]
    return next(run for run in runs if run.model == best["model"] and run.seed == best["seed"])


#: The predictions table's format; a change makes older tables be computed again.
TABLE_VERSION = "3"


def _key(run_dir: Path, files: list[Path], device: str, settings: list[Any]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + file.read_bytes())
    checkpoint = toolkit.best_checkpoint(run_dir).stat().st_mtime_ns
    return json.dumps([str(run_dir), checkpoint, digest.hexdigest(), device, *settings,
                       TABLE_VERSION])


def run_threshold(profile: str, run: Run, device: str = "cpu") -> float:
    """The run's low-confidence threshold, chosen on its dev split."""
    dev = calibration.split_probabilities(profile, run, "dev", device)
    labels = [c for c in dev.columns if c not in ("sample_id", "label")]
    return calibration.confidence_threshold(dev[labels].max(axis=1))


def predict(profile: str, run: Run, inputs: Path, device: str = "cpu",
            batch: str = "examples", threshold: float | None = None,
            narrowband_trained: bool = False) -> pd.DataFrame:
    """Classify every wav in ``inputs`` with ``autrainer inference``; a row per file.

    Columns: ``filename``, ``prediction``, ``confidence`` (the probability of the prediction,
    the top one, as everywhere in the book), one column per class, ``warning`` (a file that is
    silent, very short, narrowband where the run never heard a band-limited clip, or whose
    confidence is below ``threshold`` is classified, and says so; a file shaped to the length
    of the training clips says how) and ``error`` (empty for classified files). Only the good files are staged for autrainer, so it never sees a bad one; results
    with the same inputs, run, device and settings are reused, and autrainer's answers for the
    same inputs, run and device are reused under other settings (a threshold is applied to
    them, not a reason to classify again).
    """
    return predict_batches(profile, run, {batch: inputs}, device, threshold,
                           narrowband_trained)[batch]


def predict_batches(profile: str, run: Run, batches: dict[str, Path], device: str = "cpu",
                    threshold: float | None = None, narrowband_trained: bool = False
                    ) -> dict[str, pd.DataFrame]:
    """:func:`predict` for several input folders (batch name -> folder) of one run, in one
    ``autrainer inference`` call: the command's start and the run's set-up, most of a call's
    seconds, are paid once. Each batch's table is saved in its own
    :func:`lib.paths.inference_output_dir` and reused on its own."""
    run_dir = training.run_dir(profile, run)
    labels = toolkit.run_labels(run_dir)
    seconds = datasets.clip_seconds(profile, run.dataset)
    device = toolkit.resolve_device(device)
    tables: dict[str, pd.DataFrame] = {}
    answers: dict[str, pd.DataFrame] = {}
    pending: dict[str, list[Path]] = {}
    made: dict[str, tuple[Path, str, str, pd.DataFrame, dict[str, str]]] = {}
    for batch, inputs in batches.items():
        good, bad, warnings = check_inputs(inputs, narrowband_trained, seconds)
        folder = paths.inference_output_dir(profile, run.name, batch)
        asked = _key(run_dir, good, device, [seconds])
        key = _key(run_dir, good, device, [seconds, threshold, narrowband_trained])
        if _stored_key(folder) == key and (folder / PREDICTIONS_FILE).is_file():
            tables[batch] = read_named_csv(folder / PREDICTIONS_FILE, ("prediction",),
                                           keep_default_na=False)
            continue
        if _stored_key(folder / "outputs") == asked and (folder / RESULTS_FILE).is_file():
            answers[batch] = read_named_csv(folder / RESULTS_FILE, ("prediction",),
                                            keep_default_na=False)
        else:
            pending[batch] = good
        made[batch] = (folder, asked, key, bad, warnings)
    answers |= _classify(profile, run_dir, labels, pending, device, seconds)
    for batch, (folder, asked, key, bad, warnings) in made.items():
        if batch in pending:  # autrainer's fresh answers
            (folder / "outputs").mkdir(parents=True, exist_ok=True)
            answers[batch].to_csv(folder / RESULTS_FILE, index=False)
            (folder / "outputs" / "key.json").write_text(asked)
        tables[batch] = _table(answers[batch], labels, bad, warnings, threshold)
        paths.write_atomically(folder / PREDICTIONS_FILE,
                               lambda partial: tables[batch].to_csv(partial, index=False))
        (folder / "key.json").write_text(key)
    return {batch: tables[batch] for batch in batches}


def _stored_key(folder: Path) -> str:
    """The key a folder of :func:`predict_batches` was written with ("" where none)."""
    file = folder / "key.json"
    return file.read_text() if file.is_file() else ""


#: A batch's predictions table in its :func:`lib.paths.inference_output_dir`, and autrainer's
#: answers it was made from.
PREDICTIONS_FILE = "predictions.csv"
RESULTS_FILE = "outputs/results.csv"


def _classify(profile: str, run_dir: Path, labels: list[str], batches: dict[str, list[Path]],
              device: str, seconds: float | None) -> dict[str, pd.DataFrame]:
    """autrainer's rows (``filename``, ``prediction``, one column per class of ``labels``) per
    batch, from one ``autrainer inference`` on ``device`` (resolved) over a staging folder with
    a subfolder per batch, each file shaped as the training clips (``seconds`` long, at the
    log-mel's rate, mono: :func:`lib.audio.fit_clip`) where they have one length."""
    empty = {batch: pd.DataFrame(columns=["filename", "prediction", *labels])
             for batch, files in batches.items() if not files}
    batches = {batch: files for batch, files in batches.items() if files}
    if not batches:
        return empty
    staging = paths.inference_staging_dir(profile, run_dir.name)
    shutil.rmtree(staging, ignore_errors=True)
    for batch, files in batches.items():
        (staging / "inputs" / batch).mkdir(parents=True)
        for file in files:
            if seconds is None:
                shutil.copy2(file, staging / "inputs" / batch / file.name)
                continue
            rate = toolkit.MEL["sample_rate"]
            audio.write(staging / "inputs" / batch / file.name,
                        audio.fit_clip(audio.read_mono(file, rate), rate, seconds), rate)
    answers = toolkit.inference(run_dir, staging / "inputs", staging / "outputs", device,
                                paths.toolkit_dir(profile))
    results = read_named_csv(answers, ("prediction",), keep_default_na=False).drop(
        columns="output")
    shutil.rmtree(staging)
    parts = results["filename"].str.split("/", n=1, expand=True)
    return empty | {batch: results[parts[0] == batch].assign(
        filename=parts[1][parts[0] == batch]).reset_index(drop=True) for batch in batches}


def _table(results: pd.DataFrame, labels: list[str], bad: pd.DataFrame,
           warnings: dict[str, str], threshold: float | None) -> pd.DataFrame:
    """:func:`predict`'s table from autrainer's rows, the bad files and the warnings."""
    results = results.copy()
    results["confidence"] = [row[str(row["prediction"])] for _, row in results.iterrows()]
    results["warning"] = [
        "; ".join(w for w in (warnings.get(name, ""), "" if threshold is None else
                              calibration.low_confidence(float(p), threshold)) if w)
        for name, p in zip(results["filename"], results["confidence"])]
    table = pd.concat([results.assign(error=""), bad], ignore_index=True)
    table = table[["filename", "prediction", "confidence", *labels, "warning", "error"]]
    return table.sort_values("filename", ignore_index=True).fillna("")


def _ensemble_mean(profile: str, runs: list[Run], folder: Path, batch: str, device: str,
                   narrowband_trained: bool) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Every run's predictions on a folder and the runs' mean class probabilities per file."""
    per_run = [predict(profile, run, folder, device, batch,
                       narrowband_trained=narrowband_trained).set_index("filename")
               for run in runs]
    labels = toolkit.run_labels(training.run_dir(profile, runs[0]))
    files = per_run[0].index[per_run[0]["error"] == ""]
    mean = sum(table.loc[files, labels].astype(float) for table in per_run) / len(per_run)
    return mean, per_run


def real_speech(profile: str, runs: list[Run], words: list[str], device: str = "cpu",
                log: Callable[[str], None] = print, narrowband_trained: bool = False
                ) -> tuple[pd.DataFrame, list[str]]:
    """The ensemble on real human recordings of the keyword set's words (out of domain).

    Every run classifies the recordings of :mod:`lib.realspeech` with ``autrainer inference``
    (one call per run, with the letters :func:`out_of_vocabulary` reads back);
    the ensemble's prediction is the class of highest mean probability over runs. One row per
    word: ``filename``, ``label``, ``speaker``, ``prediction``, ``word_probability`` (the
    ensemble's, of the true
    word), ``confidence`` (its top probability), ``runs_correct`` out of ``runs``,
    ``correct``, then the ensemble's mean probability of every class. The notes say which
    words or packages could not be had.
    """
    folder, notes = realspeech.write_inputs(profile, words, log)
    columns = ["filename", "label", "speaker", "sample_rate", "prediction", "word_probability",
               "confidence", "runs_correct", "runs", "correct"]
    if folder is None:
        return pd.DataFrame(columns=columns), notes
    truth = pd.read_csv(folder / "truth.csv", keep_default_na=False).set_index("filename")
    letters, _ = realspeech.write_out_of_vocabulary(profile, lambda line: None)
    for run in runs:  # with the letters of out_of_vocabulary: one autrainer call per run
        predict_batches(profile, run, {"real_speech": folder} | (
            {"out_of_vocabulary": letters} if letters else {}), device,
            narrowband_trained=narrowband_trained)
    mean, per_run = _ensemble_mean(profile, runs, folder, "real_speech", device,
                                   narrowband_trained)
    labels = list(mean.columns)
    hits = sum((table.loc[truth.index, "prediction"].astype(str) == truth["label"]).astype(int)
               for table in per_run)
    # each package holds one speaker's recordings (lib.realspeech)
    result = truth[["label", "sample_rate"]].assign(speaker=truth["package"]).assign(
        prediction=mean.loc[truth.index].idxmax(axis=1),
        word_probability=[mean.at[name, label] for name, label in truth["label"].items()],
        confidence=mean.loc[truth.index].max(axis=1), runs_correct=hits, runs=len(per_run))
    result["correct"] = result["prediction"] == result["label"]
    return result.join(mean).reset_index()[columns + labels], notes


def out_of_vocabulary(profile: str, runs: list[Run], device: str = "cpu",
                      log: Callable[[str], None] = print, narrowband_trained: bool = False
                      ) -> pd.DataFrame:
    """The ensemble on real recordings of words it never learned (the letters a to z, same
    speaker and channel as the real digits): per file ``filename``, ``letter``,
    ``prediction`` and ``confidence`` (the top mean probability). Empty where the package
    cannot be had."""
    folder, _ = realspeech.write_out_of_vocabulary(profile, log)
    columns = ["filename", "letter", "prediction", "confidence"]
    if folder is None:
        return pd.DataFrame(columns=columns)
    truth = pd.read_csv(folder / "truth.csv", keep_default_na=False).set_index("filename")
    mean, _ = _ensemble_mean(profile, runs, folder, "out_of_vocabulary", device,
                             narrowband_trained)
    return truth[["letter"]].assign(prediction=mean.loc[truth.index].idxmax(axis=1),
                                    confidence=mean.loc[truth.index].max(axis=1)
                                    ).reset_index()[columns]


def real_speech_caption(real: pd.DataFrame, notes: list[str]) -> str:
    """What the real-speech table shows and what could not be checked; what the answers mean
    is the chapter's opening (:func:`lib.findings.opening`), read from the record."""
    missing = "".join(f"\n- {note}" for note in notes)
    if not len(real):
        return "No real recording of this vocabulary could be had here:" + missing
    text = (f"The ensemble's answers on {len(real)} real recordings, one row each (what they "
            "show opens this chapter).")
    return text + ("\n\nNot checked:" + missing if notes else "")


# --- The chapter's record ---------------------------------------------------------------------

def accuracy_by_variant(scored: pd.DataFrame) -> pd.Series:
    """Share of right predictions per example variant, over files with a known class."""
    return scored.groupby("variant")["correct"].apply(lambda c: c.astype(bool).mean())


def _calibration(answers: pd.DataFrame) -> dict[str, Any]:
    """ECE, mean confidence, accuracy and size of a set of answers (``confidence``,
    ``correct``)."""
    return {Record.ECE: calibration.expected_calibration_error(answers["confidence"],
                                                               answers["correct"]),
            Record.MEAN_CONFIDENCE: float(answers["confidence"].mean()),
            Record.ACCURACY: float(answers["correct"].mean()), Record.ANSWERS: len(answers)}


def confidence_numbers(test: pd.DataFrame, real: pd.DataFrame, letters: pd.DataFrame,
                       threshold: float) -> dict[str, Any]:
    """The record's calibration and out-of-vocabulary parts, from the ensemble's answers on
    the synthetic test split (:func:`lib.calibration.ensemble_probabilities`), on the real
    words (:func:`real_speech`) and on the letters (:func:`out_of_vocabulary`)."""
    numbers: dict[str, Any] = {Record.CALIBRATION: {Record.SYNTHETIC_TEST: _calibration(test)}}
    if len(real):
        numbers[Record.CALIBRATION][Record.REAL_SPEECH] = _calibration(real)
    if len(letters):
        numbers[Record.OUT_OF_VOCABULARY] = {
            Record.WORDS: len(letters),
            Record.MEAN_CONFIDENCE: float(letters["confidence"].mean()),
            Record.IN_VOCABULARY_MEAN_CONFIDENCE:
                float(real["confidence"].mean()) if len(real) else None,
            Record.THRESHOLD: threshold, Record.DEV_COVERAGE: calibration.DEV_COVERAGE,
            Record.FLAGGED: float((letters["confidence"] < threshold).mean()),
            Record.IN_VOCABULARY_FLAGGED:
                float((real["confidence"] < threshold).mean()) if len(real) else None}
    return numbers


def key_numbers(table: pd.DataFrame, run: str, chosen_by: str,
                real: pd.DataFrame | None = None, missing: list[str] | None = None,
                synthetic_test_accuracy: float | None = None, augmentation: str = "none",
                confidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """The inference chapter's record (:class:`lib.record.Inference`): what one run made of
    the example files (``table``: a row per file, with its ``error`` or prediction, and a
    ``correct`` column where the true class is known), and, where ``real`` is given, what the
    ensemble made of real human speech (:func:`real_speech`), and how sure it may be
    (``confidence``, from :func:`confidence_numbers`)."""
    classified = table[table["error"] == ""]
    numbers: dict[str, Any] = {
        Record.FILES: len(table), Record.CLASSIFIED: len(classified),
        Record.ERRORS: table.loc[table["error"] != "", "filename"].tolist(),
        Record.WARNINGS: table.loc[table["warning"] != "", "filename"].tolist(),
        Record.RUN: run, Record.RUN_CHOSEN_BY: chosen_by, Record.AUGMENTATION: augmentation}
    if "correct" in classified:
        scored = classified[classified["label"] != ""]  # a silent file has no true class
        numbers[Record.ACCURACY] = float(scored["correct"].astype(bool).mean())
        numbers[Record.LABELLED] = len(scored)
        numbers[Record.ACCURACY_BY_VARIANT] = accuracy_by_variant(scored).round(4).to_dict()
    if real is not None:
        numbers[Record.REAL_SPEECH] = {
            Record.WORDS: len(real),
            Record.SPEAKERS: int(real["speaker"].nunique()) if len(real) else 0,
            Record.ACCURACY: float(real["correct"].mean()) if len(real) else None,
            Record.SYNTHETIC_TEST_ACCURACY: synthetic_test_accuracy,
            Record.MISSING: missing or [],
            Record.MOST_PREDICTED_SHARE:
                float(real["prediction"].value_counts(normalize=True).max()) if len(real)
                else None,
            Record.PER_WORD: {row.label: {Record.PREDICTION: row.prediction,
                                          Record.WORD_PROBABILITY: float(row.word_probability),
                                          Record.RUNS_CORRECT: int(row.runs_correct)}
                              for row in real.itertuples()}}
    numbers.update(confidence or {})
    return numbers
