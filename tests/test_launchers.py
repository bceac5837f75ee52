"""Hydra launchers for the training and scoring sweeps, and a real single-node SLURM.

The SLURM tests start the cluster with ``tests/services/slurm.sh`` (apt-get install of Debian's
slurm-wlm and munge when root). Where the script cannot start it they skip with its reason and
how to get it, unless ``CI`` is set: then they fail (``tests/services``' rule), so CI never
skips them; ``pytest -m "not slurm"`` leaves them out.
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import shutil

import pytest
import yaml
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from lib import disk, launchers, paths, profiles, scoring, toolkit, training
from lib.launchers import Launcher, LauncherError
from services import slurm_partition


def test_an_unknown_launcher_is_one_line():
    with pytest.raises(profiles.ProfileError, match=r"LAUNCHER allows basic, joblib, slurm; "
                                                    r"got 'dask'"):
        profiles.check("notebooks/01_training.ipynb", LAUNCHER="dask")
    with pytest.raises(LauncherError, match="unknown launcher 'dask'"):
        Launcher("dask")
    with pytest.raises(profiles.ProfileError, match="not an sbatch long option"):
        profiles.check("p", SLURM_OPTIONS={"--account": "x"})


def test_training_config_names_the_launcher_plugin(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    work = toolkit.write_training_config("smoke", ["OfflineKeywords"], {"Cnn10": [1, 2]},
                                         toolkit.Settings(2, 8, 0.001, device="cpu"),
                                         launcher=Launcher("joblib", 2))
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())
    assert config["defaults"][-1] == {"override hydra/launcher": "joblib"}
    assert config["hydra"]["launcher"] == {"n_jobs": 2}
    assert config["hydra"]["callbacks"]["compendium"] == {
        "_target_": "lib.launchers.JobStart", "launcher": "joblib"}
    basic = toolkit.write_training_config("smoke", ["OfflineKeywords"], {"Cnn10": [1]},
                                          toolkit.Settings(2, 8, 0.001, device="cpu"))
    assert yaml.safe_load((basic / "conf" / "train.yaml").read_text())["defaults"] == [
        "_autrainer_", "_self_"]


def test_slurm_without_sbatch_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LauncherError, match=r"^LAUNCHER slurm: `sbatch` is not on the PATH"):
        Launcher("slurm").hydra(tmp_path, "job", "cpu")


def test_job_start_leaves_the_job_id_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "41")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    config = OmegaConf.create({"device": "cpu", "hydra": {"runtime": {"output_dir": str(
        tmp_path / "run")}, "job": {"num": 3}}})
    launchers.JobStart("slurm").on_job_start(config)
    assert yaml.safe_load((tmp_path / "run" / launchers.JOB_RECORD).read_text()) == {
        "job_id": "41_3"}
    jobs = launchers.SlurmJobs("job", tmp_path, tmp_path)
    assert jobs.run_of("41_3") == "run" and jobs.run_of("41_4") == "a run that had not started"
    launchers.JobStart("basic").on_job_start(
        OmegaConf.create({**OmegaConf.to_container(config), "hydra": {"runtime": {
            "output_dir": str(tmp_path / "other")}, "job": {"num": 0}}}))
    assert not (tmp_path / "other").exists()


def test_a_failed_job_result_names_its_error(tmp_path):
    result = tmp_path / "result.pkl"
    result.write_bytes(pickle.dumps(("error", "Traceback (most recent call last):\n"
                                              "ValueError: bad seed")))
    assert launchers._failure_in(result) == "failed: ValueError: bad seed"
    result.write_bytes(pickle.dumps(("error", "UncompletedJobError: Job not requeued because: "
                                              "timed-out too many times.")))
    assert launchers._failure_in(result).startswith("exceeded its time limit (submitit: ")
    result.write_bytes(pickle.dumps(("success", None)))
    assert launchers._failure_in(result) == ""
    result.write_bytes(b"not a pickle")
    assert launchers._failure_in(result).startswith("left an unreadable result")


def test_a_time_limit_is_told_by_submitits_log_whatever_the_exception_it_left(tmp_path):
    # SLURM's signal landed in an import: transformers re-raised submitit's exception as its own
    failed = JobReturn(status=JobStatus.FAILED, _return_value=ModuleNotFoundError(
        "Could not import module 'ASTModel'. Are this object's requirements defined correctly?"))
    result, stdout = tmp_path / "result.pkl", tmp_path / "log.out"
    result.write_bytes(pickle.dumps(("success", failed)))
    assert launchers._failure_in(result, stdout).startswith("failed: ModuleNotFoundError: ")
    stdout.write_text("submitit WARNING - Caught signal SIGUSR2 on vm: this job is timed-out.\n"
                      "submitit INFO - Job not requeued because: timed-out too many times.\n")
    assert launchers._failure_in(result, stdout) == (
        "exceeded its time limit (submitit: Job not requeued because: timed-out too many times)")


# --- A real single-node SLURM --------------------------------------------------------------

@pytest.fixture(scope="module")
def slurm_cluster() -> str:
    """The cluster tests/services/slurm.sh starts on this machine; its partition (skipped where
    it cannot be had, failed instead under CI)."""
    return slurm_partition()


def test_slurm_sweep_gives_the_basic_launchers_orderings(smoke_notebooks, slurm_cluster,
                                                         tmp_path, monkeypatch, capsys):
    """Each run one SLURM job with as many cores as the basic launcher's process uses (torch
    threads follow the job's cores), scoring through SLURM too: the orderings are
    byte-identical to the basic launcher's, and a finished run is not submitted again (the
    runs of one's own data, the prompts: a user's profile goes through the launchers as the
    paper's does)."""
    basic = paths.results_dir("smoke")
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    smoke = profiles.load("smoke")
    ensemble = dataclasses.replace(
        training.Ensemble.from_parameters(smoke), datasets=("AsteriskPrompts",),
        launcher=Launcher("slurm", partition=slurm_cluster, time_minutes=10,
                          cpus=os.cpu_count(), memory_gb=2))
    kept = ensemble.runs[0]
    shutil.copytree(basic / "autrainer" / "results" / "experiments" / "training" / kept.name,
                    toolkit.runs_dir("smoke") / kept.name)
    training.train_ensemble("smoke", ensemble)
    scoring.score_ensemble("smoke", ensemble, scoring.Scoring.from_parameters(smoke))
    out = capsys.readouterr().out
    assert f"1 of {len(ensemble.runs)} runs already trained" in out
    assert "SLURM jobs compendium-smoke-train:" in out and "running" in out
    assert "SLURM jobs compendium-smoke-score:" in out
    trained = [run for run in ensemble.runs if run != kept]
    records = [yaml.safe_load((training.run_dir("smoke", run) / launchers.JOB_RECORD)
                              .read_text())["job_id"] for run in trained]
    assert len(set(records)) == len(trained)
    assert not (training.run_dir("smoke", kept) / launchers.JOB_RECORD).exists()
    for dataset in ensemble.datasets:
        ours = paths.ordering_file("smoke", dataset).read_bytes()
        assert ours == (basic / "difficulty" / f"{dataset}_ordering.csv").read_bytes(), dataset
    training.train_ensemble("smoke", ensemble)
    assert f"{len(ensemble.runs)} of {len(ensemble.runs)} runs already trained" in \
        capsys.readouterr().out


