"""What ``mmbench data check`` verifies: files present, sample count, checksums, images present/decodable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from mmbench.data.completeness import Coverage, expected_count
from mmbench.data.fingerprint import file_sha256
from mmbench.data.formats import expected_files, load_split
from mmbench.data.images import ImageFile, image_path, open_image
from mmbench.errors import DataError

MAX_LISTED = 3


@dataclass(frozen=True)
class CheckReport:
    """``problems`` empty means the data is in order; ``hint`` says how to get missing files."""

    summary: str
    problems: list[str]
    hint: str | None = None


def check_split(data: Mapping[str, Any], data_dir: Path | None, decode: bool = False, task: str = "data") -> CheckReport:
    """Check a task's data; ``task`` names it in the sample-count line (the same line ``run`` warns with)."""
    source, files = expected_files(data, data_dir)
    where = f"dataset folder {source.dir} ({source.origin})"
    missing = [f"{what} missing: {path}" for what, path in files if not path.exists()]
    if missing:
        return CheckReport(where, missing, f"to get it: {source.how_to_get()}")
    try:
        split = load_split(data, data_dir)
    except DataError as e:
        return CheckReport(where, [str(e)])
    count_warning = Coverage(task, len(split.samples), expected_count(data)).count_warning()
    problems = ([count_warning] if count_warning else []) + _checksum_problems(data, source.dir)
    problems += _image_problems(split, decode)
    return CheckReport(f"{len(split.samples)} samples, image folder {split.root}", problems)


def _checksum_problems(data: Mapping[str, Any], folder: Path | None) -> list[str]:
    problems = []
    for name, expected in dict(data.get("checksums") or {}).items():
        path = Path(name) if Path(name).is_absolute() or folder is None else folder / name
        if not path.is_file():
            problems.append(f"checksummed file missing: {path}")
        elif file_sha256(path) != str(expected).lower():
            problems.append(f"checksum mismatch: {path} (sha256 {file_sha256(path)[:12]}..., expected {str(expected)[:12]}...)")
    return problems


def _image_problems(split: Any, decode: bool) -> list[str]:
    bad: list[str] = []
    seen: set[ImageFile] = set()
    for image in (image for sample in split.samples for image in sample.images):
        if not isinstance(image, ImageFile) or image in seen:  # images in memory cannot go missing
            continue
        seen.add(image)
        try:
            if decode:
                open_image(image, split.root)
            elif not image_path(image.path, split.root).is_file():
                raise DataError(f"image not found: {image_path(image.path, split.root)}")
        except DataError as e:
            bad.append(str(e))
    listed = bad[:MAX_LISTED] + ([f"... and {len(bad) - MAX_LISTED} more image problems"] if len(bad) > MAX_LISTED else [])
    return listed
