"""``score_captions``: every COCO caption metric over one set, as pycocoevalcap 1.2 computes them.

Order of work, chosen so the whole run costs little more than METEOR alone: the METEOR Java
process starts first (it needs ~10 s to load), then one PTB tokenizer call covers predictions
and references, then METEOR is fed from a background thread while BLEU, ROUGE-L and CIDEr-D
run in this thread (vectorised, well under METEOR's load time), then SPICE when it can run.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from typing import Mapping, Sequence

from mmbench.errors import UserError

from .bleu import bleu_scores
from .cider import cider_d_scores
from .java import NO_JAVA_REASON, find_java, pycocoevalcap_file
from .meteor import METEOR_JAR, MeteorProcess, MeteorResult
from .ngrams import count_corpus_ngrams
from .ptb import tokenize_captions
from .rouge import rouge_l_scores
from .scores import ALL_METRICS, BLEU_METRICS, CaptionScores
from .spice import spice_java, spice_scores, spice_unavailable_reason

_SHOWN_IDS = 5
_log = logging.getLogger(__name__)


def _first_ids(ids: Sequence[object]) -> str:
    shown = ", ".join(repr(i) for i in list(ids)[:_SHOWN_IDS])
    return shown + (f" (and {len(ids) - _SHOWN_IDS} more)" if len(ids) > _SHOWN_IDS else "")


def validate_inputs(predictions: Mapping[str, str], references: Mapping[str, Sequence[str]]) -> list[str]:
    """Check ids and types; return the image ids in the references' order."""
    if not predictions:
        raise UserError("no predictions to score: the predictions are empty")
    missing = [i for i in references if i not in predictions]
    if missing:
        raise UserError(f"{len(missing)} image(s) in the references have no prediction: {_first_ids(missing)}")
    extra = [i for i in predictions if i not in references]
    if extra:
        raise UserError(f"{len(extra)} predicted image id(s) are not in the references: {_first_ids(extra)}")
    for image_id in references:
        if not isinstance(predictions[image_id], str):
            raise UserError(f"prediction for image {image_id!r} is not a string: {predictions[image_id]!r}")
        refs = references[image_id]
        if isinstance(refs, str) or not isinstance(refs, Sequence) or len(refs) == 0:
            raise UserError(f"references of image {image_id!r} must be a non-empty list of captions")
        if not all(isinstance(r, str) for r in refs):
            raise UserError(f"references of image {image_id!r} contain a caption that is not a string")
    return list(references)


def requested_metrics(metrics: Sequence[str] | None) -> list[str]:
    """Metric names to compute; ``Bleu`` stands for Bleu_1..Bleu_4. None means all."""
    if metrics is None:
        return list(ALL_METRICS)
    names: list[str] = []
    for name in metrics:
        expanded = BLEU_METRICS if name == "Bleu" else (name,)
        for metric in expanded:
            if metric not in ALL_METRICS:
                raise UserError(f"unknown caption metric {name!r}: choose from {', '.join(ALL_METRICS)}")
            if metric not in names:
                names.append(metric)
    return names


class _MeteorJob:
    """METEOR scoring in a background thread; ``result()`` returns its outcome."""

    def __init__(self, process: MeteorProcess, hypotheses: list[str], references: list[list[str]]) -> None:
        self._outcome: MeteorResult | BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(process, hypotheses, references), name="meteor", daemon=True)
        self._thread.start()

    def _run(self, process: MeteorProcess, hypotheses: list[str], references: list[list[str]]) -> None:
        try:
            self._outcome = process.score(hypotheses, references)
        except BaseException as error:  # handed to the caller thread
            self._outcome = error

    def result(self) -> MeteorResult | BaseException:
        self._thread.join()
        assert self._outcome is not None
        return self._outcome


def _start_meteor(java: str | None, unavailable: dict[str, str]) -> MeteorProcess | None:
    if java is None:
        unavailable["METEOR"] = NO_JAVA_REASON
        return None
    if pycocoevalcap_file(*METEOR_JAR) is None:
        unavailable["METEOR"] = "meteor-1.5.jar not found in the installed pycocoevalcap"
        return None
    return MeteorProcess.start(java)


