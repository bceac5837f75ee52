"""Profiles: every parameter of every notebook, one YAML file per size tier.

``smoke`` is what the tests run, ``demo`` (the default) makes the book, ``paper`` is the
published study for GPUs. :data:`SCHEMA` is the single description of what each parameter
means and which values it allows; profile files and papermill overrides are checked against it
so a typo fails at once with one line naming the file and the parameter. Every notebook's
``parameters`` cell is written from it (``python -m lib.profiles --sync-cells``: the demo's
values, one comment per parameter), and checked with one call, :func:`check_cell`.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from lib import paths
from lib.datasets import LAYOUTS


class ProfileError(ValueError):
    """A profile or parameter problem; its message is one line naming the file and key."""


@dataclass(frozen=True)
class Parameter:
    kind: str  # int | float | str | bool | list[str] | list[int] | list[float] | range | seeds
    #            | options
    doc: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: A list parameter that may be empty (``[]`` meaning "none").
    may_be_empty: bool = False
    #: Which profiles the parameter matters to, as a notebook cell's tag names them
    #: (:data:`lib.datasets.CELL_AUDIENCES`); None: every profile.
    audience: str | None = None
    #: The value a profile written before the parameter existed gets (None: it must name it).
    added_with: Any = None

    @property
    def comment(self) -> str:
        """The one wording of this parameter, as every parameters cell carries it."""
        if self.choices is None or len(self.choices) > 8:
            return self.doc
        return f"{self.doc}: {' | '.join(map(str, self.choices))}"


KNOWN_DATASETS = tuple(LAYOUTS)
#: The form of a user's own dataset's name (it names the folder data/<PROFILE>/<name>).
USER_DATASET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
SPEECH_COMMANDS_WORDS = (
    "backward bed bird cat dog down eight five follow forward four go happy house learn left "
    "marvin nine no off on one right seven sheila six stop three tree two up visual wow yes zero"
).split()
#: The pruning rules lib.pruning implements (a profile may name only these).
PRUNE_RULES = ("hardest", "easiest", "random", "cleanlab", "oracle")
#: How a curriculum presents the ordering (lib.curricula): easy to hard, hard to easy, or the
#: same pacing over a random order (aucurriculum's Random scores).
CURRICULUM_SCHEDULES = ("curriculum", "anti", "random")
#: aucurriculum's pacing functions: the share of the training split each epoch may draw from.
PACINGS = ("Linear", "Quadratic", "Root", "Exponential", "Logarithmic", "OneStep")
#: aucurriculum's sampling of a paced subset: the easiest overall, as many per class, or per
#: class in the split's proportions.
CURRICULUM_SAMPLINGS = ("Unbalanced", "Balanced", "Original")
#: In CURRICULUM_ORDERINGS: the definition the Definitions chapter found best at finding
#: flipped labels on the dataset.
BEST_DEFINITION = "best"
#: The arithmetic a run trains, scores and infers in (lib.models): fp32 is autrainer's own.
PRECISIONS = ("fp32", "bf16", "fp16")
#: The learning-rate schedules lib.toolkit writes autrainer configs for.
SCHEDULES = ("none", "cosine", "onecycle")
#: Training augmentations lib.toolkit writes autrainer augmentation configs for (none: the
#: paper's); a sum of several is ``+``-joined, each applied with probability 0.5.
AUGMENTATIONS = ("none", "specaugment", "telephone", "telephone+specaugment")
#: The aucurriculum scoring functions lib.toolkit writes configs for.
SCORING_FUNCTIONS = ("CumulativeAccuracy",)
#: The definitions of difficulty the Definitions chapter sets side by side: aucurriculum's
#: scoring functions (its Predefined reads an ordering given to it, so it defines nothing).
DEFINITIONS = ("CumulativeAccuracy", "CELoss", "FirstIteration", "PredictionDepth", "CVLoss",
               "TransferTeacher", "Random")
#: The definition that knows nothing: the control every comparison shows.
CONTROL_DEFINITION = "Random"
#: What a curriculum may present: a definition's ordering (the control's is the random
#: schedule), or the best one.
ORDERINGS = (*(d for d in DEFINITIONS if d != CONTROL_DEFINITION), BEST_DEFINITION)
#: Where PredictionDepth may place its probes: the output of a PANNs conv block (after its
#: pooling) or of the embedding layer fc1; blocks a model lacks are skipped (Cnn10 has four).
PROBE_PLACES = ("conv_block1", "conv_block2", "conv_block3", "conv_block4", "conv_block5",
                "conv_block6", "fc1")


def precision_problem(precision: str, device_type: str) -> str | None:
    """Why ``precision`` cannot run on a ``device_type`` device (fp16 autocast is CUDA's
    alone), or None where it can."""
    if precision not in PRECISIONS:
        return f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}"
    if precision == "fp16" and device_type != "cuda":
        return "PRECISION fp16 needs a CUDA device; use bf16 or fp32 on a CPU"
    return None

SCHEMA: dict[str, Parameter] = {
    "PROFILE": Parameter("str", "smoke | demo | paper, or your own "
                         "notebooks/profiles/<name>.yaml; selects data/<PROFILE> and "
                         "results/<PROFILE>"),
    "DATASETS": Parameter("list[str]", "datasets of the study: the generated stand-ins or the "
                          "paper's (lib.datasets.LAYOUTS), or one name of your own for "
                          "USER_AUDIO"),
    # The offline keyword set (lib.keywords).
    "KEYWORDS": Parameter("list[str]", "SpeechCommands words to synthesise (any of its 35)",
                          choices=tuple(SPEECH_COMMANDS_WORDS), audience="keyword-set"),
    "ENGINES": Parameter("list[str]", "speech engines to draw voices from, any of",
                         choices=("espeak", "piper"), audience="keyword-set"),
    "TRAIN_VOICES": Parameter("int", "voices in the training split", minimum=1, audience="keyword-set"),
    "DEV_VOICES": Parameter("int", "voices in the dev split (disjoint from train)", minimum=1, audience="keyword-set"),
    "TEST_VOICES": Parameter("int", "voices in the test split (disjoint from both)", minimum=1, audience="keyword-set"),
    "UTTERANCES_PER_VOICE": Parameter("int", "repetitions of each word per voice", minimum=1, audience="keyword-set"),
    "SNR_DB": Parameter("range", "[low, high] signal-to-noise ratio in dB, drawn uniformly", audience="keyword-set"),
    "FLIP_FRACTION": Parameter("float", "share of training clips whose label is flipped",
                               minimum=0.0, maximum=0.5),
    "NONSPEECH_FRACTION": Parameter("float", "share of training clips replaced by noise only, "
                                    "with a word label", minimum=0.0, maximum=0.5, audience="keyword-set"),
    "CONFUSABLE_FRACTION": Parameter("float", "share of training clips labelled as the keyword "
                                     "nearest in spelling (three/tree)", minimum=0.0,
                                     maximum=0.5, audience="keyword-set", added_with=0.0),
    "OUT_OF_VOCABULARY_FRACTION": Parameter("float", "share of training clips saying a word "
                                            "outside KEYWORDS, labelled as a keyword",
                                            minimum=0.0, maximum=0.5, audience="keyword-set",
                                            added_with=0.0),
    "ATYPICAL_FRACTION": Parameter("float", "share of training clips spoken at a pitch and "
                                   "rate no other voice has", minimum=0.0, maximum=0.5,
                                   audience="keyword-set", added_with=0.0),
    "DUPLICATE_FRACTION": Parameter("float", "near-duplicate pairs as a share of the training "
                                    "clips: an utterance again under other noise, every second "
                                    "copy in test", minimum=0.0, maximum=0.5,
                                    audience="keyword-set", added_with=0.0),
    "NOISE_SOURCES": Parameter("list[str]", "packages with real recordings used as noise, any of",
                               choices=("dcase-util", "lincity-ng-data", "minetest-data")),
    "SCENE_CLIPS_PER_CLASS": Parameter("int", "clips per scene in the tiny DCASE-layout tree",
                                       minimum=2, audience="scene-set"),
    "SCENE_SECONDS": Parameter("float", "length of each clip of the tiny DCASE-layout tree in "
                               "seconds (DCASE2020 Task 1A's are 10)", minimum=1.0,
                               maximum=10.0, audience="scene-set"),
    "DATA_SEED": Parameter("int", "seed of the data generators (same seed, same bytes)",
                           minimum=0),
    # A user's own labelled audio (lib.userdata); FLIP_FRACTION and DATA_SEED apply to it too.
    "USER_AUDIO": Parameter("str", "folder of your own labelled clips, the dataset of DATASETS "
                            "that is not a known one (\"\": none); only read, never written", audience="own-data"),
    "USER_LABELS": Parameter("str", "CSV of file,label[,split,group,...] for USER_AUDIO "
                             "(\"\": class subfolders, <USER_AUDIO>/<label>/<clip>)", audience="own-data"),
    "CLIP_SECONDS": Parameter("float", "length every clip of your dataset is cut or padded to "
                              "(0: the CLIP_PERCENTILE percentile of its durations)",
                              minimum=0.0, maximum=30.0, audience="own-data"),
    "CLIP_PERCENTILE": Parameter("float", "percentile of your clips' durations that sets "
                                 "their length when CLIP_SECONDS is 0", minimum=50.0,
                                 maximum=100.0, audience="own-data"),
    "SPLIT_SHARES": Parameter("list[float]", "[dev, test] shares of your clips where "
                              "USER_LABELS gives no split (stratified by label, grouped by "
                              "group)", minimum=0.0, maximum=0.5, audience="own-data"),
    "DROP_BAD_FILES": Parameter("bool", "leave out your files that fail the import's checks, "
                                "and list them, instead of stopping", audience="own-data"),
    # Training and scoring (the paper's sweep; used from notebooks/01_training on).
    "MODELS": Parameter("list[str]", "PANNs architectures, any of", choices=("Cnn10", "Cnn14")),
    "SEEDS": Parameter("list[int]", "training seeds, one run per dataset x model x seed "
                       "(the paper: 1, 2, 3)"),
    "SEEDS_BY_MODEL": Parameter("seeds", "seeds of single models instead of SEEDS, as "
                                "{Cnn14: [1, 2]} (a model of MODELS -> a list of seeds); {}: "
                                "SEEDS for every model"),
    "EPOCHS": Parameter("int", "training epochs per run (the paper: 100)",
                        minimum=1),
    "BATCH_SIZE": Parameter("int", "training batch size, also used for scoring (the paper: 32)",
                            minimum=1),
    "LEARNING_RATE": Parameter("float", "learning rate, its peak under a schedule (the paper: "
                               "0.001)", minimum=0.0),
    "OPTIMIZER": Parameter("str", "optimizer (the paper: Adam)", choices=("Adam", "SGD")),
    "SCHEDULER": Parameter("str", "learning-rate schedule: none is constant (the paper's), "
                           "cosine anneals to 0 over EPOCHS, onecycle warms up over the first "
                           "quarter of the steps, then anneals",
                           choices=SCHEDULES),
    "AUGMENTATION": Parameter("str", "training augmentation, each part on half of the clips: "
                              "none (the paper's), specaugment masks a band of mel bins and a "
                              "stretch of frames, telephone band-limits the log-mel above a "
                              "random 2.6-5.2 kHz cut as a phone line does", choices=AUGMENTATIONS),
    "DEVICE": Parameter("str", "torch device; auto is cuda when torch sees a GPU",
                        choices=("cpu", "cuda", "auto")),
    "PRECISION": Parameter("str", "arithmetic of training, scoring and inference: fp32 is the "
                           "paper's, bf16 autocast suits CPUs with AVX-512 BF16 and GPUs, fp16 "
                           "autocast CUDA only", choices=PRECISIONS),
    # Where the training and scoring sweeps run (lib.launchers).
    "LAUNCHER": Parameter("str", "where a sweep's runs go: basic trains one after another "
                          "(Hydra's default), joblib several at once on this machine, slurm "
                          "one SLURM job per run", choices=("basic", "joblib", "slurm")),
    "LAUNCHER_JOBS": Parameter("int", "runs at once under joblib; 0 is one per GPU on cuda, "
                               "else one per CPU core", minimum=0),
    "SLURM_PARTITION": Parameter("str", "SLURM partition of the jobs; empty is the cluster's "
                                 "default"),
    "SLURM_TIME_MINUTES": Parameter("int", "time limit of each run's SLURM job (minutes); a job "
                                    "that exceeds it stops the sweep with one line", minimum=1),
    "SLURM_CPUS_PER_RUN": Parameter("int", "CPU cores of each run's SLURM job", minimum=1),
    "SLURM_MEMORY_GB": Parameter("int", "memory of each run's SLURM job (GB)", minimum=1),
    "SLURM_GPUS_PER_RUN": Parameter("int", "GPUs of each run's SLURM job; 0 on a CPU "
                                    "partition", minimum=0),
    "SLURM_OPTIONS": Parameter("options", "more sbatch options, as {account: my-project, qos: "
                               "normal} (an option without its -- to its value); {}: none"),
    "SCORING": Parameter("str", "difficulty score computed by aucurriculum",
                         choices=SCORING_FUNCTIONS),
    "SCORING_STOP": Parameter("str", "last checkpoint that enters the score (the paper: best)",
                              choices=("best", "last")),
    "SCORING_SUBSET": Parameter("str", "split whose samples are scored (the paper: train)",
                                choices=("train", "dev", "test")),
    "SCORING_ENGINE": Parameter("str", "who computes CumulativeAccuracy: aucurriculum reloads "
                                "every epoch's kept model (the paper's), in-training records the "
                                "same forward passes during training and keeps only the model "
                                "states that scoring reads", choices=("aucurriculum", "in-training")),
    # Definitions of difficulty side by side (notebooks/02b_definitions).
    "DEFINITIONS": Parameter("list[str]", "definitions of difficulty scored on every training "
                             "sample, each aucurriculum's own function (CumulativeAccuracy: the "
                             "Difficulty chapter's; CELoss, FirstIteration: from in-training "
                             "records where the runs have them)", choices=DEFINITIONS),
    "DEFINITION_MODELS": Parameter("list[str]", "architectures whose runs every run-based "
                                   "definition reads (the same runs for all; CVLoss trains the "
                                   "first)", choices=("Cnn10", "Cnn14")),
    "PROBES": Parameter("list[str]", "layers whose outputs PredictionDepth's k-NN probes read "
                        "(input and output are always probed; blocks a model lacks are "
                        "skipped)", choices=PROBE_PLACES),
    "CV_FOLDS": Parameter("int", "folds of CVLoss: each fold's samples are scored by a model "
                          "trained on the others", minimum=2),
    "CV_EPOCHS": Parameter("int", "epochs each CVLoss fold model trains (the first of "
                           "DEFINITION_MODELS, otherwise as the main runs, without "
                           "augmentation)", minimum=1),
    "TEACHER": Parameter("str", "autrainer model config of TransferTeacher's pretrained "
                         "teacher (the paper's: Cnn14-16k-T, PANNs' AudioSet weights); empty: "
                         "the teacher is pretrained here on TEACHER_WORDS"),
    "TEACHER_WORDS": Parameter("list[str]", "words the generator speaks (none of the data's), "
                               "in other voices, on which the first of DEFINITION_MODELS is "
                               "pretrained as TransferTeacher's teacher; []: none", choices=tuple(SPEECH_COMMANDS_WORDS),
                               may_be_empty=True),
    "TEACHER_VOICES": Parameter("int", "training voices of the teacher's generated words (a "
                                "tenth as many, at least 2, for dev and for test)", minimum=2),
    "TEACHER_EPOCHS": Parameter("int", "epochs the teacher trains (otherwise as the main runs, "
                                "without augmentation)", minimum=1),
    # Selection, explanations, classes, inference (notebooks/03_selection on).
    "SELECTION_K": Parameter("int", "samples per class in each of the easy, medium and hard "
                             "bands (the paper: 10)", minimum=1),
    "GALLERY_PER_BAND": Parameter("int", "thumbnails per class and band in the book's static "
                                  "gallery (all selected samples are on disk)", minimum=1),
    "REVIEW_TOP": Parameter("int", "hardest training clips the Clips-to-review chapter plays "
                            "(its CSV lists every one)", minimum=1),
    "EXPLAIN_MODEL": Parameter("str", "architecture whose seeds are explained with Grad-CAM "
                               "(the paper: Cnn10)",
                               choices=("Cnn10", "Cnn14")),
    "EXPLAIN_LAYER": Parameter("str", "layer Grad-CAM reads (Cnn10: conv_block4.conv2, the "
                               "paper's; Cnn14: conv_block6.conv2)"),
    "EXPLAIN_TARGET": Parameter("str", "class Grad-CAM explains (the paper: predicted)",
                                choices=("predicted", "true")),
    "FAITHFULNESS_TOP": Parameter("list[float]", "shares of the spectrogram masked where "
                                  "Grad-CAM is highest", minimum=0.0, maximum=1.0),
    "EDGE_FRACTION": Parameter("float", "share of the time axis at each end counted as edge",
                               minimum=0.01, maximum=0.49),
    "INFERENCE_INPUTS": Parameter("str", "folder of wav files to classify; empty: the "
                                  "generated examples in data/<PROFILE>/inference_examples"),
    "INFERENCE_RUN": Parameter("str", "run used for inference, as Cnn10_s1; empty: the run "
                               "with the best dev accuracy"),
    # Validation against the keyword set's ground truth (notebooks/07_validation).
    "CLEANLAB_FOLDS": Parameter("int", "cross-validation folds of the probe whose out-of-sample "
                                "probabilities feed cleanlab", minimum=2),
    "BOOTSTRAP_DRAWS": Parameter("int", "resamplings of the runs for each sample's rank "
                                 "interval", minimum=10),
    "RANK_INTERVAL": Parameter("float", "coverage of the bootstrap rank interval",
                               minimum=0.5, maximum=0.99),
    "SNR_BINS": Parameter("int", "SNR quantile bins of the difficulty-vs-SNR plot", minimum=2, audience="keyword-set"),
    "SWEEP_FLIP_FRACTIONS": Parameter("list[float]", "flipped-label shares of the label-noise "
                                      "sweep; each gets a relabelled copy of the data and a "
                                      "small ensemble of its own; []: no sweep", minimum=0.0,
                                      maximum=0.5, may_be_empty=True),
    "SWEEP_SEEDS": Parameter("list[int]", "seeds of the first of MODELS trained at each sweep "
                             "point"),
    # Retraining without what an ordering singles out (notebooks/08_pruning).
    "PRUNE_RULES": Parameter("list[str]", "what each pruning point removes from the training "
                             "split: hardest (highest ranks), easiest (lowest), random (class-"
                             "balanced), cleanlab (lowest label quality), oracle (exactly the "
                             "mislabelled samples, where the data records them; once), any of",
                             choices=PRUNE_RULES),
    "PRUNE_FRACTIONS": Parameter("list[float]", "shares of the training split each rule "
                                 "removes; every rule x share is one small ensemble trained "
                                 "again", minimum=0.01, maximum=0.5),
    "PRUNE_SEEDS": Parameter("list[int]", "seeds of the first of MODELS trained at each pruning "
                             "point; each must be a seed of that model in the main ensemble, "
                             "whose run is the unpruned comparison"),
    # Training with the ordering (notebooks/09_curricula).
    "CURRICULUM_ORDERINGS": Parameter("list[str]", "orderings a curriculum presents, each a "
                                      "definition's ensemble ordering of the Definitions "
                                      "chapter (best: the one it found best at flipped labels)",
                                      choices=ORDERINGS),
    "CURRICULUM_SCHEDULES": Parameter("list[str]", "how each ordering is presented: curriculum "
                                      "(easy to hard), anti (hard to easy), random (the same "
                                      "pacing over a random order, once for all orderings)",
                                      choices=CURRICULUM_SCHEDULES),
    "CURRICULUM_PACING": Parameter("str", "aucurriculum's pacing function: how the share of "
                                   "the training split a curriculum draws from grows",
                                   choices=PACINGS),
    "CURRICULUM_INITIAL_SIZE": Parameter("float", "share of the training split the first "
                                         "epoch draws from", minimum=0.01, maximum=1.0),
    "CURRICULUM_FINAL_ITERATION": Parameter("float", "share of the epochs after which the "
                                            "whole split is drawn", minimum=0.0, maximum=1.0),
    "CURRICULUM_SAMPLING": Parameter("str", "which samples a paced share holds: the easiest "
                                     "overall, as many per class, or per class in the split's "
                                     "proportions", choices=CURRICULUM_SAMPLINGS),
    "CURRICULUM_SEEDS": Parameter("list[int]", "seeds of the first of MODELS trained with each "
                                  "schedule; each must be a seed of that model in the main "
                                  "ensemble, whose run is the comparison without a curriculum"),
    "INCLUSION_SHARES": Parameter("list[float]", "shares of the training split a model trains "
                                  "on alone, once the easiest and once the hardest by the "
                                  "Difficulty chapter's ordering (pruning points of the rest); "
                                  "[]: none", minimum=0.05, maximum=0.95, may_be_empty=True),
}


def _type_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not allowed for parameter ``name``, or None when it is."""
    spec = SCHEMA[name]
    scalar = {"int": int, "float": (int, float), "str": str, "bool": bool}
    if spec.kind in scalar:
        if isinstance(value, bool) and spec.kind != "bool":
            return f"must be {spec.kind}, got {value!r}"
        if not isinstance(value, scalar[spec.kind]):
            return f"must be {spec.kind}, got {type(value).__name__} {value!r}"
        items = [value]
    elif spec.kind == "seeds":
        if not isinstance(value, dict):
            return f"must be a mapping of model to seeds, got {value!r}"
        for model, seeds in value.items():
            if model not in SCHEMA["MODELS"].choices:
                return f"names an unknown model {model!r}"
            if not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds) or \
                    not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
                return f"must give {model} a non-empty list of distinct int seeds, got {seeds!r}"
        return None
    elif spec.kind == "options":
        if not isinstance(value, dict):
            return f"must be a mapping of option to value, got {value!r}"
        for option, setting in value.items():
            if not isinstance(option, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", option):
                return f"names an option that is not an sbatch long option: {option!r}"
            if not isinstance(setting, (str, int)) or isinstance(setting, bool):
                return f"must give {option} a str or int value, got {setting!r}"
        return None
    elif name == "DATASETS":
        if not isinstance(value, list) or not value or \
                not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
            return f"must be a non-empty list[str] of distinct names, got {value!r}"
        unknown = [v for v in value if v not in KNOWN_DATASETS]
        if len(unknown) > 1:
            return (f"names {len(unknown)} datasets that are not known ({', '.join(unknown)}): "
                    f"known are {', '.join(KNOWN_DATASETS)}, plus one of your own")
        if unknown and not USER_DATASET_NAME.fullmatch(unknown[0]):
            return (f"names {unknown[0]!r}, neither a known dataset ({', '.join(KNOWN_DATASETS)}) "
                    "nor a usable name for your own (a letter, then letters, digits, - or _)")
        return None
    elif name == "SPLIT_SHARES":
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and 0 <= v <= 0.5 for v in value) or value[1] == 0):
            return f"must be [dev, test], each from 0 to 0.5 and test above 0, got {value!r}"
        return None
    elif spec.kind == "range":
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                or value[0] > value[1]):
            return f"must be [low, high] with low <= high, got {value!r}"
        return None
    else:
        item_type = {"list[str]": str, "list[int]": int, "list[float]": (int, float)}[spec.kind]
        if not isinstance(value, list) or (not value and not spec.may_be_empty):
            return f"must be a non-empty {spec.kind}, got {value!r}"
        bad = [v for v in value if not isinstance(v, item_type) or isinstance(v, bool)]
        if bad:
            return f"must be {spec.kind}, got {bad[0]!r} in {value!r}"
        if len(set(value)) != len(value):
            return f"has duplicates: {value!r}"
        items = value
    for item in items:
        if spec.choices is not None and item not in spec.choices:
            return f"allows {', '.join(map(str, spec.choices))}; got {item!r}"
        if spec.minimum is not None and item < spec.minimum:
            return f"must be >= {spec.minimum}, got {item!r}"
        if spec.maximum is not None and item > spec.maximum:
            return f"must be <= {spec.maximum}, got {item!r}"
    return None


