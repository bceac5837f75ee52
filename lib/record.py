"""Every chapter's key numbers, one file each: ``results/<profile>/<chapter>/summary.json``.

One class per chapter names the chapter (``CHAPTER``), the notebook that writes its record
(``NOTEBOOK``) and every key the record holds; the
chapter's own module builds the record with one function (``key_numbers``), a notebook saves
it with :func:`save`, and the readers (:mod:`lib.findings`, :mod:`lib.summary`, the runner's
artefact check, the tests) import the same names and read it back with :func:`load`. No key
is spelled anywhere else. Records of datasets hold one entry per dataset under its name.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lib import paths


#: The difficulty bands, easy to hard: the keys of every per-band entry.
BANDS = ("easy", "medium", "hard")
#: The paper's class-level finding, a key of :attr:`Classes.CORRELATIONS`: Spearman of a
#: class's mean difficulty and its test recall.
DIFFICULTY_TEST = "Difficulty Test"
#: Score names, the keys of :attr:`Validation.DETECTION`'s entries: the ensemble's
#: CumulativeAccuracy, the paper's score (the share of kept checkpoints whose eval-mode
#: forward pass gets the sample right; aucurriculum's engine or the in-training one computes
#: the same numbers), the same from the outputs autrainer logged while training (train mode,
#: weights moving within the epoch), and cleanlab's 1 - label quality: from the network's
#: out-of-fold probabilities (CVLoss's fold models; the fair baseline) and from the
#: model-free log-mel probe (an extra, and the label-noise sweep's).
CUMULATIVE_ACCURACY = "CumulativeAccuracy (checkpoints)"
CUMULATIVE_ACCURACY_LOGS = "CumulativeAccuracy (training logs)"
CLEANLAB_NETWORK = "cleanlab (network, out of fold)"
CLEANLAB_PROBE = "cleanlab (log-mel probe)"


def model_key(dataset: str, model: str) -> str:
    """How the training record names a dataset's model: ``"OfflineKeywords Cnn10"``."""
    return f"{dataset} {model}"


def split_model_key(key: str) -> tuple[str, str]:
    """The dataset and model of a :func:`model_key`."""
    dataset, model = key.rsplit(" ", 1)
    return dataset, model


class RecordMissing(FileNotFoundError):
    """A chapter's key numbers are not there yet; one line naming the file and the notebook."""


class Data:
    """Per dataset: its clips and classes, its injected samples (the keyword set's; a user's
    flipped labels), and how a user's own dataset was copied."""
    CHAPTER = "data"
    NOTEBOOK = "00_data"
    CLIPS_PER_SPLIT = "clips_per_split"  # split -> clips
    CLASSES = "classes"
    FLIPPED = "flipped"  # training clips with a flipped label
    NONSPEECH = "nonspeech"  # training clips without speech
    VOICES = "voices"
    KINDS = "kinds"  # injected kind -> its training clips
    DUPLICATE_PAIRS = "duplicate_pairs"  # near-duplicate pairs the build made
    PAIRS_ACROSS_SPLITS = "pairs_across_splits"  # of them, pairs with a clip outside train
    # A user's own dataset only: how lib.userdata copied it.
    SOURCE = "source"  # the folder of the user's clips
    CLIP_SECONDS = "clip_seconds"  # every clip's length in the copy
    SPLITS_GIVEN = "splits_given"  # the user's splits (else generated)
    DROPPED = "dropped"  # one line per file left out (DROP_BAD_FILES)


class Training:
    """The ensemble; per ``"<dataset> <model>"``, means over seeds."""
    CHAPTER = "training"
    NOTEBOOK = "01_training"
    RUNS = "runs"
    TRAIN_SECONDS = "train_seconds"
    TEST_ACCURACY = "test_accuracy"
    SEEDS = "seeds"
    #: The best checkpoints on their training split: ``ALL`` clips and the ``GENUINE`` ones.
    TRAIN_ACCURACY = "train_accuracy"
    ALL = "all"
    GENUINE = "genuine"


