"""MM-Vet as ``mm-vet.zip`` unpacks: ``mm-vet/mm-vet.json`` and ``mm-vet/images/``.

Keys: ``questions`` (default ``mm-vet.json``: ``{"v1_<n>": {"imagename", "capability": [...],
"question", "answer"}}``, the official file of github.com/yuweihao/MM-Vet), ``images`` (default
``images``). Samples: id = the file's own key (``v1_0`` ...); image = ``<images>/<imagename>``;
texts = (answer,) with the ground truth's ``<AND>`` / ``<OR>`` markers kept; meta = {"question",
"capability": the capability names joined by "," in file order}.
"""

from __future__ import annotations

from pathlib import Path

from mmbench.data.fields import require
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.jsonio import read_json
from mmbench.types import Sample

DEFAULT_FILE = "mm-vet.json"
DEFAULT_IMAGES = "images"


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("MM-Vet questions file", source.path("questions", DEFAULT_FILE)),
            ("image folder", source.path("images", DEFAULT_IMAGES))]


def read(source: DataSource) -> DataSplit:
    path = source.existing("questions", "MM-Vet questions file", DEFAULT_FILE)
    folder = source.existing("images", "image folder", DEFAULT_IMAGES, folder=True)
    entries = read_json(path, "MM-Vet questions file")
    if not isinstance(entries, dict) or not entries:
        raise DataError(f"{path}: expected a JSON object mapping ids (v1_0 ...) to questions (MM-Vet's mm-vet.json)")
    samples = []
    for key, entry in entries.items():
        where = f"sample {key}"
        capabilities = require(entry, "capability", path, where, list)
        image = check_relative(str(require(entry, "imagename", path, where, str)), f"{path}: {where}")
        samples.append(Sample(id=str(key), images=(ImageFile(image),), texts=(str(require(entry, "answer", path, where, str)),),
                              meta={"question": require(entry, "question", path, where, str),
                                    "capability": ",".join(str(c) for c in capabilities)}))
    return DataSplit(root=folder, samples=samples, files=[path])
