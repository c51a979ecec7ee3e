"""CIFAR-10 / CIFAR-100 as the python download unpacks them, read without unpickling objects.

``cifar-10-python.tar.gz`` unpacks to ``cifar-10-batches-py/`` (``test_batch``, ``batches.meta``,
``data_batch_1..5``); ``cifar-100-python.tar.gz`` to ``cifar-100-python/`` (``test``, ``meta``,
``train``). Each file is a Python 2 pickle of a dict: ``data`` (uint8 array N x 3072, the red, green
and blue 32x32 planes of each image), ``labels`` (CIFAR-10) or ``fine_labels`` /
``coarse_labels`` (CIFAR-100), ``filenames``; the meta file holds ``label_names`` /
``fine_label_names``. They are read by an unpickler that accepts nothing but numpy arrays, dtypes
and the built-in containers: any other object in the file is refused.

Keys: ``batch`` (default ``test_batch``), ``meta`` (default ``batches.meta``), ``label_key``
(default ``labels``; CIFAR-100: ``fine_labels``), ``names_key`` (default ``label_names``;
CIFAR-100: ``fine_label_names``), ``classnames`` (default: the meta file's names with ``_`` as a
space; ``cifar10`` / ``cifar100``: CLIP's lists, checked against the meta file), ``templates``
(default ``openai_cifar``). The Hugging Face / parquet copies are read by ``format: hf``.

Samples: id = the row index in the batch; image = a 32x32 RGB PIL image; meta = {"label",
"filename"}.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

from mmbench.data.classes import CLASSNAME_SETS, named_classnames, string_list, templates
from mmbench.data.images import DecodedImage
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

SIDE = 32


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    return [("CIFAR batch file", source.path("batch", "test_batch")), ("CIFAR meta file", source.path("meta", "batches.meta"))]


def read(source: DataSource) -> DataSplit:
    batch_path = source.existing("batch", "CIFAR batch file", "test_batch")
    meta_path = source.existing("meta", "CIFAR meta file", "batches.meta")
    batch, meta = load_arrays_pickle(batch_path), load_arrays_pickle(meta_path)
    label_key, names_key = str(source.get("label_key", "labels")), str(source.get("names_key", "label_names"))
    file_names = [_text(n) for n in _field(meta, names_key, meta_path, list)]
    data = _field(batch, "data", batch_path, None)
    labels = [int(v) for v in _field(batch, label_key, batch_path, list)]
    filenames = [_text(n) for n in batch.get("filenames", [])] or [f"{i}.png" for i in range(len(labels))]
    if getattr(data, "ndim", 0) != 2 or data.shape[1] != 3 * SIDE * SIDE or data.shape[0] != len(labels) or str(data.dtype) != "uint8":
        raise DataError(f"{batch_path}: 'data' must be a uint8 array of {len(labels)} x {3 * SIDE * SIDE}, "
                        f"found {getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
    bad = [v for v in labels if not 0 <= v < len(file_names)]
    if bad:
        raise DataError(f"{batch_path}: label {bad[0]} outside 0..{len(file_names) - 1} ({len(file_names)} classes in {meta_path.name})")
    classnames, names_file = _classnames(source, file_names, meta_path)
    from PIL import Image

    images = data.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)
    samples = [Sample(id=str(i), images=(DecodedImage(Image.fromarray(images[i], "RGB")),), meta={"label": labels[i], "filename": filenames[i]})
               for i in range(len(labels))]
    prompt_templates, template_file = templates(source, default="openai_cifar")
    files = [batch_path, meta_path] + [p for p in (names_file, template_file) if p]
    return DataSplit(root=batch_path.parent, samples=samples, classnames=classnames, templates=prompt_templates, files=files)


def _classnames(source: DataSource, file_names: list[str], meta_path: Path) -> tuple[list[str], Path | None]:
    plain = [n.replace("_", " ") for n in file_names]
    value = source.get("classnames")
    if value is None:
        return plain, None
    if isinstance(value, str) and value in CLASSNAME_SETS:
        names, path = named_classnames(value), None
        if names != plain:
            raise DataError(f"{meta_path}: its class names do not match the {value} list ({len(file_names)} names, "
                            f"first {file_names[:3]}); is this the {value} download?")
        return names, path
    names, path = string_list(source, "classnames", value)
    if len(names) != len(file_names):
        raise DataError(f"{path or 'task file'}: {len(names)} class names for {len(file_names)} classes in {meta_path}")
    return names, path


class _ArraysOnly(pickle.Unpickler):
    """Resolves only what array pickles need; anything else (a class, a function) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        import numpy as np

        if (module, name) in (("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")):
            try:
                from numpy._core.multiarray import _reconstruct
            except ImportError:  # numpy < 2
                from numpy.core.multiarray import _reconstruct  # type: ignore[no-redef]
            return _reconstruct
        allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype, ("_codecs", "encode"): _latin1_encode}
        if (module, name) in allowed:
            return allowed[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays and plain containers are accepted")


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """What Python 3 protocol-2 pickles call to rebuild bytes; only text codecs are allowed."""
    if codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8", "ascii"):
        raise pickle.UnpicklingError(f"refusing codec {encoding!r}")
    return text.encode(encoding)


def load_arrays_pickle(path: Path) -> dict[str, Any]:
    """A CIFAR python pickle as a dict with str keys, loaded by :class:`_ArraysOnly`."""
    try:
        loaded = _ArraysOnly(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise DataError(f"{path}: not a CIFAR python batch ({e})") from None
    if not isinstance(loaded, dict):
        raise DataError(f"{path}: expected a pickled dict (CIFAR python batch), found {type(loaded).__name__}")
    return {_text(k): v for k, v in loaded.items()}


def _field(obj: dict[str, Any], key: str, path: Path, kind: type | None) -> Any:
    if key not in obj:
        raise DataError(f"{path}: no {key!r} entry (entries: {sorted(obj)}); set data.label_key / names_key for this file")
    value = obj[key]
    if kind is not None and not isinstance(value, kind):
        raise DataError(f"{path}: {key!r} is a {type(value).__name__}, expected a {kind.__name__}")
    return value


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