class Difficulty:
    """Per dataset: the ordering and how far it can be trusted."""
    CHAPTER = "difficulty"
    NOTEBOOK = "02_difficulty"
    SAMPLES = "samples"
    MODEL_AGREEMENT = "model_agreement"  # a significance.Correlation of the models' orderings
    CONVERGENCE = "convergence"  # runs -> mean Spearman with the whole ensemble
    #: The largest difference of a sample's score between two engines: the in-training one
    #: against aucurriculum on the runs both scored, or ours against aucurriculum's own ensemble.
    IN_TRAINING_VS_AUCURRICULUM = "max_difference_in_training_to_aucurriculum"
    OURS_VS_AUCURRICULUM = "max_difference_to_aucurriculum"
    #: CumulativeAccuracy from the training logs against the one over checkpoints.
    LOGS_VS_CHECKPOINTS = "logs_vs_checkpoints"
    RANK_VS_SNR = "rank_vs_snr"  # a significance.Correlation over the genuine clips
    #: The share of the ordering called hardest, and per injected kind a
    #: difficulty.HardestShare of how many of its samples fall there.
    HARDEST_FRACTION = "hardest_fraction"
    HARDEST = "hardest"


class Definitions:
    """Per dataset: every definition of difficulty on the same runs, against the ground truth."""
    CHAPTER = "definitions"
    NOTEBOOK = "02b_definitions"
    SAMPLES = "samples"
    COLUMNS = "columns"  # definition -> runs (folds, seeds) its score averages
    #: Definition -> ``SOURCE`` (who computed it), ``MINUTES`` on this machine, ``DISK_MB``.
    COST = "cost"
    SOURCE = "source"
    #: The sources: the Difficulty chapter's ordering reused, the in-training records, or
    #: aucurriculum's own scoring.
    FROM_DIFFICULTY, FROM_RECORDS, FROM_AUCURRICULUM = ("Difficulty chapter",
                                                        "in-training records", "aucurriculum")
    MINUTES = "minutes"
    DISK_MB = "disk_mb"
    #: Definition -> ``RUN_TO_RUN`` and ``SPLIT_HALF`` Spearman.
    STABILITY = "stability"
    RUN_TO_RUN = "run_to_run_spearman"
    SPLIT_HALF = "split_half_spearman"
    AGREEMENT = "agreement"  # "A vs B" -> a significance.Correlation record
    MEAN_AGREEMENT = "mean_agreement"  # mean rho over the pairs without the control
    HARDEST_FRACTION = "hardest_fraction"
    #: Injected kind -> definition -> ``AUROC``, ``AUROC_INTERVAL``, ``IN_HARDEST`` (the share
    #: of the kind's samples among the hardest ``HARDEST_FRACTION``).
    DETECTION = "detection"
    AUROC = "auroc"
    AUROC_INTERVAL = "auroc_interval"
    IN_HARDEST = "in_hardest"
    #: Injected kind -> ``DEFINITION`` with the highest AUROC, its ``AUROC`` and interval,
    #: the ``RUNNER_UP`` and its AUROC, and whether the two are ``BEYOND_INTERVALS``.
    BEST = "best"
    DEFINITION = "definition"
    RUNNER_UP = "runner_up"
    RUNNER_UP_AUROC = "runner_up_auroc"
    BEYOND_INTERVALS = "beyond_intervals"
    #: cleanlab's source (``CLEANLAB_NETWORK``, ``CLEANLAB_PROBE``) -> samples it flags.
    CLEANLAB_FLAGGED = "cleanlab_flagged"
    #: A teacher pretrained here: ``model``, ``words``, ``train_clips``, ``voices``,
    #: ``epochs``, ``dev_accuracy``, ``best_epoch``, ``fingerprint``, ``seconds``,
    #: ``disk_bytes`` (lib.teacher.pretrain).
    TEACHER = "teacher"


