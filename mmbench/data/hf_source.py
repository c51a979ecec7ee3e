"""Hugging Face datasets as data sources: ``format: hf`` (hub id or local folder).

Keys:

- ``path``: a hub dataset id (``nlphuji/flickr30k``) or a local folder: ``save_to_disk`` output
  (``Dataset`` or ``DatasetDict``), or data files ``load_dataset`` recognises (parquet, imagefolder).
  A relative folder is looked up under the dataset folder ``dir``, then the working directory.
- ``split`` (default ``test``), ``name`` (dataset configuration), ``revision``, ``data_files``.
- ``columns``: role -> column name, overriding the defaults in ``DEFAULT_COLUMNS`` (first column
  present wins; ``null`` turns a role off). Roles: ``image`` (an Image column), ``image_path``
  (a column, or a list of columns joined with ``/``, naming a file under ``images``), ``id``,
  ``captions`` (a string, a list of strings, or Karpathy ``{"raw"}`` dicts), ``answers`` (a list
  of strings or VQA ``{"answer"}`` dicts), ``question``, ``question_type``, ``answer_type``,
  ``image_id``, ``label`` (class index), ``filename``.
- ``filter``: ``{column: split, value: test}`` keeps rows whose column equals the value (or is in
  a list of values); ``split_column`` is accepted for ``column``. For datasets that keep their
  splits in a column (nlphuji/flickr30k).
- ``images``: folder under ``dir`` holding ``image_path`` files (default ``dir``).
- ``classnames`` / ``templates``: as :mod:`mmbench.data.classes`; ``classnames`` defaults to the
  label column's ClassLabel names (``cifar10`` / ``cifar100``: CLIP's names for the CIFAR copies). With ``classnames: imagenet`` and wnid-named labels (an
  imagefolder of ``n01440764/...`` folders) labels are re-indexed to sorted-wnid order.
  ``class_subset`` (``imagenet_r`` / ``imagenet_a``): labels already index the subset's sorted
  wnids (as CLIP_benchmark's copies do); the class names are the subset's ImageNet names.
- ``images_from``: images joined on the sample id from a second dataset: a mapping with that
  dataset's ``path``, ``revision``, ``split``, ``name``, ``data_files``, ``columns`` (``id`` and
  ``image``) and ``id_regex``. For a copy whose rows are the official split (ids, texts) but whose
  images live in another copy (yerevann/coco-karpathy + lmms-lab/COCO-Caption). Every sample's id
  must be found there.
- ``id_regex``: a regular expression searched in each id cell (as text); its first group is the
  sample id. It maps a copy's ids onto the official ones, e.g. ``_0*(\\d+)\\.jpg$`` turns
  ``COCO_val2014_000000391895.jpg`` into COCO's ``391895`` and ``^s0*(\\d+)$`` a webdataset key
  ``s0000042`` into the row number ``42``.
- ``id_template``: a template in which one ``{}`` stands for the id, applied after ``id_regex``:
  ``"{}.jpg"`` turns lmms-lab/VizWiz-VQA's ``VizWiz_val_00000000`` into the official id, the
  image file name ``VizWiz_val_00000000.jpg``.
- ``id_occurrence: true``: ids numbered by occurrence in row order (``<id>/<n>``, see
  :mod:`mmbench.data.hf_ids`), for copies whose official ids add a position the rows lack.
- ``records``: the name of a data format whose entries the rows are (``gqa``: lmms-lab/GQA's
  ``*_instructions`` rows are the questions file's entries as columns; ``textvqa``: the
  annotation entries with their ``ocr_tokens``). Each row is then decoded by that format's own
  ``sample_from_record`` (the one decoder of its entries: same ids, texts, meta and filtering as
  the official files), its image taken from the row's image column or from ``images_from``;
  ``columns`` other than ``image`` do not apply.
- ``images_from.join_column``: the column of the first copy whose value is looked up among the second
  copy's ids (default: the sample id); lmms-lab/GQA joins questions to images on ``imageId``.

Samples: id from the ``id`` column (default: question_id, cocoid, img_id, filename, id; else the
row number), texts = captions or answers, meta = question / question_type / answer_type / image_id
/ label / filename where present. Image columns are read lazily, one row at a time, from the
memory-mapped Arrow table (see :class:`HFImage`, an image reference that opens itself), so a 200k-question VQAv2 copy with an image per
row costs no memory up front.

Offline (``HF_DATASETS_OFFLINE=1`` or no network) a hub id that is not cached fails at once with
what to download and where to put it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmbench.data.classes import templates
from mmbench.data.fields import check_unique
from mmbench.data.hf_classes import label_classes
from mmbench.data.hf_ids import occurrence_ids, occurrence_ids_wanted
from mmbench.data.hf_images import HFImage, HFImageColumn
from mmbench.data.images import ImageFile, check_relative
from mmbench.data.source import DataSource
from mmbench.data.split import DataSplit
from mmbench.errors import DataError
from mmbench.types import Sample

if TYPE_CHECKING:
    import datasets  # type: ignore[import-untyped]

DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "image": ("image", "img", "jpg", "webp", "png"),  # jpg/webp/png: webdataset copies (CLIP_benchmark, DataComp)
    "image_path": (),
    "id": ("question_id", "cocoid", "img_id", "filename", "id", "__key__"),
    "captions": ("caption", "captions", "sentences"),
    "answers": ("answers",),
    "question": ("question",),
    "question_type": ("question_type",),
    "answer_type": ("answer_type",),
    "image_id": ("image_id",),
    "label": ("label",),
    "filename": ("filename",),
}
META_ROLES = ("question", "question_type", "answer_type", "image_id", "label", "filename")
SAVE_TO_DISK_MARKERS = ("dataset_dict.json", "state.json")


def expected_files(source: DataSource) -> list[tuple[str, Path]]:
    folder = _local_folder(source)
    return [("Hugging Face dataset folder", folder)] if folder is not None else []


def read_columns(source: DataSource, dataset: datasets.Dataset) -> DataSplit:
    """The split of a dataset whose columns hold the roles (image, id, question ...) directly."""
    columns = resolve_columns(source, dataset)
    rows = filtered_rows(source, dataset)
    values = {role: _column_values(dataset, column) for role, column in columns.items()
              if role not in ("image", "image_path")}
    label_map, classnames = label_classes(source, dataset, columns.get("label"))
    if "id" in values:
        values["id"] = _mapped_ids(source, values["id"], rows)
        if occurrence_ids_wanted(source):
            for row, numbered in zip(rows, occurrence_ids([str(values["id"][row]) for row in rows])):
                values["id"][row] = numbered
    elif occurrence_ids_wanted(source):
        raise DataError(f"{source.get('path')}: data.id_occurrence needs an id column (data.columns.id)")
    if source.get("images_from") is not None:
        on = join_column(source, dataset)
        keys = _column_values(dataset, on) if on is not None else values["id"] if "id" in values else list(range(len(dataset)))
        image_of, root = joined_images(source, {row: keys[row] for row in rows})
    else:
        image_of, root = _image_reader(source, dataset, columns)
    samples = [_sample(row, values, image_of, label_map) for row in rows]
    if not samples:
        raise DataError(f"{source.get('path')}: no rows left in split {source.split()!r} after data.filter {source.get('filter')}")
    check_unique([s.id for s in samples], Path(str(source.get("path"))), "sample id")
    prompt_templates = templates(source)[0] if classnames is not None else None
    return DataSplit(root=root, samples=samples, classnames=classnames, templates=prompt_templates, files=metadata_files(source))


# ---- loading ------------------------------------------------------------------------------------------
def load_dataset_split(source: DataSource) -> datasets.Dataset:
    """The split as a ``datasets.Dataset``, from a local folder or the hub (cache only when offline)."""
    import datasets

    path, split = source.get("path"), source.split()
    if not path:
        raise DataError("the task's data section (format 'hf') needs a 'path': a hub dataset id or a local folder")
    folder = _local_folder(source)
    try:
        if folder is not None and any((folder / marker).is_file() for marker in SAVE_TO_DISK_MARKERS):
            return _pick_split(datasets.load_from_disk(str(folder)), split, str(folder))
        target = str(folder) if folder is not None else str(path)
        return datasets.load_dataset(target, name=source.get("name"), split=split, revision=source.get("revision"),
                                     data_files=source.get("data_files"),
                                     cache_dir=_local_cache_dir(folder) if folder is not None else None)
    except DataError:
        raise
    except ValueError as e:
        if "split" in str(e).lower():
            raise DataError(f"{path}: no split {split!r} ({_first_line(e)}); set data.split") from None
        raise DataError(f"{path}: cannot load the Hugging Face dataset ({_first_line(e)})") from None
    except Exception as e:  # noqa: BLE001  (offline, missing, gated, malformed: one line, what to do)
        raise DataError(f"{path}: cannot load the Hugging Face dataset ({_first_line(e)}); {_fetch_hint(source)}") from None


def _fetch_hint(source: DataSource) -> str:
    """What to run on a machine with network: download the repository (at the pinned revision, only
    the files the source reads) into the local-copy folder this source looks up first."""
    from mmbench.env import hub_download_command

    path = str(source.get("path"))
    if source.dir is None:
        return (f"on a machine with network run `python -c \"import datasets; datasets.load_dataset('{path}', "
                f"split='{source.split()}').save_to_disk('{Path(path).name}')\"`, copy the folder here and set data.path to it")
    folder = source.dir / path
    joined = source.get("images_from")
    same_repository = [joined] if isinstance(joined, Mapping) and joined.get("path") == path else []
    patterns = [pattern for spec in (source.data, *same_repository) if isinstance(spec.get("data_files"), Mapping)
                for value in spec["data_files"].values() for pattern in (value if isinstance(value, list) else [value])]
    command = hub_download_command(path, "dataset", source.get("revision"), patterns, Path(path).name)
    return f"on a machine with network run `{command}` and copy that folder to {folder} (a local copy is read instead of the hub)"


def _local_cache_dir(folder: Path) -> str:
    """A datasets cache folder of its own for a local copy, named by its files (path, size, mtime).

    datasets keys the cache of a local folder by its name and configuration only, so two copies
    named alike (or one copy changed in place) would read each other's cached tables."""
    import hashlib

    import datasets

    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return str(Path(datasets.config.HF_DATASETS_CACHE) / "mmbench-local" / digest.hexdigest()[:16])


