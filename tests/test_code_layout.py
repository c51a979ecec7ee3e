"""The package's shape: small modules (no Python file under mmbench/ longer than 400 lines), a top
level that reads as a table of contents, and layers: a module imports only from its own layer or
the layers below it. The layer order is written once, here (the README's "Architecture" section
describes it). Imports under ``if TYPE_CHECKING:`` are left out: they name types for annotations
and never run. ``mmbench`` itself (``__init__``: the public API) and ``__main__`` sit on top."""

from __future__ import annotations

import ast
from pathlib import Path

MAX_LINES = 400
PACKAGE = Path(__file__).resolve().parents[1] / "mmbench"


def line_count(path: Path) -> int:
    """Lines as ``wc -l`` counts them (newline characters), plus a last line without one."""
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_line_count_agrees_with_wc(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\ny = 2\n")
    (tmp_path / "b.py").write_text("x = 1\ny = 2")  # no final newline: still two lines
    (tmp_path / "c.py").write_text("")
    assert [line_count(tmp_path / n) for n in ("a.py", "b.py", "c.py")] == [2, 2, 0]


def test_no_module_exceeds_400_lines() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 100  # the whole package was found, not an empty folder
    too_long = {str(p.relative_to(PACKAGE.parent)): n for p in files if (n := line_count(p)) > MAX_LINES}
    assert not too_long, f"split these modules (at most {MAX_LINES} lines each): {too_long}"


BUILTIN_FAMILIES = ("clip", "blip", "llava")


def test_a_builtin_family_is_its_own_package_plus_one_registry_line() -> None:
    """What README's "Adding a model family" promises: outside ``models/builtin/<family>/`` only the
    registry table (models/spec.py) names the family's package, with one entry."""
    from mmbench.models.spec import BUILTIN_MODELS

    spec = PACKAGE / "models" / "spec.py"
    for family in BUILTIN_FAMILIES:
        own = PACKAGE / "models" / "builtin" / family
        naming = sorted(p for p in PACKAGE.rglob("*.py")
                        if own not in p.parents and f"models.builtin.{family}." in p.read_text(encoding="utf-8"))
        assert naming == [spec], (family, naming)
        entries = [kind for kind, (target, _, _) in BUILTIN_MODELS.items() if target.startswith(f"mmbench.models.builtin.{family}.")]
        assert entries == [family]
        assert BUILTIN_MODELS[family][0].split(":")[0].startswith(f"mmbench.models.builtin.{family}.")


def test_readme_shows_the_builtin_families_registry_lines_as_they_are() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adding a model family to mmbench", 1)[1].split("\n## ", 1)[0]
    spec_source = " ".join((PACKAGE / "models" / "spec.py").read_text(encoding="utf-8").split())
    blocks = [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]
    shown = [block for block in blocks if all(f'"{family}": (' in block for family in BUILTIN_FAMILIES)]
    assert shown, "the section shows the built-in families' BUILTIN_MODELS lines"
    assert " ".join(shown[0].split()) in spec_source  # as they stand in mmbench/models/spec.py


# ---- layers ----------------------------------------------------------------------------------------

#: lowest first; a name is a top-level module (without .py) or a subpackage of mmbench
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "types", "conversation", "registry", "jsonio", "env", "console", "refdata", "bundled"),
    ("metrics", "extraction"),
    ("data",),
    ("measure",),
    ("models",),
    ("tasks", "task_files"),
    ("results", "portable", "tables"),
    ("report",),
    ("engine",),
    ("training", "testing"),
    ("commands", "cli", "__main__", "__init__"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
MAX_TOP_LEVEL_MODULES = 14


def _unit(module: str) -> str:
    """The layer unit of a dotted module name: ``mmbench.engine.runner`` -> ``engine``."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, imported mmbench module) of every import outside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "mmbench":
            if node.module == "mmbench":  # from mmbench import timing / __version__
                found += [(node.lineno, f"mmbench.{a.name}") for a in node.names if a.name != "__version__"]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "mmbench"]
    return found


def test_every_unit_of_the_package_has_a_layer() -> None:
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and not p.name.startswith((".", "_"))))}
    assert not units - set(RANK), f"give these a layer in LAYERS (tests/test_code_layout.py): {sorted(units - set(RANK))}"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        own = _unit(module.removesuffix(".__init__")) if module != "mmbench.__init__" else "__init__"
        for line, imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _unit(imported)
            if target in RANK and RANK[target] > RANK[own]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({own}) imports {imported} ({target})")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_top_level_reads_as_a_table_of_contents() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: a data module importing the engine is reported."""
    tree = ast.parse("from mmbench.engine.runner import evaluate\nif TYPE_CHECKING:\n    from mmbench.report import x\n")
    imports = _runtime_imports(tree)
    assert imports == [(1, "mmbench.engine.runner")]
    assert RANK[_unit(imports[0][1])] > RANK["data"]


def _module_graph() -> dict[str, set[str]]:
    """Module -> the mmbench modules it imports at run time (``from pkg import mod`` names the
    submodule; ``from mmbench import __version__`` is the package's metadata, not an edge)."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "mmbench":
                for alias in node.names:
                    if alias.name == "__version__":
                        continue
                    dotted = f"{node.module}.{alias.name}"
                    targets.add(dotted if dotted in modules else str(node.module))
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name in modules}
        graph[module] = targets - {module}
    return graph


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _a_circle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` (a list of modules, the first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = 2
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_no_import_circles() -> None:
    circle = _a_circle(_module_graph())
    assert not circle, "import circle: " + " -> ".join(circle)


def test_the_circle_check_finds_a_circle() -> None:
    assert _a_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _a_circle({"a": {"b"}, "b": set()}) == []