def check(source: str = "parameters", **values: Any) -> dict[str, Any]:
    """Validate some parameters (a notebook calls this right after its parameters cell)."""
    for name, value in values.items():
        if name not in SCHEMA:
            raise ProfileError(f"{source}: unknown parameter {name!r}")
        problem = _type_problem(name, value)
        if not problem and name == "PROFILE" and not paths.profile_file(value).is_file():
            problem = f"names no profile file ({paths.relative(paths.profile_file(value))})"
        if problem:
            raise ProfileError(f"{source}: parameter {name} {problem}")
    return values


def user_datasets(values: Mapping[str, Any]) -> list[str]:
    """The datasets of a profile that are a user's own (not one of :data:`KNOWN_DATASETS`)."""
    return [name for name in values["DATASETS"] if name not in KNOWN_DATASETS]


def user_dataset_problem(values: Mapping[str, Any]) -> str | None:
    """Why a whole profile's own-data parameters do not fit together, or None: a dataset of
    one's own needs USER_AUDIO, and USER_AUDIO needs that dataset."""
    own = user_datasets(values)
    if own and not values["USER_AUDIO"]:
        return (f"DATASETS names {own[0]!r}, not a known dataset: set USER_AUDIO to the folder "
                f"of its clips, or use one of {', '.join(KNOWN_DATASETS)}")
    if values["USER_AUDIO"] and not own:
        return ("USER_AUDIO is set but DATASETS names no dataset of your own: add its name "
                "to DATASETS")
    return None


