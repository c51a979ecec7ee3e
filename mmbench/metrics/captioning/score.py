"""``score_captions``: every COCO caption metric over one set, as pycocoevalcap 1.2 computes them.

Order of work, chosen so the whole run costs little more than METEOR alone: the METEOR Java
process starts first (it needs ~10 s to load), then one PTB tokenizer call covers predictions
and references, then METEOR is fed from a background thread while BLEU, ROUGE-L and CIDEr-D
run in this thread (vectorised, well under METEOR's load time), then SPICE when it can run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Mapping, Sequence

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
FALLBACK_TOKENIZER_NOTE = "pure-Python PTB approximation (no Java): may differ from pycocoevalcap on unusual text"
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
        arguments = (process, hypotheses, references)
        self._thread = threading.Thread(target=self._run, args=arguments, name="meteor", daemon=True)
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


_prestarted: MeteorProcess | None = None
_prestart_lock = threading.Lock()


def prestart_meteor() -> None:
    """Start METEOR's Java process now, so that the next :func:`score_captions` finds it loaded.

    METEOR needs ~10 s to load its paraphrase tables; an evaluation calls this before generating
    captions so the load overlaps with the model's work. A no-op without Java or the jar.
    """
    global _prestarted
    with _prestart_lock:
        java = find_java()
        if _prestarted is None and java is not None and pycocoevalcap_file(*METEOR_JAR) is not None:
            _prestarted = MeteorProcess.start(java)


def _take_prestarted() -> MeteorProcess | None:
    global _prestarted
    with _prestart_lock:
        process, _prestarted = _prestarted, None
    return process


def _start_meteor(java: str | None, unavailable: dict[str, str]) -> MeteorProcess | None:
    prestarted = _take_prestarted()
    if prestarted is not None:
        return prestarted
    if java is None:
        unavailable["METEOR"] = NO_JAVA_REASON
        return None
    if pycocoevalcap_file(*METEOR_JAR) is None:
        unavailable["METEOR"] = "meteor-1.5.jar not found in the installed pycocoevalcap"
        return None
    return MeteorProcess.start(java)


def _split_tokens(tokens: list[str], references: list[Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    """Undo the flattening [predictions..., references of image 0..., of image 1..., ...]."""
    hypotheses = tokens[: len(references)]
    grouped, position = [], len(references)
    for refs in references:
        grouped.append(tokens[position : position + len(refs)])
        position += len(refs)
    return hypotheses, grouped


class _Results:
    """Values gathered during one scoring call."""

    def __init__(self, image_ids: list[str]) -> None:
        self.image_ids = image_ids
        self.values: dict[str, float] = {}
        self.per_image: dict[str, dict[str, float]] = {i: {} for i in image_ids}
        self.unavailable: dict[str, str] = {}
        self.notes: dict[str, str] = {}

    def record(self, name: str, corpus: float, scores: Sequence[float]) -> None:
        self.values[name] = float(corpus)
        for image_id, score in zip(self.image_ids, scores):
            self.per_image[image_id][name] = float(score)

    def finish(self, wanted: list[str]) -> CaptionScores:
        """The CaptionScores (unavailable metrics listed, for the caller to report once); raises if nothing could run."""
        if self.unavailable and not self.values:
            raise UserError("; ".join(f"{name} {reason}" for name, reason in self.unavailable.items()))
        ordered = {name: self.values[name] for name in wanted if name in self.values}
        return CaptionScores(ordered, self.per_image, self.unavailable, self.notes)


def score_captions(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    *,
    metrics: Sequence[str] | None = None,
) -> CaptionScores:
    """Score one caption per image against its references (raw text; PTB-tokenised here).

    Every prediction id must be in the references and vice versa (UserError otherwise). Metrics
    that cannot run (no Java, SPICE jars missing) are listed in ``unavailable`` (no warning: the caller reports them);
    a UserError is raised only when none of the requested metrics can run. Images are scored in
    the references' order, as pycocoevalcap does with the ids of its ground-truth set.
    """
    image_ids = validate_inputs(predictions, references)
    wanted = requested_metrics(metrics)
    java = find_java()
    results = _Results(image_ids)
    started = time.perf_counter()
    meteor = _start_meteor(java, results.unavailable) if "METEOR" in wanted else None
    try:
        raw_refs = [references[i] for i in image_ids]
        captions = [predictions[i] for i in image_ids] + [r for refs in raw_refs for r in refs]
        tokens = tokenize_captions(captions, java)
        if not java:  # results differ from pycocoevalcap only then: say so wherever the scores go
            results.notes["tokenizer"] = FALLBACK_TOKENIZER_NOTE
        _log.debug("tokenised %d captions at %.2f s", len(captions), time.perf_counter() - started)
        hypotheses, tokenized_refs = _split_tokens(tokens, raw_refs)
        meteor_job = _MeteorJob(meteor, hypotheses, tokenized_refs) if meteor is not None else None
        _at_low_priority(_python_metrics, wanted, hypotheses, tokenized_refs, results)
        _log.debug("BLEU/ROUGE-L/CIDEr done at %.2f s", time.perf_counter() - started)
        if "SPICE" in wanted:
            _spice(hypotheses, tokenized_refs, results)
        if meteor_job is not None:
            outcome = meteor_job.result()
            _log.debug("METEOR done at %.2f s", time.perf_counter() - started)
            if isinstance(outcome, BaseException):
                results.unavailable["METEOR"] = f"METEOR failed: {outcome}"
            else:
                results.record("METEOR", outcome.corpus, outcome.per_image)
    finally:
        if meteor is not None:
            meteor.close()
    return results.finish(wanted)


def _at_low_priority(function: Callable[..., None], *args: object) -> None:
    """Run ``function`` in a helper thread at raised niceness (Linux sets it per thread), so that
    METEOR's loading Java process, which bounds the total time, keeps the CPU it needs."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        try:
            function(*args)
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    worker = threading.Thread(target=run, name="caption-metrics")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def _python_metrics(wanted: list[str], hypotheses: list[str], refs: list[list[str]], results: _Results) -> None:
    """BLEU-1..4, CIDEr-D (sharing one n-gram count) and ROUGE-L, as requested."""
    if any(m in wanted for m in (*BLEU_METRICS, "CIDEr")):
        ngrams = count_corpus_ngrams(hypotheses, refs)
        if any(m in wanted for m in BLEU_METRICS):
            corpus, per_order = bleu_scores(ngrams)
            for k, name in enumerate(BLEU_METRICS):
                if name in wanted:
                    results.record(name, corpus[k], per_order[k])
        if "CIDEr" in wanted:
            results.record("CIDEr", *cider_d_scores(ngrams))
    if "ROUGE_L" in wanted:
        results.record("ROUGE_L", *rouge_l_scores(hypotheses, refs))


def _spice(hypotheses: list[str], refs: list[list[str]], results: _Results) -> None:
    """SPICE when its jars and Java 8 are present; otherwise (or on failure) a reason."""
    java = spice_java()
    reason = spice_unavailable_reason(java)
    if reason is not None:
        results.unavailable["SPICE"] = reason
        return
    assert java is not None
    try:
        results.record("SPICE", *spice_scores(java, results.image_ids, hypotheses, refs))
    except Exception as error:  # SPICE never takes the other metrics down
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        results.unavailable["SPICE"] = f"SPICE failed: {message}"