class Kinds:
    """Per dataset: every score of the book against every kind of hard sample the data
    records (:mod:`lib.kinds`)."""
    CHAPTER = "kinds"
    NOTEBOOK = "02c_kinds"
    COUNTS = "counts"  # kind -> training clips
    EARLY_EPOCH = "early_epoch"  # the epoch EL2N and GraNd are read at
    #: Kind -> score -> ``AUROC``, ``AUROC_INTERVAL``, ``PRECISION_AT_COUNT``.
    DETECTION = "detection"
    AUROC = "auroc"
    AUROC_INTERVAL = "auroc_interval"
    PRECISION_AT_COUNT = "precision_at_count"
    #: Kind -> the ``SCORE`` with the highest AUROC (its interval and precision), the
    #: ``RUNNER_UP`` and its AUROC, and whether the two are ``BEYOND_INTERVALS``.
    BEST = "best"
    SCORE = "score"
    RUNNER_UP = "runner_up"
    RUNNER_UP_AUROC = "runner_up_auroc"
    BEYOND_INTERVALS = "beyond_intervals"
    #: ``DYNAMICS`` and ``EARLY`` -> their scores' mean AUROC over the mislabelled kinds.
    FAMILIES = "families"
    DYNAMICS = "learning dynamics"
    EARLY = "early training"
    #: Score -> ``SOURCE``, ``RUNS``, ``MINUTES`` on this machine, ``DISK_MB``.
    COST = "cost"
    SOURCE = "source"
    RUNS = "runs"
    MINUTES = "minutes"
    DISK_MB = "disk_mb"
    #: Kind (and genuine) -> Data Maps region -> share of its training clips.
    REGIONS = "regions"
    #: Near-duplicates over all splits (lib.duplicates): ``SHARED_SPEAKERS`` ("train & test"
    #: -> speakers both splits hold), ``PLANTED_PAIRS`` where the data records them, and per
    #: check its ``PAIRS``, those ``ACROSS_SPLITS`` and the ``PLANTED_FOUND`` among them.
    DUPLICATES = "duplicates"
    SHARED_SPEAKERS = "shared_speakers"
    PLANTED_PAIRS = "planted_pairs"
    PAIRS = "pairs"
    ACROSS_SPLITS = "across_splits"
    PLANTED_FOUND = "planted_found"


class Selection:
    """Per dataset: the selected samples of every band."""
    CHAPTER = "selection"
    NOTEBOOK = "03_selection"
    SELECTED = "selected"
    INJECTED_IN_HARD_BAND = "injected_in_hard_band"
    CORRECT_SHARE_BY_BAND = "correct_share_by_band"  # band -> share predicted right


class Explanations:
    """Per dataset: where Grad-CAM puts importance, per band, and whether it is faithful."""
    CHAPTER = "explanations"
    NOTEBOOK = "04_explanations"
    IMPORTANCE_PEAK_HZ = "importance_peak_hz"  # band -> Hz
    MAP_MEL_BANDS = "map_mel_bands"  # the mel bands of a Grad-CAM map: where a peak can fall
    EDGE_SHARE = "edge_share"  # band -> mean share at the clip's edges
    EDGE_SHARE_UNIFORM = "edge_share_uniform"  # the same for a map blind to time
    EDGE_SHARE_INTERVAL = "edge_share_interval"  # band -> 90 % bootstrap interval of the mean
    #: Masked share -> ``DROP_GRADCAM``, ``DROP_RANDOM``, ``MAPS`` and ``DIFFERENCE_INTERVAL``.
    FAITHFULNESS = "faithfulness"
    DROP_GRADCAM = "drop_gradcam"
    DROP_RANDOM = "drop_random"
    MAPS = "maps"
    DIFFERENCE_INTERVAL = "difference_interval"


