"""The package's shape: small modules. No Python file under mmbench/ is longer than 400 lines."""

from __future__ import annotations

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