def _local_folder(source: DataSource) -> Path | None:
    """The local folder ``path`` names, or None for a hub id. An absolute path must exist."""
    text = str(source.get("path") or "")
    if not text:
        return None
    path = Path(text).expanduser()
    if path.is_absolute() or text.startswith("."):
        if not path.is_dir():
            raise source.missing(path, "Hugging Face dataset folder")
        return path
    if source.dir is not None and (source.dir / path).is_dir():
        return source.dir / path
    return path if path.is_dir() else None


def _pick_split(loaded: Any, split: str, where: str) -> Any:
    import datasets

    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise DataError(f"{where}: no split {split!r} (splits: {sorted(loaded)}); set data.split")
        return loaded[split]
    return loaded


def metadata_files(source: DataSource) -> list[Path]:
    """Small metadata files of a save_to_disk folder (their fingerprints change with the content)."""
    folder = _local_folder(source)
    if folder is None:
        return []
    return sorted(p for p in folder.rglob("*.json") if p.name in ("state.json", "dataset_info.json", "dataset_dict.json"))


# ---- columns --------------------------------------------------------------------------------------------
def resolve_columns(source: DataSource, dataset: datasets.Dataset) -> dict[str, Any]:
    """role -> column (or list of columns for ``image_path``): the task's mapping over the defaults."""
    given = source.get("columns") or {}
    if not isinstance(given, Mapping):
        raise DataError(f"data.columns must be a mapping of role -> column, got {given!r}")
    unknown = sorted(set(given) - set(DEFAULT_COLUMNS))
    if unknown:
        raise DataError(f"data.columns: unknown role(s) {unknown}; known: {sorted(DEFAULT_COLUMNS)}")
    present = list(dataset.column_names)
    columns: dict[str, Any] = {}
    for role, defaults in DEFAULT_COLUMNS.items():
        if role in given:
            if given[role] is not None:
                columns[role] = _check_present(given[role], present, role, source)
            continue
        found = next((c for c in defaults if c in present), None)
        if found is not None:
            columns[role] = found
    if "image" not in columns and "image_path" not in columns and source.get("images_from") is None:
        raise DataError(f"{source.get('path')}: no image column (columns: {present}); map one with data.columns.image "
                        f"(an Image column) or data.columns.image_path (file names under data.images)")
    if "captions" in columns and "answers" in columns:
        raise DataError(f"{source.get('path')}: both captions ({columns['captions']}) and answers ({columns['answers']}) "
                        f"columns; set the one not wanted to null in data.columns")
    return columns


