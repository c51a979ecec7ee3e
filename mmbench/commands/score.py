"""``mmbench score captioning|vqa|retrieval|classification``: score existing prediction files,
no model involved (README "Scoring existing predictions").

Output: ``--json`` prints one JSON object, metric name -> unrounded value (0-1 scale, CIDEr
native), on stdout and nothing else there; otherwise a table with values x100. Warnings go to
stderr. Any problem with an input file is one line on stderr naming the file, exit status 2.
Scoring captions or VQA never imports torch.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mmbench.errors import DataError, UserError
from mmbench.jsonio import read_json

_SHOWN_IDS = 5


@dataclass
class Scored:
    """What one scorer hands back for printing."""

    title: str
    metrics: dict[str, float]
    warnings: list[str] = field(default_factory=list)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score", help="score existing prediction files (no model)",
        description="Score prediction files produced by mmbench or any other harness, without a model.",
    )
    tasks = parser.add_subparsers(dest="score_task", metavar="TASK", required=True)
    _captioning_parser(tasks)
    _vqa_parser(tasks)
    _retrieval_parser(tasks)
    _classification_parser(tasks)
    parser.set_defaults(func=run)


def _task_parser(tasks: Any, name: str, help_text: str, scorer: Callable[[argparse.Namespace], Scored]) -> argparse.ArgumentParser:
    p = tasks.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--json", action="store_true", help="print one JSON object of metric -> value (0-1 scale) on stdout")
    p.set_defaults(scorer=scorer)
    return p


def _captioning_parser(tasks: Any) -> None:
    p = _task_parser(tasks, "captioning", "COCO caption metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE when it can run)", score_captioning)
    p.add_argument("--predictions", type=Path, required=True, help='COCO results list: [{"image_id", "caption"}]')
    p.add_argument("--references", type=Path, required=True, help='COCO captions file: {"images": [...], "annotations": [{"image_id", "caption"}]}')


def _vqa_parser(tasks: Any) -> None:
    p = _task_parser(tasks, "vqa", "VQAv2 10-answer accuracy, overall and per answer type", score_vqa)
    p.add_argument("--predictions", type=Path, required=True, help='[{"question_id", "answer"}]')
    p.add_argument("--annotations", type=Path, required=True, help="official VQAv2 annotation file")
    p.add_argument("--questions", type=Path, default=None, help="official VQAv2 question file (checked to cover the same question ids)")
    p.add_argument("--normalization", choices=["standard", "official"], default="standard",
                   help="standard (default, lmms-eval): always normalise; official: the official script's head")
    p.add_argument("--allow-missing", action="store_true", help="score questions without a prediction as wrong (with a warning)")


def _retrieval_parser(tasks: Any) -> None:
    p = _task_parser(tasks, "retrieval", "image-text retrieval recall@1/5/10 in both directions", score_retrieval)
    p.add_argument("--embeddings", type=Path, required=True,
                   help=".npz with image_embeds (N, D), text_embeds (M, D), text_image (M,) (L2-normalised here)")


def _classification_parser(tasks: Any) -> None:
    p = _task_parser(tasks, "classification", "top-1, top-5 and mean per-class recall", score_classification)
    p.add_argument("--logits", type=Path, required=True, help=".npz with logits (N, C) and labels (N,)")


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scored = args.scorer(args)
    notes = scored.warnings + [str(w.message) for w in caught if str(w.message) not in scored.warnings]
    for note in notes:
        print(f"mmbench: warning: {' '.join(note.split())}", file=sys.stderr)
    if args.json:
        print(json.dumps(scored.metrics, allow_nan=False))
    else:
        print(format_table(scored))
    return 0


def format_table(scored: Scored) -> str:
    from tabulate import tabulate

    rows = [(name, f"{100 * value:.2f}") for name, value in scored.metrics.items()]
    return f"{scored.title}\n" + tabulate(rows, headers=["metric", "value x100"], colalign=("left", "right"), disable_numparse=True)


# --------------------------------------------------------------------------- captioning


def score_captioning(args: argparse.Namespace) -> Scored:
    predictions = read_caption_predictions(args.predictions)
    from mmbench.data.coco_captions import read_captions

    references = read_captions(args.references)
    extra = [i for i in predictions if i not in references]
    if extra:
        raise DataError(f"{args.predictions}: {len(extra)} predicted image id(s) are not in {args.references}, first: {_first(extra)}")
    notes = []
    unpredicted = len(references) - len(predictions)
    if unpredicted:
        notes.append(f"{unpredicted} of {len(references)} reference images have no prediction and are not scored (as pycocoevalcap)")
    from mmbench.metrics.captioning import score_captions

    result = score_captions(predictions, {i: references[i] for i in predictions})
    notes += [f"{name} skipped: {reason}" for name, reason in result.unavailable.items()]
    notes += [f"{name}: {note}" for name, note in result.notes.items()]
    return Scored(f"captioning: {len(predictions)} images", dict(result.metrics), notes)


def read_caption_predictions(path: Path) -> dict[str, str]:
    """COCO results list -> image id (as str) -> caption; one line errors naming ``path``."""
    data = read_json(path, "predictions file")
    rows = _non_empty_list(data, path, 'a list of {"image_id", "caption"} objects')
    out: dict[str, str] = {}
    for n, row in enumerate(rows):
        image_id = _id_field(row, "image_id", path, n)
        caption = _field(row, "caption", str, path, n)
        if image_id in out:
            raise DataError(f"{path}: duplicate image_id {image_id} (entry {n}); give one caption per image")
        out[image_id] = caption
    return out


# --------------------------------------------------------------------------- vqa


def score_vqa(args: argparse.Namespace) -> Scored:
    from mmbench.data.vqav2 import read_annotations
    from mmbench.metrics.vqa import vqa_accuracy

    predictions = read_vqa_predictions(args.predictions)
    questions = read_annotations(args.annotations)
    if args.questions is not None:
        check_question_file(args.questions, {q.question_id for q in questions}, args.annotations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # returned in scores.warnings instead
        try:
            scores = vqa_accuracy(predictions, questions, args.normalization, allow_missing=args.allow_missing)
        except UserError as e:
            raise DataError(f"{args.predictions}: {e}") from None
    title = f"vqa: {len(questions)} questions, {args.normalization} normalization"
    return Scored(title, scores.metrics, list(scores.warnings))


def read_vqa_predictions(path: Path) -> dict[str, str]:
    """``[{"question_id", "answer"}]`` -> question id (as str) -> answer."""
    rows = _non_empty_list(read_json(path, "predictions file"), path, 'a list of {"question_id", "answer"} objects')
    out: dict[str, str] = {}
    for n, row in enumerate(rows):
        qid = _id_field(row, "question_id", path, n)
        answer = _field(row, "answer", str, path, n)
        if qid in out:
            raise DataError(f"{path}: duplicate question_id {qid} (entry {n}); give one answer per question")
        out[qid] = answer
    return out


def check_question_file(path: Path, annotated: set[str], annotations_path: Path) -> None:
    """The official question file must cover exactly the annotated question ids."""
    data = read_json(path, "questions file")
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise DataError(f'{path}: expected the official VQAv2 question file: an object with a "questions" list')
    ids = set()
    for n, row in enumerate(data["questions"]):
        ids.add(_id_field(row, "question_id", path, n, "questions"))
    if ids != annotated:
        only_q, only_a = sorted(ids - annotated), sorted(annotated - ids)
        raise DataError(
            f"{path}: question ids differ from {annotations_path}: {len(only_q)} only in the questions "
            f"(first: {_first(only_q)}), {len(only_a)} only in the annotations (first: {_first(only_a)})"
        )


# --------------------------------------------------------------------------- retrieval / classification


def score_retrieval(args: argparse.Namespace) -> Scored:
    from mmbench.metrics.retrieval import recall_at_k

    arrays = read_npz(args.embeddings, ("image_embeds", "text_embeds", "text_image"))
    try:
        images = _l2_normalised(arrays["image_embeds"], "image_embeds")
        texts = _l2_normalised(arrays["text_embeds"], "text_embeds")
        scores = recall_at_k(images, texts, arrays["text_image"])
    except UserError as e:
        raise DataError(f"{args.embeddings}: {e}") from None
    return Scored(f"retrieval: {images.shape[0]} images, {texts.shape[0]} texts", scores.metrics)


def _l2_normalised(x: Any, name: str) -> Any:
    """Rows scaled to unit norm (cosine similarity); rows already unit-norm are left bit-identical."""
    import numpy as np

    if x.ndim != 2 or x.dtype.kind not in "fiu":
        raise UserError(f"{name} must be a 2-D numeric array, got shape {x.shape} and dtype {x.dtype}")
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise UserError(f"{name} row {int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])} contains NaN or inf")
    norms = np.linalg.norm(x.astype(np.float64), axis=1)
    if np.any(norms == 0):
        raise UserError(f"{name} row {int(np.flatnonzero(norms == 0)[0])} is all zeros")
    if np.all(np.abs(norms - 1.0) <= 1e-5):
        return x
    return (x / norms[:, None]).astype(np.float32)


def score_classification(args: argparse.Namespace) -> Scored:
    from mmbench.metrics.classification import classification_metrics

    arrays = read_npz(args.logits, ("logits", "labels"))
    try:
        metrics = classification_metrics(arrays["logits"], arrays["labels"])
    except UserError as e:
        raise DataError(f"{args.logits}: {e}") from None
    n, c = arrays["logits"].shape
    return Scored(f"classification: {n} samples, {c} classes", metrics)


def read_npz(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """Named arrays of an ``.npz`` (never unpickled); one-line errors naming ``path``."""
    import numpy as np

    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: expected an .npz file, found a directory")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a readable .npz file of plain arrays ({' '.join(str(e).split()) or type(e).__name__})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: expected an .npz archive of named arrays ({', '.join(names)}), found a single array")
    with npz:
        missing = [n for n in names if n not in npz.files]
        if missing:
            raise DataError(f"{path}: missing array(s) {', '.join(missing)} (found: {', '.join(npz.files) or 'none'})")
        try:
            return {n: npz[n] for n in names}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
            reason = " ".join(str(e).split()) or type(e).__name__
            raise DataError(f"{path}: not a readable .npz file of plain arrays ({reason})") from None


# --------------------------------------------------------------------------- helpers


def _non_empty_list(data: Any, path: Path, expected: str) -> list[Any]:
    if not isinstance(data, list):
        raise DataError(f"{path}: expected {expected}, found a JSON {type(data).__name__}")
    if not data:
        raise DataError(f"{path}: no predictions: the list is empty")
    return data


def _field(row: Any, key: str, kind: type, path: Path, n: int, where: str = "entry") -> Any:
    label = f"{where}[{n}]" if where != "entry" else f"entry {n}"
    if not isinstance(row, dict):
        raise DataError(f"{path}: {label} is not an object")
    if key not in row:
        raise DataError(f'{path}: {label} lacks "{key}"')
    if not isinstance(row[key], kind):
        raise DataError(f'{path}: {label}: "{key}" must be a {kind.__name__}, got {type(row[key]).__name__}')
    return row[key]


def _id_field(row: Any, key: str, path: Path, n: int, where: str = "entry") -> str:
    label = f"{where}[{n}]" if where != "entry" else f"entry {n}"
    if not isinstance(row, dict):
        raise DataError(f"{path}: {label} is not an object")
    if key not in row:
        raise DataError(f'{path}: {label} lacks "{key}"')
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise DataError(f'{path}: {label}: "{key}" must be an integer or a non-empty string, got {value!r}')
    return str(value)


def _first(ids: list[str]) -> str:
    return ", ".join(ids[:_SHOWN_IDS]) + (f" ... ({len(ids) - _SHOWN_IDS} more)" if len(ids) > _SHOWN_IDS else "")