class Classes:
    """Per dataset: class difficulty against recall, ours beside the paper's."""
    CHAPTER = "classes"
    NOTEBOOK = "05_classes"
    CLASSES = "classes"
    CORRELATIONS = "correlations"  # the paper's bases (classes.CORRELATIONS) -> Spearman
    P = "p"  # base -> p-value
    DIFFICULTY_TEST_PAPER = "difficulty_test_paper"  # the paper's classes.DIFFICULTY_TEST
    PAPER_CLASSES = "paper_classes"


class Inference:
    """New audio through one run, and real human speech through the ensemble."""
    CHAPTER = "inference"
    NOTEBOOK = "06_inference"
    FILES = "files"
    CLASSIFIED = "classified"
    ERRORS = "errors"  # files rejected, each with its one-line error
    WARNINGS = "warnings"
    RUN = "run"
    RUN_CHOSEN_BY = "run_chosen_by"
    ACCURACY = "accuracy"  # on the example files with a known class
    LABELLED = "labelled"
    ACCURACY_BY_VARIANT = "accuracy_by_variant"
    #: ``WORDS``, ``SPEAKERS``, ``ACCURACY``, ``SYNTHETIC_TEST_ACCURACY``, ``MISSING`` and
    #: ``PER_WORD`` (word -> ``PREDICTION``, ``PROBABILITY``, ``RUNS_CORRECT``).
    REAL_SPEECH = "real_speech"
    WORDS = "words"
    SPEAKERS = "speakers"
    SYNTHETIC_TEST_ACCURACY = "synthetic_test_accuracy"
    MISSING = "missing"
    PER_WORD = "per_word"
    PREDICTION = "prediction"
    WORD_PROBABILITY = "word_probability"  # the ensemble's mean probability of the true word
    RUNS_CORRECT = "runs_correct"
    #: The share of the real recordings given the class predicted most often.
    MOST_PREDICTED_SHARE = "most_predicted_share"
    AUGMENTATION = "augmentation"  # the profile's training augmentation
    #: ``SYNTHETIC_TEST`` and ``REAL_SPEECH`` -> ``ECE``, ``MEAN_CONFIDENCE``, ``ACCURACY``,
    #: ``ANSWERS``: the ensemble's calibration on each.
    CALIBRATION = "calibration"
    SYNTHETIC_TEST = "synthetic_test"
    ECE = "ece"
    MEAN_CONFIDENCE = "mean_confidence"
    ANSWERS = "answers"
    #: ``WORDS``, ``MEAN_CONFIDENCE`` (of the letters), ``IN_VOCABULARY_MEAN_CONFIDENCE`` (of
    #: the real in-vocabulary words), ``THRESHOLD`` (chosen on the dev split for
    #: ``DEV_COVERAGE``), ``FLAGGED`` and ``IN_VOCABULARY_FLAGGED`` (shares below it).
    OUT_OF_VOCABULARY = "out_of_vocabulary"
    IN_VOCABULARY_MEAN_CONFIDENCE = "in_vocabulary_mean_confidence"
    THRESHOLD = "threshold"
    DEV_COVERAGE = "dev_coverage"
    FLAGGED = "flagged"
    IN_VOCABULARY_FLAGGED = "in_vocabulary_flagged"