def check_cell(namespace: Mapping[str, Any], notebook: str) -> dict[str, Any]:
    """Check a notebook's parameters as they stand after its parameters cell (and papermill's
    injected one): the names its saved parameters cell declares (``notebook`` is its path from
    the repository root), each taken from ``namespace``, so no name is listed twice."""
    names = declared(json.loads((paths.ROOT / notebook).read_text()))
    return check(notebook, **{name: namespace[name] for name in names})


def _literal(value: Any) -> str:
    """A parameter value as Python source, strings in double quotes like the notebooks'."""
    if isinstance(value, (bool, int, float)):
        return repr(value)
    return json.dumps(value)


def parameters_cell(names: list[str], values: Mapping[str, Any]) -> str:
    """The source of a parameters cell: each name = its value  # its one comment, in the
    order of :data:`SCHEMA`."""
    return "\n".join(f"{name} = {_literal(values[name])}  # {SCHEMA[name].comment}"
                      for name in sorted(names, key=list(SCHEMA).index))


def parameters_cell_of(notebook: Mapping[str, Any]) -> Mapping[str, Any]:
    """The cell tagged ``parameters`` of a notebook (read by nbformat, or its plain JSON: a
    kernel checking its own cell does without nbformat, whose import costs a second)."""
    return next(cell for cell in notebook["cells"]
                if "parameters" in cell.get("metadata", {}).get("tags", []))