def _check_present(column: Any, present: list[str], role: str, source: DataSource) -> Any:
    names = column if isinstance(column, list) else [column]
    for name in names:
        if name not in present:
            raise DataError(f"{source.get('path')}: data.columns.{role} names column {name!r}, which is not in the dataset "
                            f"(columns: {present})")
    return column


def _column_values(dataset: datasets.Dataset, column: str) -> list[Any]:
    return list(dataset.select_columns([column]).to_dict()[column])


def filtered_rows(source: DataSource, dataset: datasets.Dataset) -> list[int]:
    spec = source.get("filter")
    if spec is None:
        return list(range(len(dataset)))
    column = spec.get("column", spec.get("split_column")) if isinstance(spec, Mapping) else None
    if column is None or "value" not in spec:
        raise DataError(f"data.filter must be {{column: NAME, value: VALUE}}, got {spec!r}")
    if column not in dataset.column_names:
        raise DataError(f"{source.get('path')}: data.filter column {column!r} is not in the dataset (columns: {dataset.column_names})")
    wanted = {str(v) for v in (spec["value"] if isinstance(spec["value"], list) else [spec["value"]])}
    return [row for row, value in enumerate(_column_values(dataset, column)) if str(value) in wanted]


# ---- samples ---------------------------------------------------------------------------------------------
def join_column(source: DataSource, dataset: datasets.Dataset) -> str | None:
    """``images_from.join_column``: the first copy's column joined to the second copy's ids (None: the sample id)."""
    spec = source.get("images_from")
    on = spec.get("join_column") if isinstance(spec, Mapping) else None
    if on is not None and on not in dataset.column_names:
        raise DataError(f"{source.get('path')}: data.images_from.join_column {on!r} is not in the dataset "
                        f"(columns: {dataset.column_names})")
    return None if on is None else str(on)


