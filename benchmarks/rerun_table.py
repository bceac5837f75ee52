"""Which notebooks an edit of each ``lib`` file re-runs, under the runner's own rules.

For every file of ``lib``, a copy of ``lib`` is edited one way at a time and the runner's code
fingerprints (``lib.run.code_fingerprint``) are compared with the unedited copy's:

- ``docstrings``: every docstring of the file reworded;
- ``constant``: a module constant nobody uses added at the end;
- ``key``: a constant added to each class of constants (a record's chapter class);
- ``one function``: one top-level function's code changed (a figure's label, a threshold), for
  each function in turn: the most notebooks any one of them re-runs, and the median;
- ``any``: every notebook one of the file's functions, classes or constants reaches.

A notebook whose code fingerprint changes runs again. Readers of its results run again too:
always under a hand-kept ``READS`` table (the rule before ``lib.run.reads``), only when the
results it writes have changed under the derived one; the columns count the notebooks re-run
by an edit that changes no result, such as those above. Run it from the repository root of
any checkout: ``.venv/bin/python benchmarks/rerun_table.py``.
"""
from __future__ import annotations

import ast
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib import paths, run  # noqa: E402

EDITS = ("docstrings", "constant", "key", "one function")


def _docstrings(tree: ast.Module) -> bool:
    changed = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and ast.get_docstring(node) is not None:
            node.body[0].value.value += " (reworded)"  # type: ignore[attr-defined]
            changed = True
    return changed


def _key(tree: ast.Module) -> bool:
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(isinstance(member, ast.Assign) for member in node.body)]
    for node in classes:
        node.body.append(ast.parse('ADDED_KEY = "added_key"').body[0])
    return bool(classes)


def _functions(tree: ast.Module) -> list[str]:
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def _change_function(tree: ast.Module, name: str) -> None:
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    node.body.insert(1 if ast.get_docstring(node) is not None else 0,
                     ast.parse("_edited = 1").body[0])


class Copy:
    """A copy of ``lib`` the runner's fingerprints are read from."""

    def __init__(self, folder: Path) -> None:
        self.lib = folder / "lib"
        shutil.copytree(paths.LIB, self.lib, ignore=shutil.ignore_patterns("__pycache__"))
        paths.LIB = self.lib
        self.notebooks = run.notebooks()
        self.baseline = self.fingerprints()
        reads = getattr(run, "READS", None)
        self.reads = reads if reads is not None else run.reads(self.notebooks)

    def fingerprints(self) -> dict[str, str]:
        return {notebook.stem: run.code_fingerprint(notebook) for notebook in self.notebooks}

    def rerun(self, file: Path, text: str) -> set[str]:
        """The notebooks an edit re-runs: their code changed, or (hand-kept ``READS``) a
        notebook whose results they read re-ran."""
        original = file.read_text()
        file.write_text(text)
        try:
            now = self.fingerprints()
        finally:
            file.write_text(original)
        changed = {stem for stem, key in now.items() if key != self.baseline[stem]}
        if hasattr(run, "READS"):
            for notebook in self.notebooks:
                if set(self.reads.get(notebook.stem, ())) & changed:
                    changed.add(notebook.stem)
        return changed


def table() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Copy(Path(folder))
        for file in sorted(copy.lib.rglob("*.py")):
            source = file.read_text()
            row: dict = {"file": str(file.relative_to(copy.lib))}
            tree = ast.parse(source)
            row["docstrings"] = len(copy.rerun(file, ast.unparse(tree))) if _docstrings(tree) \
                else None
            row["constant"] = len(copy.rerun(file, source + "\nADDED_CONSTANT = 1\n"))
            tree = ast.parse(source)
            row["key"] = len(copy.rerun(file, ast.unparse(tree))) if _key(tree) else None
            counts, union = [], set()
            for name in _functions(ast.parse(source)):
                tree = ast.parse(source)
                _change_function(tree, name)
                rerun = copy.rerun(file, ast.unparse(tree))
                counts.append(len(rerun))
                union |= rerun
            row["one function"] = (max(counts), statistics.median(counts)) if counts else None
            row["any"] = sorted(union)
            rows.append(row)
    return rows


def main() -> int:
    rows = table()
    print("| lib file | docstrings | constant | key | one function: most (median) "
          "| notebooks any function re-runs |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        function = row["one function"]
        cells = [str(row[edit]) if row[edit] is not None else "-" for edit in EDITS[:3]]
        cells.append(f"{function[0]} ({function[1]:g})" if function else "-")
        cells.append(" ".join(stem.split("_")[0] for stem in row["any"]) or "none")
        print(f"| {row['file']} | " + " | ".join(cells) + " |")
    training = [row["file"] for row in rows if "01_training" in row["any"]]
    print(f"\nfiles any of whose functions re-runs 01_training: {', '.join(training)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
