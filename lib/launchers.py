"""Where autrainer's and aucurriculum's sweeps run: Hydra's launcher plugins, and SLURM's jobs.

Both tools are Hydra apps, so the field's own way to spread a sweep is a launcher plugin:
``basic`` runs one run after another in the command's process (Hydra's default), ``joblib``
(hydra-joblib-launcher) runs several at once on this machine, one per GPU on a multi-GPU box,
and ``slurm`` (hydra-submitit-launcher) submits each run as a job of one SLURM array.
:class:`Launcher` is the profile's choice; :meth:`Launcher.hydra` is what the training and
scoring configs get. While a SLURM sweep runs, :class:`SlurmJobs` reads the jobs' states from
``squeue``/``scontrol`` (no accounting database needed) and turns a failed job into one line
naming the run, its job id and its log; :class:`JobStart` is the Hydra callback that leaves
each run's job id in its folder and, under joblib, puts the run on its own GPU.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from hydra.experimental.callback import Callback

from lib import paths

LAUNCHERS = ("basic", "joblib", "slurm")
#: Hydra's name of each launcher plugin.
PLUGINS = {"joblib": "joblib", "slurm": "submitit_slurm"}
#: Written by :class:`JobStart` into each run folder a SLURM job trains.
JOB_RECORD = "slurm_job.json"
#: SLURM's job states, as the runner reports them.
STATES = {"PENDING": "queued", "CONFIGURING": "queued", "REQUEUED": "queued",
          "RUNNING": "running", "COMPLETING": "running", "COMPLETED": "done"}
FAILED = {"TIMEOUT": "exceeded its time limit", "OUT_OF_MEMORY": "ran out of memory",
          "CANCELLED": "was cancelled", "FAILED": "failed", "NODE_FAIL": "lost its node",
          "PREEMPTED": "was preempted", "BOOT_FAIL": "could not boot its node",
          "DEADLINE": "missed its deadline"}


class LauncherError(RuntimeError):
    """SLURM missing or down, or a job that failed; one line naming the problem."""


@dataclass(frozen=True)
class Launcher:
    """The profile's launcher and, for SLURM, what each run's job asks for."""

    kind: str = "basic"
    jobs: int = 0                 # joblib: runs at once; 0 is one per GPU, else one per core
    partition: str = ""           # slurm: "" is the cluster's default partition
    time_minutes: int = 60
    cpus: int = 1
    memory_gb: int = 4
    gpus: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)  # more sbatch options

    @classmethod
    def from_parameters(cls, params: Mapping[str, Any]) -> "Launcher":
        return cls(kind=params.get("LAUNCHER", "basic"), jobs=params.get("LAUNCHER_JOBS", 0),
                   partition=params.get("SLURM_PARTITION", ""),
                   time_minutes=params.get("SLURM_TIME_MINUTES", 60),
                   cpus=params.get("SLURM_CPUS_PER_RUN", 1),
                   memory_gb=params.get("SLURM_MEMORY_GB", 4),
                   gpus=params.get("SLURM_GPUS_PER_RUN", 0),
                   options=dict(params.get("SLURM_OPTIONS", {})))

    def __post_init__(self) -> None:
        if self.kind not in LAUNCHERS:
            raise LauncherError(f"unknown launcher {self.kind!r}; known: {', '.join(LAUNCHERS)}")

    @property
    def warning_seconds(self) -> int:
        """How long before its time limit SLURM signals a job (submitit then ends it with one
        line): Hydra's 2 minutes, or a quarter of a shorter job's limit, which 2 minutes would
        signal as it starts, while it is still importing."""
        return min(120, self.time_minutes * 60 // 4)

    def parallel_jobs(self, device: str) -> int:
        """Runs the joblib launcher runs at once."""
        if self.jobs:
            return self.jobs
        if device.startswith("cuda"):
            import torch

            return max(1, torch.cuda.device_count())
        return max(1, os.cpu_count() or 1)

    def hydra(self, work: Path, name: str, device: str, concurrent: bool = True
              ) -> tuple[list[Any], dict[str, Any]]:
        """The defaults-list entry and the ``hydra`` keys a sweep's config gets: the launcher
        plugin and its settings, and :class:`JobStart` as a callback.

        Without ``concurrent`` the sweep's jobs run one at a time (joblib: in the command's
        own process; SLURM: an array of parallelism 1): aucurriculum's jobs of one sweep share
        one output folder and rewrite files in it.
        """
        callbacks = {"callbacks": {"compendium": {"_target_": f"{__name__}.JobStart",
                                                  "launcher": self.kind}}}
        if self.kind == "basic" or (self.kind == "joblib" and not concurrent):
            return [], callbacks
        defaults = [{"override hydra/launcher": PLUGINS[self.kind]}]
        if self.kind == "joblib":
            return defaults, {**callbacks, "launcher": {"n_jobs": self.parallel_jobs(device)}}
        check_slurm()
        launcher: dict[str, Any] = {
            "submitit_folder": str(jobs_dir(work) / "%j"), "name": name,
            "timeout_min": self.time_minutes, "signal_delay_s": self.warning_seconds,
            "cpus_per_task": self.cpus,
            "mem_gb": self.memory_gb, "tasks_per_node": 1, "nodes": 1,
            # torch would start a thread per core of the node, not per core of the job
            "setup": [f"export OMP_NUM_THREADS={self.cpus} MKL_NUM_THREADS={self.cpus}"]}
        if not concurrent:
            launcher["array_parallelism"] = 1
        if self.gpus:
            launcher["gpus_per_node"] = self.gpus
        if self.partition:
            launcher["partition"] = self.partition
        if self.options:
            launcher["additional_parameters"] = dict(self.options)
        return defaults, {**callbacks, "launcher": launcher}


def jobs_dir(work: Path) -> Path:
    """submitit's folder of the SLURM jobs a toolkit folder submitted (pickles and logs)."""
    return work / "slurm"