def test_a_job_over_its_time_limit_is_one_line_and_leaves_no_finished_run(
        smoke_notebooks, slurm_cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    # 2000 epochs only make the job outlive its limit; run to the end they would need about
    # 120 GB, which the disk check before training (lib/disk.py) rightly refuses
    monkeypatch.setattr(disk, "check_free_disk", lambda profile, ensemble: None)
    smoke = profiles.load("smoke")
    base = training.Ensemble.from_parameters(smoke)
    ensemble = dataclasses.replace(
        base, datasets=("OfflineKeywords",), seeds=(1,),
        settings=dataclasses.replace(base.settings, epochs=2000),
        launcher=Launcher("slurm", partition=slurm_cluster, time_minutes=1, cpus=1, memory_gb=2))
    (run,) = ensemble.runs
    with pytest.raises(LauncherError) as err:
        training.train_ensemble("smoke", ensemble)
    message = str(err.value)
    assert "\n" not in message
    # submitit ends it at SLURM's warning; should SLURM check late, it ends it at the limit itself
    assert f"({run.name}) exceeded its time limit" in message and "; log: " in message
    log = message.rsplit("log: ", 1)[1]
    assert (paths.ROOT / log).is_file() or os.path.isfile(log)
    assert not training.is_complete("smoke", run)
    assert not launchers.SlurmJobs(launchers.job_name("smoke", "train"), tmp_path,
                                   tmp_path).in_queue()


def test_a_controller_that_is_down_is_one_line(slurm_cluster, tmp_path, monkeypatch):
    conf = tmp_path / "slurm.conf"
    conf.write_text(open("/etc/slurm/slurm.conf").read().replace(
        "SlurmctldHost=", "SlurmctldPort=9\nSlurmctldHost=", 1))
    monkeypatch.setenv("SLURM_CONF", str(conf))
    with pytest.raises(LauncherError, match=r"^LAUNCHER slurm: the SLURM controller is down"):
        launchers.check_slurm()


def test_the_runner_takes_a_launcher_from_the_command_line(capsys):
    from lib import run

    assert run.main(["--profile", "smoke", "--only", "none", "-p", "LAUNCHER", "dask"]) == 1
    assert ("error: command line: parameter LAUNCHER allows basic, joblib, slurm; got 'dask'"
            in capsys.readouterr().err)