def _split_tokens(tokens: list[str], references: list[Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    hypotheses = tokens[: len(references)]
    grouped, position = [], len(references)
    for refs in references:
        grouped.append(tokens[position : position + len(refs)])
        position += len(refs)
    return hypotheses, grouped


def _record(values: dict[str, float], per_image: dict[str, dict[str, float]], name: str, corpus: float, scores: Sequence[float], image_ids: list[str]) -> None:
    values[name] = float(corpus)
    for image_id, score in zip(image_ids, scores):
        per_image[image_id][name] = float(score)


def score_captions(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    *,
    metrics: Sequence[str] | None = None,
) -> CaptionScores:
    """Score one caption per image against its references (raw text; PTB-tokenised here).

    Every prediction id must be in the references and vice versa (UserError otherwise). Metrics
    that cannot run (no Java, SPICE jars missing) are listed in ``unavailable`` with a warning;
    a UserError is raised only when none of the requested metrics can run.
    """
    image_ids = validate_inputs(predictions, references)
    wanted = requested_metrics(metrics)
    java = find_java()
    unavailable: dict[str, str] = {}
    notes: dict[str, str] = {}
    started = time.perf_counter()
    meteor = _start_meteor(java, unavailable) if "METEOR" in wanted else None
    try:
        raw_refs = [references[i] for i in image_ids]
        captions = [predictions[i] for i in image_ids] + [r for refs in raw_refs for r in refs]
        tokens = tokenize_captions(captions, java)
        _log.debug("tokenised %d captions at %.2f s", len(captions), time.perf_counter() - started)
        notes["tokenizer"] = "PTBTokenizer (stanford-corenlp-3.4.1.jar)" if java else "pure-Python PTB approximation (no Java)"
        hypotheses, tokenized_refs = _split_tokens(tokens, raw_refs)
        meteor_job = _MeteorJob(meteor, hypotheses, tokenized_refs) if meteor is not None else None
        values: dict[str, float] = {}
        per_image: dict[str, dict[str, float]] = {i: {} for i in image_ids}
        _python_metrics(wanted, hypotheses, tokenized_refs, image_ids, values, per_image)
        _log.debug("BLEU/ROUGE-L/CIDEr done at %.2f s", time.perf_counter() - started)
        if "SPICE" in wanted:
            _spice(image_ids, hypotheses, tokenized_refs, values, per_image, unavailable)
        if meteor_job is not None:
            outcome = meteor_job.result()
            _log.debug("METEOR done at %.2f s", time.perf_counter() - started)
            if isinstance(outcome, BaseException):
                unavailable["METEOR"] = f"METEOR failed: {outcome}"
            else:
                _record(values, per_image, "METEOR", outcome.corpus, outcome.per_image, image_ids)
    finally:
        if meteor is not None:
            meteor.close()
    return _finish(wanted, values, per_image, unavailable, notes)


def _python_metrics(wanted: list[str], hypotheses: list[str], refs: list[list[str]], image_ids: list[str], values: dict[str, float], per_image: dict[str, dict[str, float]]) -> None:
    if any(m in wanted for m in (*BLEU_METRICS, "CIDEr")):
        ngrams = count_corpus_ngrams(hypotheses, refs)
        if any(m in wanted for m in BLEU_METRICS):
            corpus, per_order = bleu_scores(ngrams)
            for k, name in enumerate(BLEU_METRICS):
                if name in wanted:
                    _record(values, per_image, name, corpus[k], per_order[k], image_ids)
        if "CIDEr" in wanted:
            _record(values, per_image, "CIDEr", *cider_d_scores(ngrams), image_ids)
    if "ROUGE_L" in wanted:
        _record(values, per_image, "ROUGE_L", *rouge_l_scores(hypotheses, refs), image_ids)


def _spice(image_ids: list[str], hypotheses: list[str], refs: list[list[str]], values: dict[str, float], per_image: dict[str, dict[str, float]], unavailable: dict[str, str]) -> None:
    java = spice_java()
    reason = spice_unavailable_reason(java)
    if reason is not None:
        unavailable["SPICE"] = reason
        return
    assert java is not None
    try:
        _record(values, per_image, "SPICE", *spice_scores(java, image_ids, hypotheses, refs), image_ids)
    except Exception as error:  # SPICE never takes the other metrics down
        unavailable["SPICE"] = f"SPICE failed: {str(error).splitlines()[0] if str(error) else type(error).__name__}"


def _finish(wanted: list[str], values: dict[str, float], per_image: dict[str, dict[str, float]], unavailable: dict[str, str], notes: dict[str, str]) -> CaptionScores:
    if unavailable:
        if not values:
            raise UserError("; ".join(f"{name} {reason}" for name, reason in unavailable.items()))
        listing = "; ".join(f"{name}: {reason}" for name, reason in unavailable.items())
        warnings.warn(f"caption metrics not computed ({listing})", stacklevel=3)
    ordered = {name: values[name] for name in wanted if name in values}
    return CaptionScores(ordered, per_image, unavailable, notes)