class Validation:
    """Per dataset: every score judged against the ground truth, and stability."""
    CHAPTER = "validation"
    NOTEBOOK = "07_validation"
    CLEANLAB_FLAGGED = "cleanlab_flagged"
    #: Injected kind -> score name -> ``AUROC``, ``AUROC_INTERVAL``, ``AVERAGE_PRECISION``,
    #: ``PRECISION_AT_K``.
    DETECTION = "detection"
    AUROC = "auroc"
    AUROC_INTERVAL = "auroc_interval"
    AVERAGE_PRECISION = "average_precision"
    PRECISION_AT_K = "precision_at_k"
    #: Dynamic -> its validation.eval_against_train row: ``spearman``, ``n``, ``p`` and, per
    #: injected kind and mode (:data:`MODES`), the AUROC and its interval (:meth:`mode_auroc`).
    EVAL_VS_TRAIN_MODE = "eval_vs_train_mode"
    TRAIN_MODE = "train mode"
    EVAL_MODE = "eval mode"
    MODES = (TRAIN_MODE, EVAL_MODE)
    LOW = "low"
    HIGH = "high"

    @staticmethod
    def mode_auroc(kind: str, mode: str, bound: str = "") -> str:
        """The key of a kind's AUROC in one mode, or of its interval's ``LOW`` or ``HIGH``."""
        return f"auroc {kind}, {mode}" + (f", {bound}" if bound else "")
    RANK_VS_SNR = "rank_vs_snr"
    HARDEST_WORD = "hardest_word"
    MOST_CONFUSED = "most_confused"
    #: ``SPLIT_HALVES_SPEARMAN`` and ``MEDIAN_INTERVAL_WIDTH``.
    STABILITY = "stability"
    SPLIT_HALVES_SPEARMAN = "split_halves_spearman"
    MEDIAN_INTERVAL_WIDTH = "median_interval_width"
    #: Flipped share -> ``FLAGGED_BY_CLEANLAB`` and ``AUROC`` (score name -> AUROC or None).
    SWEEP = "sweep"
    FLAGGED_BY_CLEANLAB = "flagged_by_cleanlab"


class Pruning:
    """Per dataset: every pruning point against the unpruned runs of the same seeds."""
    CHAPTER = "pruning"
    NOTEBOOK = "08_pruning"
    MODEL = "model"
    SEEDS = "seeds"
    SKIPPED = "skipped"
    UNPRUNED = "unpruned"
    SEED_SPREAD = "seed_spread"
    SPREAD_RUNS = "spread_runs"
    #: Point name -> ``RULE``, ``FRACTION``, ``REMOVED``, ``TEST_ACCURACY``, ``DIFFERENCE``
    #: (same seed), ``PAIRED_INTERVAL`` and ``PAIRED_P`` (on the same test clips),
    #: ``MINUTES_PER_RUN``.
    POINTS = "points"
    RULE = "rule"
    FRACTION = "fraction"
    REMOVED = "removed"
    TEST_ACCURACY = "test_accuracy"
    DIFFERENCE = "difference"
    PAIRED_INTERVAL = "paired_interval"
    PAIRED_P = "paired_p"
    MINUTES_PER_RUN = "minutes_per_run"
    COMPOSITION = "composition"  # point name -> removed kind -> count
    MOST_REMOVED_CLASS = "most_removed_class"  # point name -> [class, share]
    RECALL_CHANGE = "recall_change"  # point name -> class -> change in test recall