def _sample(row: int, values: dict[str, list[Any]], image_of: Any, label_map: dict[int, int] | None) -> Sample:
    where = f"row {row}"
    texts: tuple[str, ...] = ()
    if "captions" in values:
        texts = _strings(values["captions"][row], ("raw", "caption"), where)
    elif "answers" in values:
        texts = _strings(values["answers"][row], ("answer",), where)
    meta = {role: values[role][row] for role in META_ROLES if role in values}
    if "label" in meta and label_map is not None:
        meta["label"] = label_map[int(meta["label"])]
    sample_id = values["id"][row] if "id" in values else row
    return Sample(id=str(sample_id), images=(image_of(row),), texts=texts, meta=meta)


def _mapped_ids(source: DataSource, ids: list[Any], rows: list[int]) -> list[Any]:
    """The id column through ``id_regex`` (unchanged without one) for the kept ``rows``; a kept
    cell it does not match is an error."""
    pattern = source.get("id_regex")
    if pattern is None:
        return _templated_ids(source, ids, rows)
    try:
        regex = re.compile(str(pattern))
    except re.error as e:
        raise DataError(f"data.id_regex {pattern!r} is not a regular expression ({e})") from None
    if regex.groups < 1:
        raise DataError(f"data.id_regex {pattern!r} needs a group, e.g. (\\d+): its first group is the sample id")
    mapped = list(ids)
    for row in rows:
        found = regex.search(str(ids[row]))
        if found is None or found.group(1) is None:
            raise DataError(f"{source.get('path')}: row {row}: id {ids[row]!r} does not match data.id_regex {pattern!r}")
        mapped[row] = found.group(1)
    return _templated_ids(source, mapped, rows)


