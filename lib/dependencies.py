"""Which of ``lib``'s definitions a notebook runs: the unit a change re-runs a notebook by.

A notebook depends on the definitions its cells name (``training.train_ensemble``,
``record.Training.CHAPTER``), on those their code names in turn, and so on; not on the rest of
the files they live in. Each definition is fingerprinted by its syntax tree without docstrings
or comments, so a docstring, a comment, a reformatted line, a constant or function nobody calls
yet, or a figure's label in a figure no notebook of the chapter draws changes no fingerprint
but those of the notebooks that use it.

The units of a module are its top-level definitions (functions, classes, assignments), each
constant of a class (``Training.CHAPTER``: records are classes of constants, and a reader of one
key should not re-run when another is added) and the rest of its top-level code (imports and
statements, which run when anything of the module is used). A name the analysis cannot follow
(a module passed as a value, a definition set at run time) counts the whole module, so a
fingerprint can re-run a notebook too often, never too rarely, for code reached by name (a name
a package imports from its modules is followed to the module that defines it). Names
in strings count too: ``"lib.schedulers.OneCycleLR"`` and ``f"lib.models.{model}"`` are what
autrainer imports from its Hydra configs.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lib import paths

#: A unit of a module: ``(module, name)``; the name is a top-level definition, ``Class.NAME``
#: for a class constant, :data:`TOP_LEVEL` for the module's other top-level code, or
#: :data:`WHOLE` for everything in it.
Unit = tuple[str, str]
TOP_LEVEL = ""
WHOLE = "*"
_LIB_NAME = re.compile(r"lib(\.\w+)*")


@dataclass
class Module:
    """One ``lib`` module's units: each one's digest and the dotted names its code uses."""
    name: str
    digests: dict[str, str] = field(default_factory=dict)
    #: Unit -> the dotted names it uses and the imports in force there.
    names: dict[str, tuple[list[list[str]], dict[str, tuple[str, ...]]]] = \
        field(default_factory=dict)
    #: Class name -> its constants (plain assignments in the class body).
    constants: dict[str, set[str]] = field(default_factory=dict)

    def imported(self, unit: str) -> set[Unit]:
        """The top-level code of the ``lib`` modules a unit imports: it runs on import."""
        return {(alias[0], TOP_LEVEL) for alias in self.names[unit][1].values()}

    def uses(self, unit: str) -> set[Unit]:
        """The units of ``lib`` that a unit's code names."""
        chains, aliases = self.names[unit]
        defined = set(self.digests)
        return {used for chain in chains
                if (used := _resolve(chain, aliases, self.name, defined)) is not None}


@lru_cache(maxsize=None)
def _module_file(lib: Path, name: str) -> Path | None:
    folder = lib.joinpath(*name.split(".")[1:])
    if name != "lib" and folder.with_suffix(".py").is_file():
        return folder.with_suffix(".py")
    init = folder / "__init__.py"
    return init if init.is_file() else None


def module_file(name: str) -> Path | None:
    """The source file of ``lib`` module ``name`` (a package's ``__init__.py``), if any."""
    parts = name.split(".")
    if parts[0] != "lib" or not all(part.isidentifier() for part in parts):
        return None
    return _module_file(paths.LIB, name)