class Curricula:
    """Per dataset: every curriculum point (and training on one end of the ordering) against
    the main runs of the same seeds, trained without a curriculum."""
    CHAPTER = "curricula"
    NOTEBOOK = "09_curricula"
    MODEL = "model"
    SEEDS = "seeds"
    PACING = "pacing"  # in words
    SAMPLE_EPOCHS = "sample_epochs_share"  # of a full run's, under the pacing
    ORDERINGS = "orderings"  # the definitions presented (``best`` resolved)
    WITHOUT = "without_curriculum"  # mean test accuracy of the comparison runs
    SEED_SPREAD = "seed_spread"
    SPREAD_RUNS = "spread_runs"
    #: How far a point's mean paired difference must be from 0 to count beyond reseeding.
    YARDSTICK = "yardstick"
    #: Point name -> ``SCHEDULE`` (or ``inclusion``), ``ORDERING``, ``TEST_ACCURACY``, ``LOW``,
    #: ``HIGH`` (lowest and highest seed), ``DIFFERENCE`` (same seed), ``PAIRED_INTERVAL`` and
    #: ``PAIRED_P`` (on the same test clips), ``MINUTES_PER_RUN``; an inclusion point's
    #: ``SAME_AS`` names the pruning point whose runs it is.
    POINTS = "points"
    SCHEDULE = "schedule"
    ORDERING = "ordering"
    TEST_ACCURACY = "test_accuracy"
    LOW = "low"
    HIGH = "high"
    DIFFERENCE = "difference"
    PAIRED_INTERVAL = "paired_interval"
    PAIRED_P = "paired_p"
    SAME_AS = "same_as"
    MINUTES_PER_RUN = "minutes_per_run"
    #: Late fusion: ``FUSED_ORDERING``, ``FUSED_MODELS`` of one seed and their
    #: ``FUSED_ACCURACY`` (mean over ``FUSED_SEEDS``), against ``BASELINE_MODELS`` runs without
    #: a curriculum and their ``BASELINE_ACCURACY``.
    FUSION = "fusion"
    FUSED_ORDERING = "ordering"
    FUSED_MODELS = "models"
    FUSED_SEEDS = "seeds"
    FUSED_ACCURACY = "accuracy"
    BASELINE_MODELS = "baseline_models"
    BASELINE_ACCURACY = "baseline_accuracy"
    #: Point name -> kind of training sample -> mean epoch it ``ENTERED`` training and was
    #: ``FITTED``, and the ``FITTED_SHARE`` by the last epoch (keyword set only).
    ENTRY = "entry"
    ENTERED = "entered"
    FITTED = "fitted"
    FITTED_SHARE = "fitted_share"


class Review:
    """Per dataset: the list of clips to review (:mod:`lib.review`), hardest first."""
    CHAPTER = "review"
    NOTEBOOK = "10_review"
    CLIPS = "clips"
    ORDERED_BY = "ordered_by"  # the definition that sorts the list
    BECAUSE = "because"  # why that one, in words
    SHOWN = "shown"  # clips the chapter plays
    INJECTED = "injected"  # training clips the build made hard
    #: Of the ``INJECTED`` hardest clips, how many are injected ones (None without any).
    INJECTED_AT_THE_TOP = "injected_at_the_top"
    CLEANLAB_FLAGGED = "cleanlab_flagged"  # None without the out-of-fold probabilities
    SUGGESTED_OTHER = "suggested_other"  # clips the ensemble gives another label
    FILE = "file"  # the CSV, relative to the profile's results folder


class Results:
    """The results chapter: how many numbers sit beside the paper's and beyond it."""
    CHAPTER = "results"
    NOTEBOOK = "90_results"
    COMPARED_WITH_PAPER = "compared_with_paper"
    BEYOND_PAPER = "beyond_paper"
    DIFFICULTY_TEST_SAME_SIGN = "difficulty_test_same_sign"  # dataset -> bool


#: Every chapter's record, in pipeline order.
CHAPTERS = (Data, Training, Difficulty, Definitions, Kinds, Selection, Explanations, Classes,
            Inference, Validation, Pruning, Curricula, Review, Results)
#: The chapter whose record each notebook writes.
CHAPTER_OF = {chapter.NOTEBOOK: chapter.CHAPTER for chapter in CHAPTERS}


def save(profile: str, chapter: str, numbers: dict[str, Any]) -> Path:
    """Write a chapter's key numbers atomically: an interrupted write never leaves half a file."""
    target = paths.record_file(profile, chapter)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(numbers, indent=2, default=float) + "\n")
    partial.replace(target)
    return target


def load(profile: str, chapter: str) -> dict[str, Any]:
    target = paths.record_file(profile, chapter)
    if not target.is_file():
        raise RecordMissing(f"{paths.relative(target)} is missing: run the {chapter} notebook "
                            f"first (make notebooks PROFILE={profile})")
    return json.loads(target.read_text())
