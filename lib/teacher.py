"""TransferTeacher's teacher where no model pretrained elsewhere can be downloaded.

aucurriculum's TransferTeacher fits an SVM on the embeddings of a model that never saw the
scored samples; the paper profile names PANNs' AudioSet weights (autrainer's ``Cnn14-16k-T``).
Offline, the chapter pretrains one instead: the first of ``DEFINITION_MODELS`` on a second
keyword set generated with *other* SpeechCommands words (``TEACHER_WORDS``) and other voices,
so no clip, word or voice is shared with the scored set. Its best checkpoint, without the
output layer (TransferTeacher reads the embedding before it), becomes an autrainer model
config whose ``transfer`` weights sit in the profile's own torch hub folder, where autrainer
looks for transfer weights before it downloads them.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from lib import keywords, paths, toolkit, training
from lib.datasets import KEYWORD_SET
from lib.training import Ensemble

#: Added to DATA_SEED for the teacher's keyword set, so its voices are drawn afresh.
SEED_OFFSET = 1000
#: The teacher's seed (one run).
SEED = 1
#: The layer autrainer's PANNs classify with; the teacher is handed over without it.
HEAD = "out."


class TeacherError(ValueError):
    """The teacher cannot be made; one line naming the parameter or file."""


def words_problem(words: list[str], scored: list[str]) -> str | None:
    """Why ``TEACHER_WORDS`` cannot be the teacher's words, or None."""
    shared = sorted(set(words) & set(scored))
    if shared:
        return (f"TEACHER_WORDS shares {', '.join(shared)} with KEYWORDS: the teacher must "
                "never have heard the scored words")
    if len(set(words)) < 2:
        return "TEACHER_WORDS needs two words at least"
    return None


@dataclass(frozen=True)
class Teacher:
    """The teacher to pretrain: its keyword set, architecture and epochs."""
    data: keywords.KeywordSetSpec
    model: str
    epochs: int

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Teacher | None":
        """From checked parameters; None when ``TEACHER_WORDS`` is empty (no teacher to
        pretrain), one line naming it when its words cannot be the teacher's."""
        if not values["TEACHER_WORDS"]:
            return None
        problem = words_problem(list(values["TEACHER_WORDS"]), list(values["KEYWORDS"]))
        if problem:
            raise TeacherError(problem)
        voices = values["TEACHER_VOICES"]
        # The scored set's engines, SNRs and noise, none of its injected kinds.
        data = keywords.KeywordSetSpec(
            keywords=tuple(values["TEACHER_WORDS"]), engines=tuple(values["ENGINES"]),
            train_voices=voices, dev_voices=max(2, voices // 10),
            test_voices=max(2, voices // 10), utterances_per_voice=1,
            snr_db=tuple(map(float, values["SNR_DB"])), flip_fraction=0.0,
            nonspeech_fraction=0.0, noise_sources=tuple(values["NOISE_SOURCES"]),
            seed=values["DATA_SEED"] + SEED_OFFSET)
        return cls(data, values["DEFINITION_MODELS"][0], values["TEACHER_EPOCHS"])

    @property
    def model_id(self) -> str:
        """The teacher's autrainer model config id."""
        return f"{self.model}-teacher"

    def fingerprint(self, ensemble: Ensemble) -> str:
        """What the teacher's weights depend on: its data, architecture and epochs, and the
        training settings it shares with ``ensemble``."""
        return "-".join(str(part) for part in (
            self.data.fingerprint(), self.model, self.epochs, ensemble.settings.batch_size,
            ensemble.settings.learning_rate, ensemble.settings.optimizer,
            ensemble.settings.scheduler, ensemble.settings.precision))


def _speakers(root: Path) -> set[str]:
    metadata = root / "metadata.csv"
    return set(pd.read_csv(metadata)["speaker_id"]) if metadata.is_file() else set()


def pretrain(profile: str, ensemble: Ensemble, teacher: Teacher,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate the teacher's set, train the teacher on it and hand its weights to autrainer
    as :attr:`Teacher.model_id`; returns what the teacher reached and what making it cost
    (``seconds``, ``disk_bytes``), kept in ``results/<profile>/teacher/teacher.json`` and read
    back while the teacher is unchanged."""
    own = paths.teacher_profile(profile)
    kept = paths.results_dir(own) / "teacher.json"
    config = paths.toolkit_dir(profile) / "conf" / "model" / f"{teacher.model_id}.yaml"
    fingerprint = teacher.fingerprint(ensemble)
    if kept.is_file() and config.is_file():
        made = json.loads(kept.read_text())
        if made["taught"]["fingerprint"] == fingerprint and Path(made["weights"]).is_file():
            return made["taught"]
    started = time.perf_counter()
    root = paths.dataset_dir(own, KEYWORD_SET)
    keywords.generate(teacher.data, root, log)
    shared = _speakers(root) & _speakers(paths.dataset_dir(profile, KEYWORD_SET))
    if shared:
        raise TeacherError(f"{paths.relative(root)}: voice {sorted(shared)[0]} is also a voice "
                           "of the scored set; change DATA_SEED")
    toolkit.preprocess(own, [KEYWORD_SET])
    small = replace(ensemble, datasets=(KEYWORD_SET,), models=(teacher.model,),
                    seeds=(SEED,), seeds_by_model=(), recorded=None, aucurriculum="none",
                    stop="best", settings=replace(ensemble.settings, epochs=teacher.epochs,
                                                  augmentation="none"))
    training.train_ensemble(own, small, log, summarise=False)
    folder = training.run_dir(own, small.runs[0])
    weights = toolkit.transfer_weights(profile, folder, teacher.model_id, drop=HEAD)
    toolkit.write_teacher_config(profile, teacher.model, teacher.model_id, weights)
    best = training.best_record(folder)
    taught = {"model": teacher.model, "words": list(teacher.data.keywords),
              "train_clips": int(len(pd.read_csv(root / "train.csv"))),
              "voices": len(_speakers(root)), "epochs": teacher.epochs,
              "dev_accuracy": float(best["accuracy"]["all"]),
              "best_epoch": int(best["iteration"]),
              "fingerprint": fingerprint, "seconds": time.perf_counter() - started,
              "disk_bytes": paths.folder_bytes(root.parent)
              + paths.folder_bytes(paths.results_dir(own))
              + weights.stat().st_size}
    partial = kept.with_name(kept.name + ".partial")
    partial.write_text(json.dumps({"weights": str(weights), "taught": taught}, indent=2))
    partial.replace(kept)
    return taught
