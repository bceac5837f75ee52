"""What a profile's build took: each notebook's time split into compute and fixed cost, the
disk of each results folder, and the test suite's count and time, published for the book.

Reads what the build recorded: the runner's stamps (``results/<profile>/notebooks/.stamps``:
each notebook's last successful run, when it started and its seconds), the command ledger
(``results/<profile>/timing/commands.jsonl``: every ``autrainer``/``aucurriculum`` command,
its start and seconds, nested profiles included) and every run's own timers (autrainer's
``timer.yaml``: its epochs, dev and test passes; the in-training records: the recorder's
passes). Each notebook's minutes split three ways:

* **epochs**: the forward and backward passes inside the runs it trained (autrainer's train,
  dev and test timers and the recorder's passes): what a faster device shortens;
* **toolkit fixed**: the rest of its toolkit commands' wall time: each command's start
  (imports), each run's set-up (dataset, model, summary, saved states, plots), and for
  scoring commands aucurriculum's passes, which no timer separates;
* **lib**: the notebook's own work outside the toolkits (kernel start, lib's forward passes for
  Grad-CAM, calibration and inference, analysis, figures).

``--fresh`` builds the profile from scratch first (``make data notebooks html`` after removing
``data/<profile>`` and ``results/<profile>``), timing the whole command and noting the machine's load before and
after. ``--pytest-log`` adds pytest's closing line of a ``make test`` run. Writes
``results/benchmarks/build_<profile>.json`` and ``book/measured/build_<profile>.md``, and
rewrites the build figures between the ``build_<profile>`` markers of ``book/reproduce.md``.

Run:  .venv/bin/python benchmarks/build_report.py --profile demo [--fresh] [--pytest-log LOG]
      [--wall-seconds N] [--note TEXT]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import publish as publish_module  # noqa: E402
from benchmarks.publish import publish  # noqa: E402
from lib import callbacks, paths, run, toolkit  # noqa: E402
from lib.page import header  # noqa: E402

#: The make steps of a build after the install, timed one by one under ``--fresh``.
BUILD_STEPS = ("data", "notebooks", "html")


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``, each hard-linked file counted once."""
    seen, total = set(), 0
    for file in folder.rglob("*"):
        if file.is_file() and not file.is_symlink():
            stat = file.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def notebook_times(profile: str) -> pd.DataFrame:
    """Each notebook's last successful run: when it started (Unix time) and its seconds."""
    stamps = paths.executed_notebooks_dir(profile) / ".stamps"
    rows = []
    for notebook in run.notebooks():
        stamp = stamps / f"{notebook.stem}.json"
        if stamp.is_file():
            record = json.loads(stamp.read_text())
            rows.append({"step": notebook.name, "seconds": float(record["seconds"]),
                         "started": datetime.fromisoformat(record["started"]).timestamp()})
    return pd.DataFrame(rows)


def commands(profile: str) -> pd.DataFrame:
    """The toolkit commands of the profile's builds (ledger), one row each."""
    ledger = paths.command_ledger(paths.results_dir(profile))
    rows = [json.loads(line) for line in ledger.read_text().splitlines() if line.strip()] \
        if ledger is not None and ledger.is_file() else []
    return pd.DataFrame(rows, columns=["tool", "args", "work", "started", "seconds", "exit",
                                       "notebook"])


def trained_runs(profile: str) -> pd.DataFrame:
    """Every run under the profile's results (nested profiles included): when it finished
    and the seconds of its passes (autrainer's train, dev and test timers plus the in-training
    recorder's)."""
    rows = []
    for timer in paths.results_dir(profile).rglob("timer.yaml"):
        folder = timer.parent
        metrics = folder / toolkit.METRICS_FILE
        if not metrics.is_file() or not (toolkit.epoch_dir(folder, 1)).is_dir():
            continue  # unfinished, or not trained here (an aggregate, a scoring's copy)
        timers = yaml.safe_load(timer.read_text())
        passes = sum(float(timers.get(part, {}).get("total_seconds", 0.0))
                     for part in ("train", "dev", "test"))
        for record in callbacks.records_dir(folder).glob("epoch_*.npz"):
            with np.load(record) as saved:
                passes += float(saved["seconds"]) if "seconds" in saved else 0.0
        rows.append({"run": str(folder.relative_to(paths.results_dir(profile))),
                     "finished": metrics.stat().st_mtime, "seconds": passes})
    return pd.DataFrame(rows, columns=["run", "finished", "seconds"])


