"""What re-runs a notebook (lib/dependencies.py): the definitions it uses, not their files; and
lib's modules import each other without a cycle."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lib import dependencies, paths


def _modules() -> list[str]:
    return [".".join(("lib", *f.relative_to(paths.LIB).with_suffix("").parts))
            .removesuffix(".__init__") for f in sorted(paths.LIB.rglob("*.py"))]


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules along it, or None."""
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                return path[path.index(imported):] + [imported]
            if imported not in state and (found := visit(imported, [*path, imported])):
                return found
        state[module] = "done"
        return None

    for module in graph:
        if module not in state and (found := visit(module, [module])):
            return found
    return None


def test_lib_has_no_import_cycle_not_even_inside_functions():
    """A function-local import hides a cycle from Python, not from the layering: every import
    counts but those made only for type hints."""
    graph = {module: dependencies.imports(module) for module in _modules()}
    assert "lib.toolkit" in graph["lib.training"]
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.fixture()
def lib_copy(tmp_path, monkeypatch) -> Path:
    code = tmp_path / "lib"
    shutil.copytree(paths.LIB, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "LIB", code)
    return code


def _fingerprint(source: str) -> str:
    return dependencies.fingerprint(dependencies.used_by(source))


def test_a_reader_of_one_record_key_depends_on_that_key_and_the_code_it_calls(lib_copy):
    reader = ("from lib import record\n"
              "record.load('demo', record.Training.CHAPTER)[record.Training.RUNS]")
    units = dependencies.used_by(reader)
    assert ("lib.record", "Training.RUNS") in units and ("lib.record", "load") in units
    assert ("lib.paths", "record_file") in units  # load's own code
    assert ("lib.record", "Training") not in units and ("lib.record", "Pruning.MODEL") not in units
    before = _fingerprint(reader)
    record = lib_copy / "record.py"
    text = record.read_text()
    record.write_text(text.replace('    RUNS = "runs"\n', '    RUNS = "runs"\n    ADDED = "x"\n')
                      .replace('"""Every chapter\'s key numbers', '"""All key numbers', 1))
    assert _fingerprint(reader) == before  # a key added beside, a docstring reworded
    record.write_text(text.replace('    RUNS = "runs"\n', '    RUNS = "run_count"\n'))
    assert _fingerprint(reader) != before


def test_names_in_strings_are_what_autrainer_imports(lib_copy):
    units = dependencies.used_by("from lib import toolkit\ntoolkit.write_training_config")
    assert ("lib.schedulers", "OneCycleLR") in units  # "lib.schedulers.OneCycleLR"
    assert ("lib.models", "Cnn14") in units  # f"lib.models.{model}": the whole module
    assert ("lib.augmentations", "TelephoneBand") in units


def test_an_unused_function_or_a_comment_changes_nothing_a_used_one_does(lib_copy):
    user = "from lib import significance\nsignificance.spearman"
    before = _fingerprint(user)
    module = lib_copy / "significance.py"
    text = module.read_text()
    module.write_text(text + "\n\ndef unused() -> int:  # nobody calls it\n    return 1\n")
    assert _fingerprint(user) == before
    assert "def spearman(" in text
    module.write_text(text.replace("def spearman(", "def spearman(*_unused, ", 1)
                      if "def spearman(*" not in text else text + "\n")
    assert _fingerprint(user) != before