def declared(notebook: Mapping[str, Any]) -> list[str]:
    """The names a notebook's parameters cell assigns, in its order."""
    source = parameters_cell_of(notebook)["source"]
    return re.findall(r"^([A-Z][A-Z0-9_]*)\s*=",
                      source if isinstance(source, str) else "".join(source), re.M)


def sync_cells(profile: str = "demo") -> list[Path]:
    """Rewrite every notebook's parameters cell from :data:`SCHEMA` with ``profile``'s values
    (the names each declares are kept); the notebooks that changed."""
    import nbformat  # here only: every process importing lib.profiles would pay for it

    values, changed = load(profile), []
    for file in paths.chapter_notebooks():
        notebook = nbformat.read(file, as_version=4)
        cell = parameters_cell_of(notebook)
        source = parameters_cell(declared(notebook), values)
        if cell.source != source:
            cell.source = source
            nbformat.write(notebook, file)
            changed.append(file)
    return changed


def available() -> list[str]:
    return sorted(p.stem for p in paths.PROFILES.glob("*.yaml"))


def load(profile: str) -> dict[str, Any]:
    """Read and validate a profile; every schema parameter must be present exactly once."""
    file = paths.profile_file(profile)
    if not file.is_file():
        raise ProfileError(f"{paths.relative(file)}: unknown profile {profile!r} "
                           f"(available: {', '.join(available())})")
    try:
        values = yaml.safe_load(file.read_text())
    except yaml.YAMLError as err:
        raise ProfileError(f"{paths.relative(file)}: not valid YAML ({err.problem})") from None
    if not isinstance(values, dict):
        raise ProfileError(f"{paths.relative(file)}: must be a mapping of PARAMETER: value")
    # A parameter added after the profile was written takes the value it was added with.
    values.update({name: p.added_with for name, p in SCHEMA.items()
                   if name not in values and p.added_with is not None})
    missing = [name for name in SCHEMA if name not in values]
    if missing:
        raise ProfileError(f"{paths.relative(file)}: missing parameter {missing[0]}")
    check(paths.relative(file), **values)
    problem = user_dataset_problem(values)
    if problem:
        raise ProfileError(f"{paths.relative(file)}: {problem}")
    if values["PROFILE"] != profile:
        raise ProfileError(f"{paths.relative(file)}: PROFILE is {values['PROFILE']!r}, "
                           f"expected {profile!r}")
    return values


def subset(values: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The parameters one notebook declares, taken from a whole profile."""
    return {name: values[name] for name in names if name in values}


def write(values: dict[str, Any], file: Path, header: str = "") -> None:
    """A profile file: ``header`` as comment lines, then every parameter, lists on one line."""
    file.parent.mkdir(parents=True, exist_ok=True)
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    file.write_text(comments + yaml.safe_dump(values, sort_keys=False, default_flow_style=None,
                                              width=100))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check every profile; with --sync-cells, "
                                     "rewrite the notebooks' parameters cells.")
    parser.add_argument("--sync-cells", action="store_true",
                        help="rewrite every notebook's parameters cell from SCHEMA and demo")
    args = parser.parse_args(argv)
    try:
        checked = [load(profile)["PROFILE"] for profile in available()]
        rewritten = sync_cells() if args.sync_cells else []
    except ProfileError as err:
        sys.exit(f"error: {err}")
    print(f"profiles checked: {', '.join(checked)}")
    for file in rewritten:
        print(f"rewrote the parameters cell of {paths.relative(file)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