def _without_docstrings(node: ast.AST) -> str:
    """The node's syntax tree, docstrings left out: what a change must touch to count."""
    def strip(body: list[ast.stmt]) -> list[ast.stmt]:
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            return body[1:] or [ast.Pass()]
        return body

    copy = ast.parse(ast.unparse(node)).body[0] if not isinstance(node, ast.Module) else node
    for inner in ast.walk(copy):
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner.body = strip(inner.body)
    return ast.dump(copy)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _aliases(statements: list[ast.stmt] | ast.AST) -> dict[str, tuple[str, ...]]:
    """Names bound to ``lib`` by imports: name -> ``(module,)`` or ``(module, definition)``."""
    nodes = statements if isinstance(statements, list) else [statements]
    found: dict[str, tuple[str, ...]] = {}
    for node in (n for s in nodes for n in ast.walk(s)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lib":
                    found[alias.asname or "lib"] = (alias.name if alias.asname else "lib",)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "lib":
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                found[alias.asname or alias.name] = \
                    (dotted,) if module_file(dotted) else (node.module, alias.name)
    return found


def _chains(tree: ast.AST, module: str) -> list[list[str]]:
    """Every dotted name the code uses (``record.Training.CHAPTER`` as its parts), and every
    ``lib`` name written in a string, as a chain starting at ``lib``."""
    chains: list[list[str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Attribute, ast.Name)):
            parts, inner = [], node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                chains.append([inner.id, *reversed(parts)])
                return
            visit(inner)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and _LIB_NAME.fullmatch(node.value.rstrip(".")):
            chains.append(["lib", *node.value.rstrip(".").split(".")[1:]])
            return
        if isinstance(node, ast.JoinedStr) and node.values:
            first, rest = node.values[0], node.values[1:]
            if isinstance(first, ast.Constant) and _LIB_NAME.fullmatch(first.value.rstrip(".")):
                chains.append(["lib", *first.value.rstrip(".").split(".")[1:]])
            elif (isinstance(first, ast.FormattedValue) and isinstance(first.value, ast.Name)
                  and first.value.id == "__name__" and rest and isinstance(rest[0], ast.Constant)):
                name = str(rest[0].value).lstrip(".").split(".")[0]  # f"{__name__}.JobStart"
                if name.isidentifier():
                    chains.append(["lib", *module.split(".")[1:], name])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return chains


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def _defined(node: ast.stmt) -> list[str]:
    """The names a top-level statement defines (empty: it is other top-level code)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, ast.AnnAssign) else []
    names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names if targets and all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets) else []


@lru_cache(maxsize=None)
def _parse(name: str, file: Path, modified: int, size: int) -> Module:
    """A module's units; cached while its file is unchanged."""
    tree = ast.parse(file.read_bytes())
    body = [s for s in tree.body if not _is_main_guard(s)]
    if ast.get_docstring(tree) is not None:
        body = body[1:]
    aliases = _aliases(body)
    module = Module(name)
    definitions: dict[str, list[ast.stmt]] = {}
    top_level: list[ast.stmt] = []
    for statement in body:
        names = _defined(statement)
        for defined in names:
            definitions.setdefault(defined, []).append(statement)
        if not names:
            top_level.append(statement)

    def add(unit: str, nodes: list[ast.stmt]) -> None:
        module.digests[unit] = _digest("\n".join(_without_docstrings(n) for n in nodes))
        module.names[unit] = ([chain for node in nodes for chain in _chains(node, name)],
                              {**aliases, **_aliases(nodes)})

    add(TOP_LEVEL, top_level)
    for defined, nodes in definitions.items():
        add(defined, nodes)
        if len(nodes) == 1 and isinstance(nodes[0], ast.ClassDef):
            module.constants[defined] = set()
            for member in nodes[0].body:
                for constant in _defined(member) if isinstance(member, ast.Assign) else []:
                    module.constants[defined].add(constant)
                    add(f"{defined}.{constant}", [member])
    return module


def load(name: str) -> Module | None:
    """The units of ``lib`` module ``name`` (None: no such module)."""
    file = module_file(name)
    if file is None:
        return None
    stat = file.stat()
    return _parse(name, file, stat.st_mtime_ns, stat.st_size)


def _resolve(chain: list[str], aliases: dict[str, tuple[str, ...]], current: str,
             defined: set[str]) -> Unit | None:
    """The unit a dotted name stands for, or None when it names nothing of ``lib``."""
    head, rest = chain[0], chain[1:]
    if head == "lib" and head not in aliases and head not in defined:  # a name in a string
        return _unit_in("lib", rest)
    if head in aliases:
        target = aliases[head]
        return _unit_in(target[0], [*target[1:], *rest])
    if head in defined:
        return _unit_in(current, chain)
    return None


def _unit_in(module: str, chain: list[str]) -> Unit | None:
    """The unit ``module.<chain>`` names: a submodule's, a definition, a class constant."""
    while chain and module_file(f"{module}.{chain[0]}"):
        module, chain = f"{module}.{chain[0]}", chain[1:]
    if not chain:
        return module, WHOLE  # the module itself, used as a value
    parsed = load(module)
    if parsed is None:
        return None
    name = chain[0]
    if name in parsed.constants and len(chain) > 1 and chain[1] in parsed.constants[name]:
        return module, f"{name}.{chain[1]}"
    if name in parsed.digests:
        return module, name
    imported = parsed.names[TOP_LEVEL][1].get(name)
    if imported is not None and imported[0] != module:  # re-exported: follow it home
        return _unit_in(imported[0], [*imported[1:], *chain[1:]])
    return module, WHOLE  # set at run time: count everything


def closure(uses: set[Unit]) -> set[Unit]:
    """Every unit ``uses`` reaches, with the top-level code of each module on the way and of
    the packages above it (importing ``lib.plots.training`` runs ``lib/plots/__init__.py``)."""
    pending, seen = set(uses), set()
    while pending:
        unit = pending.pop()
        if unit in seen:
            continue
        seen.add(unit)
        module, name = unit
        parsed = load(module)
        if parsed is None:
            continue
        parts = module.split(".")
        pending |= {(".".join(parts[:depth]), TOP_LEVEL) for depth in range(1, len(parts) + 1)}
        names = list(parsed.digests) if name == WHOLE else [name] if name in parsed.digests else []
        for each in names:
            pending.add((module, each))
            pending |= parsed.uses(each) | parsed.imported(each)
    return {unit for unit in seen if unit[1] != WHOLE}


def used_by(source: str) -> set[Unit]:
    """Every unit of ``lib`` that code (a notebook's cells) runs."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    direct = {used for chain in _chains(tree, "__notebook__")
              if (used := _resolve(chain, aliases, "__notebook__", set())) is not None}
    return closure(direct | {(alias[0], TOP_LEVEL) for alias in aliases.values()})


def fingerprint(units: set[Unit]) -> str:
    """One digest of the units' code: it changes when one of them does, and only then."""
    lines = sorted(f"{module}:{name}:{load(module).digests[name]}"  # type: ignore[union-attr]
                   for module, name in units)
    return _digest("\n".join(lines))


def files(units: set[Unit]) -> list[Path]:
    """The source files the units live in."""
    return sorted({file for module, _ in units if (file := module_file(module)) is not None})


def _for_type_hints(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def imports(module: str) -> set[str]:
    """The ``lib`` modules a module imports, at its top or inside a function (a function-local
    import hides an import cycle from Python, not from a reader); imports for type hints only
    (``if TYPE_CHECKING:``) run nothing and do not count."""
    file = module_file(module)
    if file is None:
        return set()
    tree = ast.parse(file.read_bytes())
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if isinstance(value, list) and any(_for_type_hints(item) for item in value):
                setattr(node, name, [item for item in value if not _for_type_hints(item)])
    found = {target[0] for target in _aliases(tree).values()}
    return found - {module, "lib"}
