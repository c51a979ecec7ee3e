"""Where a task's data lives: the data root, the dataset folder, and files a reader needs.

Data root, first found wins: ``--data-dir`` (``data_dir`` argument), ``$MMBENCH_DATA``,
``~/.cache/mmbench/data``. A task's ``data.dir`` is a folder under that root, an absolute path
(``~`` expanded), or ``bundled:NAME`` for a dataset mmbench generates itself (``bundled:shapes``).
``data.downloads`` maps a file or folder (relative to ``dir``) to its official download location,
named in the error when it is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from mmbench.errors import DataError
from mmbench.registry import Registry

DATA_ENV = "MMBENCH_DATA"
DEFAULT_DATA_ROOT = Path("~/.cache/mmbench/data")
BUNDLED_PREFIX = "bundled:"

#: ``bundled:NAME`` -> a zero-argument function that makes sure the dataset exists and returns its folder.
bundled_datasets: Registry[Callable[[], Path]] = Registry("bundled dataset", builtins={
    "shapes": ("mmbench.data.shapes:test_suite_dir", "synthetic shapes suite: test + held-out splits"),
    "shapes-train": ("mmbench.data.shapes:train_suite_dir", "synthetic shapes suite: training split"),
    "shapes-bench": ("mmbench.data.shapes_bench:ensure_bench",
                     "shapes counterparts of MMBench, MMMU, POPE and ChartQA, in their own formats"),
    "shapes-bench-mmmu": ("mmbench.data.shapes_bench:ensure_bench_mmmu",
                          "the MMMU-layout folder of shapes-bench (two-image questions)"),
})


def resolve_data_root(data_dir: Path | str | None) -> tuple[Path, str]:
    """(data root, how it was chosen) following the order in the module docstring."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), "--data-dir"
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser(), f"${DATA_ENV}"
    return DEFAULT_DATA_ROOT.expanduser(), f"the default; change it with --data-dir or ${DATA_ENV}"


@dataclass(frozen=True)
class DataSource:
    """A task's ``data`` mapping with its dataset folder resolved.

    ``dir`` is None when the mapping names no folder (e.g. a hub dataset). ``origin`` says how the
    folder was chosen, for error messages.
    """

    data: Mapping[str, Any]
    dir: Path | None
    origin: str

    @property
    def format(self) -> str:
        return str(self.data.get("format", ""))

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def split(self, default: str = "test") -> str:
        return str(self.data.get("split", default))

    def how_to_get(self) -> str:
        hint = self.data.get("how_to_get")
        return str(hint) if hint else "see the task file's data section"

    def require_dir(self) -> Path:
        if self.dir is None:
            raise DataError(f"the task's data section (format {self.format!r}) names no 'dir'; add one")
        return self.dir

    def path(self, key: str, default: str | None = None) -> Path:
        """The path named by ``data[key]`` (or ``default``) inside the dataset folder; not checked."""
        name = self.data.get(key, default)
        if name is None:
            raise DataError(f"the task's data section (format {self.format!r}) needs a {key!r} entry")
        path = Path(str(name)).expanduser()
        return path if path.is_absolute() else self.require_dir() / path

    def download_location(self, path: Path) -> str | None:
        """The official download location of ``path`` (from ``data.downloads``), if the task file names one."""
        downloads = self.data.get("downloads") or {}
        if self.dir is not None and path.is_relative_to(self.dir):
            key = path.relative_to(self.dir).as_posix()
            return str(downloads[key]) if key in downloads else None
        return None

    def missing(self, path: Path, what: str) -> DataError:
        """The error for a missing file: what, where it was looked for, where to download it."""
        url = self.download_location(path)
        hint = f"official download: {url}; {self.how_to_get()}" if url else f"to get it: {self.how_to_get()}"
        return DataError(f"{what} not found: {path} ({self.origin}); {hint}")

    def existing(self, key: str, what: str, default: str | None = None, *, folder: bool = False) -> Path:
        """Like :meth:`path`, but the file (or folder) must exist."""
        path = self.path(key, default)
        if not (path.is_dir() if folder else path.is_file()):
            raise self.missing(path, what)
        return path


def resolve_source(data: Mapping[str, Any], data_dir: Path | str | None) -> DataSource:
    """Resolve ``data['dir']`` to a folder; bundled datasets are generated on first use."""
    if not isinstance(data, Mapping):
        raise DataError(f"a task's data section must be a mapping, got {type(data).__name__}")
    dir_value = data.get("dir")
    if dir_value is None:
        return DataSource(data, None, "no dir in the task file")
    text = str(dir_value)
    if text.startswith(BUNDLED_PREFIX):
        name = text[len(BUNDLED_PREFIX):]
        return DataSource(data, bundled_datasets.get(name)(), f"bundled dataset {name!r}")
    path = Path(text).expanduser()
    if path.is_absolute():
        return DataSource(data, path, "the task file's absolute data.dir")
    root, how = resolve_data_root(data_dir)
    return DataSource(data, root / path, f"data root {root} from {how}")