def job_name(profile: str, step: str) -> str:
    """The name every SLURM job of one profile's step carries (``squeue --name``)."""
    return f"compendium-{profile}-{step}"


def _slurm(command: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def check_slurm() -> None:
    """One line if SLURM cannot take jobs from here: no ``sbatch``, or its controller down."""
    for tool in ("sbatch", "squeue", "scontrol"):
        if shutil.which(tool) is None:
            raise LauncherError(f"LAUNCHER slurm: `{tool}` is not on the PATH (run on a SLURM "
                                "login node, or start one with tests/services/slurm.sh)")
    try:
        ping = _slurm(["scontrol", "ping"], timeout=20)
    except subprocess.TimeoutExpired:
        raise LauncherError("LAUNCHER slurm: `scontrol ping` got no answer in 20 s "
                            "(the SLURM controller is not reachable)") from None
    if ping.returncode != 0 or "UP" not in ping.stdout:
        answer = (ping.stdout or ping.stderr).strip().splitlines() or ["no answer"]
        raise LauncherError(f"LAUNCHER slurm: the SLURM controller is down ({answer[0]})")


class JobStart(Callback):
    """Hydra callback, run in the process of every job before its run trains.

    Under SLURM it writes the job's id into the run folder (:data:`JOB_RECORD`), so the runner
    can name the run of a failed job. Under joblib on a machine with several GPUs it makes the
    job's GPU the current one (job number modulo GPUs), so concurrent runs do not share one.
    """

    def __init__(self, launcher: str = "basic") -> None:
        self.launcher = launcher

    def on_job_start(self, config: Any, **_: Any) -> None:
        if self.launcher == "slurm":
            job = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
            job_id = f"{job[0]}_{job[1]}" if all(job) else os.environ.get("SLURM_JOB_ID", "")
            folder = Path(str(config.hydra.runtime.output_dir))
            folder.mkdir(parents=True, exist_ok=True)
            (folder / JOB_RECORD).write_text(json.dumps({"job_id": job_id}) + "\n")
        elif self.launcher == "joblib" and str(config.get("device", "")) == "cuda":
            import torch

            if torch.cuda.device_count() > 1:
                torch.cuda.set_device(int(config.hydra.job.num) % torch.cuda.device_count())


#: What submitit logs (to the job's stdout) when it ends a job at SLURM's time-limit signal.
TIMED_OUT = re.compile(r"Job not requeued because: (timed-out.*?)\.?$", re.MULTILINE)


def _failure_in(result: Path, stdout: Path | None = None) -> str:
    """Why a job's run failed, from submitit's result file ("" when it succeeded): submitit
    keeps ("error", traceback) for a crash, Hydra a failed JobReturn for an exception.

    A time limit is read from the job's ``stdout`` first: submitit's handler raises wherever
    the signal lands, so the exception left behind can be another one (an import under way,
    re-raised by transformers as ``ModuleNotFoundError``) that does not say the job timed out.
    """
    if not result.is_file():
        return ""
    import pickle

    try:
        with result.open("rb") as handle:
            tag, value = pickle.load(handle)
    except Exception as err:  # an unreadable result is a failure too
        return f"left an unreadable result ({type(err).__name__})"
    if tag == "error":
        failure = str(value).strip().splitlines()[-1]
    elif getattr(getattr(value, "status", None), "name", "") == "FAILED":
        error = getattr(value, "_return_value", None)
        failure = f"{type(error).__name__}: {error}"
    else:
        return ""
    # submitit ends a job shortly before its limit (SIGUSR2) and, not requeueing, says so
    timed_out = TIMED_OUT.search(stdout.read_text(errors="replace")) \
        if stdout and stdout.is_file() else None
    if timed_out:
        return f"{FAILED['TIMEOUT']} (submitit: Job not requeued because: {timed_out[1]})"
    return (f"{FAILED['TIMEOUT']} (submitit: {failure.split(': ', 1)[-1].rstrip('.')})"
            if "timed-out" in failure else f"failed: {failure}")


@dataclass
class _Job:
    job_id: str
    state: str = "queued"
    reason: str = ""


class SlurmJobs:
    """The SLURM jobs of one sweep, watched while its ``autrainer``/``aucurriculum`` waits.

    Called every few seconds (the toolkit's ``watch``): it reads the states of the jobs named
    ``name`` from ``squeue`` and ``scontrol``, logs a line per change (queued, running, done,
    failed) and raises :class:`LauncherError` on the first failed job, naming its run (from
    :data:`JOB_RECORD` in the run folders under ``runs``), its job id and its log.
    """

    def __init__(self, name: str, work: Path, runs: Path, log: Callable[[str], None] = print,
                 ) -> None:
        self.name, self.work, self.runs, self.log = name, work, runs, log
        self.jobs: dict[str, _Job] = {}
        self.summary = ""
        self.started = time.time()

    def in_queue(self) -> dict[str, str]:
        """SLURM's state of every job of this name still queued or running, by job id
        (``<array>_<task>`` for the tasks of an array)."""
        found = _slurm(["squeue", "-h", "-r", "--name", self.name, "-o", "%i|%T"])
        return dict(line.strip().split("|", 1) for line in found.stdout.splitlines()
                    if "|" in line)

    def _finished_state(self, job_id: str) -> tuple[str, str]:
        """State of a job no longer in the queue: what submitit's result file says, else
        SLURM's while it remembers the job (``MinJobAge``)."""
        result = jobs_dir(self.work) / job_id / f"{job_id}_0_result.pkl"
        if result.is_file():  # submitit's verdict first: it also ends jobs near their limit
            failure = _failure_in(result, self.log_of(job_id).with_suffix(".out"))
            return ("failed", failure) if failure else ("done", "")
        shown = _slurm(["scontrol", "-o", "show", "job", job_id])
        fields = dict(re.findall(r"(\w+)=(\S*)", shown.stdout))
        state = fields.get("JobState", "")
        if state in FAILED:
            return "failed", FAILED[state]
        if state in ("COMPLETED", ""):
            return "failed", "ended without a result"
        return STATES.get(state, "running"), ""

    def run_of(self, job_id: str) -> str:
        """The run folder a job trained (or scored), by the record :class:`JobStart` left."""
        for record in self.runs.glob(f"*/{JOB_RECORD}"):
            if json.loads(record.read_text()).get("job_id") == job_id:
                return record.parent.name
        return "a run that had not started"

    def log_of(self, job_id: str) -> Path:
        return jobs_dir(self.work) / job_id / f"{job_id}_0_log.err"

    def submitted(self) -> list[str]:
        """Jobs submitit has submitted since this sweep started (also those SLURM has already
        forgotten): a folder per job or array task with its pickled submission."""
        folder = jobs_dir(self.work)
        return sorted(d.name for d in folder.iterdir()
                      if (d / f"{d.name}_submitted.pkl").is_file()  # not an array's own folder
                      and d.stat().st_mtime >= self.started - 1) if folder.is_dir() else []

    def __call__(self) -> None:
        queued = self.in_queue()
        known = [*self.jobs, *self.submitted()]
        for job_id in [*queued, *dict.fromkeys(j for j in known if j not in queued)]:
            job = self.jobs.setdefault(job_id, _Job(job_id))
            if job.state in ("done", "failed"):
                continue
            if job_id in queued and queued[job_id] in FAILED:
                job.state, job.reason = "failed", FAILED[queued[job_id]]
            elif job_id in queued:
                job.state = STATES.get(queued[job_id], "running")
            else:
                job.state, job.reason = self._finished_state(job_id)
            if job.state == "failed":
                raise LauncherError(f"SLURM job {job_id} ({self.run_of(job_id)}) {job.reason}; "
                                    f"log: {paths.relative(self.log_of(job_id))}")
        counts = {s: sum(j.state == s for j in self.jobs.values())
                  for s in ("queued", "running", "done")}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        if self.jobs and summary != self.summary:
            self.summary = summary
            self.log(f"    SLURM jobs {self.name}: {summary}")

    def drain(self, seconds: float = 120.0) -> None:
        """Wait until the sweep's finished jobs have left the queue (submitit's result files
        come a moment before SLURM's end of the job)."""
        deadline = time.monotonic() + seconds
        while self.in_queue() and time.monotonic() < deadline:
            time.sleep(1)

    def cancel(self) -> None:
        """Cancel every job of this sweep still queued or running (after an interruption)."""
        waiting = list(self.in_queue())
        if waiting:
            _slurm(["scancel", "--name", self.name])
            self.log(f"    cancelled SLURM jobs {', '.join(waiting)}")
