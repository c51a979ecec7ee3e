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
