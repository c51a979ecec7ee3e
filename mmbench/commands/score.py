"""``mmbench score captioning|vqa|retrieval|classification``: score existing prediction files,
no model involved (README "Scoring existing predictions"); ``mmbench score --task TASK
--predictions FILE`` scores any task's predictions against its own data
(:mod:`mmbench.commands.score_task`).

Output: ``--json`` prints one JSON object, metric name -> unrounded value (0-1 scale, CIDEr
native), on stdout and nothing else there; otherwise a table with values x100. Warnings go to
stderr. Any problem with an input file is one line on stderr naming the file, exit status 2.
Scoring captions or VQA never imports torch. The files are read by the readers in
:mod:`mmbench.data` that ``mmbench run`` uses for the same formats (:mod:`mmbench.data.predictions`,
:mod:`mmbench.data.coco_captions`, :mod:`mmbench.data.vqav2`, :mod:`mmbench.data.npz`).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

from mmbench.commands.score_task import Scored
from mmbench.errors import DataError, UserError, first_ids


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score", help="score existing prediction files (no model)",
        description="Score prediction files produced by mmbench or any other harness, without a model.",
    )
    from mmbench.commands.score_task import add_options

    add_options(parser)  # score --task TASK --predictions FILE: any task, scored as `run` scores it
    tasks = parser.add_subparsers(dest="score_task", metavar="TASK", required=False)
    _captioning_parser(tasks)
    _vqa_parser(tasks)
    _retrieval_parser(tasks)
    _classification_parser(tasks)
    parser.set_defaults(func=run, score_parser=parser)


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
    if getattr(args, "score_task", None) is None:
        if args.task is None:  # a usage error, as argparse reports one (exit status 2)
            args.score_parser.error("name a scorer (captioning, vqa, retrieval, classification) or --task TASK "
                                    "--predictions FILE")
        from mmbench.commands.score_task import score_task

        args.scorer, args.json = score_task, args.task_json
    elif args.task is not None:
        raise UserError(f"mmbench score: --task scores a task's own data; it cannot be combined with the {args.score_task} scorer")
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


# --------------------------------------------------------------------------- scorers


def score_captioning(args: argparse.Namespace) -> Scored:
    from mmbench.data.coco_captions import read_captions
    from mmbench.data.predictions import read_caption_predictions
    from mmbench.metrics.captioning import score_captions

    predictions = read_caption_predictions(args.predictions)
    references = read_captions(args.references)
    extra = [i for i in predictions if i not in references]
    if extra:
        raise DataError(f"{args.predictions}: {len(extra)} predicted image id(s) are not in {args.references}, first: {first_ids(extra)}")
    notes = []
    unpredicted = len(references) - len(predictions)
    if unpredicted:
        notes.append(f"{unpredicted} of {len(references)} reference images have no prediction and are not scored (as pycocoevalcap)")
    result = score_captions(predictions, {i: references[i] for i in predictions})
    notes += [f"{name} skipped: {reason}" for name, reason in result.unavailable.items()]
    notes += [f"{name}: {note}" for name, note in result.notes.items()]
    return Scored(f"captioning: {len(predictions)} images", dict(result.metrics), notes)


def score_vqa(args: argparse.Namespace) -> Scored:
    from mmbench.data.predictions import read_vqa_predictions
    from mmbench.data.vqav2 import check_question_ids, read_annotations
    from mmbench.metrics.vqa import vqa_accuracy

    predictions = read_vqa_predictions(args.predictions)
    questions = read_annotations(args.annotations)
    if args.questions is not None:
        check_question_ids(args.questions, {q.question_id for q in questions}, args.annotations)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # returned in scores.warnings instead
        try:
            scores = vqa_accuracy(predictions, questions, args.normalization, allow_missing=args.allow_missing)
        except UserError as e:
            raise DataError(f"{args.predictions}: {e}") from None
    title = f"vqa: {len(questions)} questions, {args.normalization} normalization"
    return Scored(title, scores.metrics, list(scores.warnings))


def score_retrieval(args: argparse.Namespace) -> Scored:
    from mmbench.data.npz import RETRIEVAL_EMBEDDINGS, read_npz
    from mmbench.metrics.arrays import l2_normalised
    from mmbench.metrics.retrieval import recall_at_k

    arrays = read_npz(args.embeddings, RETRIEVAL_EMBEDDINGS)
    try:
        images = l2_normalised(arrays["image_embeds"], "image_embeds")
        texts = l2_normalised(arrays["text_embeds"], "text_embeds")
        scores = recall_at_k(images, texts, arrays["text_image"])
    except UserError as e:
        raise DataError(f"{args.embeddings}: {e}") from None
    return Scored(f"retrieval: {images.shape[0]} images, {texts.shape[0]} texts", scores.metrics)


def score_classification(args: argparse.Namespace) -> Scored:
    from mmbench.data.npz import CLASSIFICATION_LOGITS, read_npz
    from mmbench.metrics.classification import classification_metrics

    arrays = read_npz(args.logits, CLASSIFICATION_LOGITS)
    try:
        metrics = classification_metrics(arrays["logits"], arrays["labels"])
    except UserError as e:
        raise DataError(f"{args.logits}: {e}") from None
    n, c = arrays["logits"].shape
    return Scored(f"classification: {n} samples, {c} classes", metrics)