def _templated_ids(source: DataSource, ids: list[Any], rows: list[int]) -> list[Any]:
    """The kept rows' ids through ``id_template`` (``"{}.jpg"``); unchanged without one."""
    template = source.get("id_template")
    if template is None:
        return ids
    if not isinstance(template, str) or template.count("{}") != 1:
        raise DataError(f"data.id_template {template!r} must be a string with one {{}} (the id), e.g. '{{}}.jpg'")
    mapped = list(ids)
    for row in rows:
        mapped[row] = template.replace("{}", str(ids[row]))
    return mapped


def _strings(value: Any, keys: tuple[str, ...], where: str) -> tuple[str, ...]:
    """A caption/answer cell as strings: a string, a list of strings, or a list of dicts holding one of ``keys``."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, dict):  # a dict of lists: datasets' form of a list of dicts
        value = next((value[k] for k in keys if k in value), None)
    if not isinstance(value, list):
        raise DataError(f"{where}: expected a string or a list of strings, got {type(value).__name__}")
    found = []
    for item in value:
        if isinstance(item, dict):
            item = next((item[k] for k in keys if k in item), None)
        if not isinstance(item, str):
            raise DataError(f"{where}: expected strings or dicts with {' or '.join(keys)}, got {item!r}")
        found.append(item)
    return tuple(found)


# ---- images ------------------------------------------------------------------------------------------------
def joined_images(source: DataSource, ids: dict[int, Any]) -> tuple[Any, Path]:
    """(row -> the image whose id in ``images_from`` equals the row's key, the root); ``ids``: the
    kept rows' keys (their sample ids, or the ``images_from.join_column`` column)."""
    spec = source.get("images_from")
    if not isinstance(spec, Mapping) or not spec.get("path"):
        raise DataError(f"data.images_from must be a mapping with a path (and revision, split, columns), got {spec!r}")
    other = DataSource({"format": "hf", **{k: v for k, v in spec.items() if k != "join_column"}}, source.dir, source.origin)
    dataset = load_dataset_split(other)
    columns = resolve_columns(other, dataset)
    if "image" not in columns or "id" not in columns:
        raise DataError(f"{spec['path']}: data.images_from needs an image and an id column (columns: {dataset.column_names})")
    other_ids = _mapped_ids(other, _column_values(dataset, columns["id"]), list(range(len(dataset))))
    position = {str(value): row for row, value in enumerate(other_ids)}
    missing = [str(i) for i in ids.values() if str(i) not in position]
    if missing:
        raise DataError(f"{source.get('path')}: {len(missing)} sample key(s) have no image in {spec['path']} "
                        f"(data.images_from), first {missing[0]!r}")
    image_column = HFImageColumn(dataset, columns["image"])
    return (lambda row: HFImage(image_column, position[str(ids[row])])), source.dir or Path(".")


def _image_reader(source: DataSource, dataset: datasets.Dataset, columns: dict[str, Any]) -> tuple[Any, Path]:
    """(row -> Sample.image, the folder relative image paths are under)."""
    import datasets

    column = columns.get("image")
    if column is not None and isinstance(dataset.features[column], datasets.Image):
        image_column = HFImageColumn(dataset, column)
        return (lambda row: HFImage(image_column, row)), source.dir or Path(".")
    parts = columns.get("image_path", column)
    names = [str(name) for name in (parts if isinstance(parts, list) else [parts])]
    cells = [_column_values(dataset, name) for name in names]
    root = source.existing("images", "image folder", ".", folder=True)
    where = f"{source.get('path')}: image path column(s) {names}"
    return (lambda row: ImageFile(check_relative("/".join(str(c[row]) for c in cells if c[row]), f"{where}, row {row}"))), root


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