def command_of_run(run: pd.Series, ledger: pd.DataFrame, profile: str) -> int | None:
    """The ledger row of the command that trained a run: running when the run finished, in the
    toolkit folder holding it where one does (a point's run moves out of the shared folder)."""
    trains = ledger["args"].map(lambda args: list(args)[:1] != ["inference"])  # trains none
    during = ledger[(ledger["started"] - 1 <= run["finished"])
                    & (run["finished"] <= ledger["started"] + ledger["seconds"] + 1) & trains]
    here = during[[f"{profile}/{run['run']}".startswith(f"{work}/") for work in during["work"]]]
    chosen = here if len(here) else during
    return int(chosen.index[0]) if len(chosen) else None


def split_times(times: pd.DataFrame, ledger: pd.DataFrame, runs: pd.DataFrame,
                profile: str) -> pd.DataFrame:
    """Per notebook: minutes, toolkit commands, runs trained, and the minutes of epochs,
    toolkit fixed cost and lib work (see the module's doc). A command belongs to the notebook
    the ledger names (the runner sets it; ``--jobs`` runs several at once) and that was running
    when it started (the ledger keeps earlier builds' too), else to the one running then; a run
    belongs to its command's notebook."""
    names = ledger["notebook"] if "notebook" in ledger else pd.Series(
        None, index=ledger.index, dtype=object)  # ledgers before the runner named them
    named = names.notna()
    runs = runs.assign(command=[command_of_run(r, ledger, profile) for _, r in runs.iterrows()])
    rows = []
    for notebook in times.itertuples():
        end = notebook.started + notebook.seconds + 1  # stamps start at whole seconds
        in_window = (ledger["started"] >= notebook.started - 1) & (ledger["started"] < end)
        inside = ledger[in_window & (~named | (names == notebook.step.removesuffix(".ipynb")))]
        trained = runs[runs["command"].isin(inside.index)]
        command_seconds = float(inside["seconds"].sum())
        epochs = min(float(trained["seconds"].sum()), command_seconds)
        rows.append({"step": notebook.step, "minutes": notebook.seconds / 60,
                     "commands": len(inside), "runs": len(trained), "epochs": epochs / 60,
                     "toolkit fixed": (command_seconds - epochs) / 60,
                     "lib": (notebook.seconds - command_seconds) / 60})
    table = pd.DataFrame(rows)
    if not table.empty:
        total = table.drop(columns="step").sum()
        table = pd.concat([table, pd.DataFrame([{"step": "all notebooks", **total}])],
                          ignore_index=True)
        table["fixed share"] = (table["toolkit fixed"] / table["minutes"]).map("{:.0%}".format)
    return table.round(2)


def fresh_build(profile: str) -> dict:
    """``make data notebooks html`` from scratch (no ``data/<profile>``, no
    ``results/<profile>``), each step timed, with the machine's load average before and after."""
    shutil.rmtree(paths.results_dir(profile), ignore_errors=True)
    shutil.rmtree(paths.data_dir(profile), ignore_errors=True)
    load_before = os.getloadavg()
    steps = {}
    for step in BUILD_STEPS:
        started = time.time()
        subprocess.run(["make", step, f"PROFILE={profile}"], cwd=paths.ROOT, check=True)
        steps[step] = round(time.time() - started, 1)
    return {"steps_seconds": steps, "wall_seconds": round(sum(steps.values()), 1),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def rewrite_block(file: Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` in ``file``."""
    content = file.read_text()
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in content or end not in content:
        print(f"note: {paths.relative(file)} has no {start} block; not rewritten")
        return
    head, rest = content.split(start, 1)
    indent = head[len(head.rstrip(" ")):]  # the marker's own indentation, kept by the text
    wrapped = textwrap.fill(text.strip(), width=95, initial_indent=indent,
                            subsequent_indent=indent, break_on_hyphens=False)
    file.write_text(f"{head}{start}\n{wrapped}\n{indent}{end}{rest.split(end, 1)[1]}")


def build_sentence(profile: str, report: dict) -> str:
    """The figures the Reproduce chapter states, from the report."""
    wall = report.get("build", {}).get("wall_seconds") or report.get("wall_seconds")
    notebooks = report["split"][-1]
    time_part = (f"`make book` after the install took **{wall / 60:.0f} minutes**, its "
                 f"notebooks {notebooks['minutes']:.0f} notebook-minutes, several run side by "
                 f"side (`JOBS`)" if wall else
                 f"the notebooks took **{notebooks['minutes']:.0f} minutes**")
    load = report.get("build", {}).get("load_before")
    return (f"Measured by `benchmarks/build_report.py` on {report['machine']} at commit "
            f"`{report['commit']}` ({report['date']}): for the `{profile}` profile, "
            f"{time_part}; of these, {notebooks['epochs']:.0f} were epochs and forward passes "
            f"inside the runs, {notebooks['toolkit fixed']:.0f} the toolkits' fixed cost "
            f"(command starts, run set-up, aucurriculum's scoring), "
            f"{notebooks['lib']:.0f} the notebooks' own work; `results/{profile}` holds "
            f"**{report['disk_mb_total'] / 1000:.2f} GB**"
            + (f" (load average {load[0]:.1f} when it started)." if load else "."))


def pytest_summary(log: Path) -> dict:
    """Counts and seconds from pytest's closing line (``N passed, M failed ... in S s``)."""
    line = next((line for line in reversed(log.read_text(errors="replace").splitlines())
                 if re.search(r"\d+ (passed|failed)", line) and " in " in line), "")
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", line)}
    seconds = re.search(r" in ([\d.]+)s", line)
    return {**counts, "seconds": float(seconds.group(1)) if seconds else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--fresh", action="store_true",
                        help="build the profile from scratch first (removes data/<profile> and "
                        "results/<profile>)")
    parser.add_argument("--pytest-log", type=Path, help="output of a `make test` run")
    parser.add_argument("--wall-seconds", type=float, help="wall time of the whole command")
    parser.add_argument("--note", default="", help="how the build was run, in a sentence")
    args = parser.parse_args(argv)
    build = fresh_build(args.profile) if args.fresh else {}
    times = notebook_times(args.profile)
    if times.empty:
        print(f"error: no finished notebook of profile {args.profile} "
              f"({paths.relative(paths.executed_notebooks_dir(args.profile))})", file=sys.stderr)
        return 1
    split = split_times(times, commands(args.profile), trained_runs(args.profile), args.profile)
    root = paths.results_dir(args.profile)
    disk = {folder.name: round(folder_bytes(folder) / 1e6, 1)
            for folder in sorted(root.iterdir()) if folder.is_dir()}
    tests = pytest_summary(args.pytest_log) if args.pytest_log else None
    wall = build.get("wall_seconds") or args.wall_seconds
    span = float((times["started"] + times["seconds"]).max() - times["started"].min())
    extra = pd.DataFrame(
        # below "all notebooks" (their sum) where the runner ran several at once (--jobs)
        [{"step": "notebooks, first start to last end (wall)", "minutes": round(span / 60, 2)}]
        + ([{"step": "whole build after the install (wall)", "minutes": round(wall / 60, 2)}]
           if wall else [])
        + ([{"step": f"{step} (make {step})", "minutes": round(seconds / 60, 2)}
            for step, seconds in build.get("steps_seconds", {}).items()])
        + ([{"step": f"tests: {tests.get('passed', 0)} passed, {tests.get('failed', 0)} "
                     f"failed, {tests.get('skipped', 0)} skipped",
             "minutes": round(tests["seconds"] / 60, 2)}]
           if tests and tests["seconds"] else []))
    table = pd.concat([split, extra], ignore_index=True).fillna("")
    disk_table = pd.DataFrame([{"folder": f"results/{args.profile}/{name}", "MB": mb}
                               for name, mb in disk.items()]
                              + [{"folder": f"results/{args.profile}", "MB": round(sum(disk.values()), 1)}])
    report = {"profile": args.profile, "machine": publish_module.machine(),
              "commit": publish_module.commit(),
              "date": datetime.now().astimezone().strftime("%Y-%m-%d"),
              "split": split.to_dict("records"), "disk_mb": disk,
              "disk_mb_total": round(sum(disk.values()), 1), "tests": tests,
              "build": build, "wall_seconds": wall, "note": args.note}
    output = paths.RESULTS / "benchmarks" / f"build_{args.profile}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table.to_string(index=False), "\n", disk_table.to_string(index=False))
    publish(f"build_{args.profile}", f"The `{args.profile}` build: time and disk", table,
            "build_report.py",
            f"{args.note}\n\nMinutes per notebook: *epochs* are the passes inside the runs it "
            "trained (autrainer's timers and the in-training recorder's), *toolkit fixed* the "
            "rest of its `autrainer`/`aucurriculum` commands (start, run set-up, saved states, "
            "aucurriculum's scoring passes), *lib* its own work outside them; *fixed share* is "
            "toolkit fixed over the notebook's minutes.\n\nDisk, each file once:\n\n"
            + disk_table.rename(columns=header).to_markdown(index=False))
    sentence = build_sentence(args.profile, report)
    rewrite_block(paths.BOOK / "reproduce.md", f"build_{args.profile}", sentence)
    return 0


if __name__ == "__main__":
    sys.exit(main())
