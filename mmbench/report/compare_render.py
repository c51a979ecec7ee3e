"""``compare`` output: Markdown for a pull-request comment, plain text for a terminal, JSON.

Markdown and text print metrics x100 (points; CIDEr x100 as papers); JSON keeps the results-file
scale. Strings from result files are escaped for Markdown.
"""

from __future__ import annotations

import json
from typing import Any

from mmbench.report.comparison import ComparisonReport, MetricComparison, TaskComparison
from mmbench.report.loading import model_name
from mmbench.report.tables import md_text
from mmbench.report.tolerance import as_tolerance


def _pts(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.2f}" if signed else f"{value * 100:.2f}"


def _ci(m: MetricComparison) -> str:
    return "no CI" if m.ci_low is None or m.ci_high is None else f"[{m.ci_low * 100:+.2f}, {m.ci_high * 100:+.2f}]"


def _p(m: MetricComparison) -> str:
    return "–" if m.p_value is None else f"{m.p_value:.3g}"


def _tol(m: MetricComparison) -> str:
    if m.tolerance == float("inf"):
        return "ignored"
    return f"{m.tolerance * 100:.2f}" + (f" ({m.tolerance_text})" if m.tolerance_text else "")


def _cells(m: MetricComparison) -> list[str]:
    return [m.metric, _pts(m.baseline), _pts(m.candidate), _pts(m.delta, signed=True), _ci(m), _p(m), m.test or "–",
            _tol(m), m.status.upper() if m.status in ("regressed", "missing", "improved") else m.status]


HEADER = ["Metric", "Baseline", "Candidate", "Δ (points)", "CI", "p", "Test", "Tolerance", "Status"]


def _task_title(t: TaskComparison) -> str:
    n = f"{t.shared.shared} shared samples" if t.shared else f"{t.baseline.task.get('num_samples')} samples"
    return (f"{t.task} ({t.task_type}, version {t.baseline.task.get('version')}, {n}): "
            f"{model_name(t.baseline)} ({t.baseline.created_at}) → {model_name(t.candidate)} ({t.candidate.created_at})")


def _task_notes(t: TaskComparison) -> list[str]:
    """Provenance first (what is equal), then sample-set and exact-gate facts, then the rest."""
    notes = [t.provenance_line()] if t.provenance else []
    if t.shared:
        notes.append(str(t.shared))
    if t.prediction_changes is not None:
        notes.append(f"predictions: {t.prediction_changes.describe()}")
    return notes + [n for n in (*t.notes, _throughput(t)) if n]


def _throughput(t: TaskComparison) -> str:
    b, c = t.baseline.timing.get("items_per_s"), t.candidate.timing.get("items_per_s")
    if isinstance(b, (int, float)) and isinstance(c, (int, float)) and b:
        return f"throughput {b:.3g} → {c:.3g} items/s ({(c / b - 1) * 100:+.1f}%, not gated)"
    return ""


def verdict(report: ComparisonReport) -> str:
    failures = report.failures()
    if failures:
        return f"FAIL: {len(failures)} regression(s)" if not report.settings.exact else f"FAIL: {len(failures)} change(s)"
    if report.settings.exact:
        return "PASS: identical predictions and metrics"
    return "PASS: no regression" + (" (improved: refresh the baseline)" if report.improvements() else "")


def to_markdown(report: ComparisonReport) -> str:
    s = report.settings
    lines = [f"### mmbench compare: {verdict(report)}", ""]
    for t in report.tasks:
        lines += [f"#### {md_text(_task_title(t))}", "", "| " + " | ".join(HEADER) + " |",
                  "|:---|" + "---:|" * 7 + ":---|"]
        lines += ["| " + " | ".join(md_text(c) for c in _cells(m)) + " |" for m in t.metrics]
        extra = _task_notes(t) + [f"{m.metric}: {m.note}" for m in t.metrics if m.note]
        lines += [""] + [f"- {md_text(n)}" for n in extra] + [""]
    if report.missing_in_candidate:
        label = "**Missing in candidate:**" if report.settings.require_all_tasks else "Not in candidate (not compared):"
        lines.append(f"{label} " + ", ".join(md_text(x) for x in report.missing_in_candidate))
    if report.only_in_candidate:
        lines.append("Only in candidate (not compared): " + ", ".join(md_text(x) for x in report.only_in_candidate))
    failures = report.failures()
    if failures:
        lines += ["", "**Failures:**"] + [f"- {md_text(f)}" for f in failures]
    improved = [i for i in report.improvements() if i not in " ".join(failures)]
    if improved:
        lines += ["", "**Improved** (not a failure):"] + [f"- {md_text(i)}" for i in improved]
    lines += ["", f"Δ = candidate - baseline, x100. {int(s.confidence * 100)}% paired bootstrap CI ({s.n_resamples} "
              f"resamples, seed {s.seed}); p from McNemar's exact test (0/1 scores), a paired t-test (graded accuracy) "
              f"or the bootstrap; alpha {s.alpha:g}" + (", significant drops fail" if s.fail_on_significant else "") + "."]
    if report.warnings:
        lines += ["", "Warnings: " + "; ".join(md_text(w) for w in report.warnings)]
    return "\n".join(lines) + "\n"


def to_text(report: ComparisonReport) -> str:
    out = [verdict(report)]
    for t in report.tasks:
        rows = [HEADER] + [_cells(m) for m in t.metrics]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
        out += ["", _task_title(t)] + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        out += [f"  note: {n}" for n in _task_notes(t)]
        out += [f"  {m.metric}: {m.note}" for m in t.metrics if m.note]
    if report.missing_in_candidate:
        label = "missing in candidate" if report.settings.require_all_tasks else "not in candidate (not compared)"
        out.append(f"{label}: " + ", ".join(report.missing_in_candidate))
    if report.only_in_candidate:
        out.append("only in candidate (not compared): " + ", ".join(report.only_in_candidate))
    failures = report.failures()
    out += [f"FAIL {f}" for f in failures]
    out += [i for i in report.improvements() if i not in " ".join(failures)]
    return "\n".join(out) + "\n"


def _metric_json(m: MetricComparison) -> dict[str, Any]:
    return {"metric": m.metric, "baseline": m.baseline, "candidate": m.candidate, "delta": m.delta,
            "ci": None if m.ci_low is None else [m.ci_low, m.ci_high], "p_value": m.p_value, "test": m.test or None,
            "n_pairs": m.n_pairs, "tolerance": None if m.tolerance == float("inf") else m.tolerance,
            "tolerance_given": m.tolerance_text or None, "status": m.status, "regressed": m.regressed,
            "improved": m.improved, "significant_drop": m.significant_drop, "compared": m.comparable, "note": m.note or None}


def _run_json(run: Any) -> dict[str, Any]:
    return {"run_id": run.run_id, "created_at": run.created_at, "model": model_name(run),
            "file": str(run.path) if run.path else None, "items_per_s": run.timing.get("items_per_s")}


def to_dict(report: ComparisonReport) -> dict[str, Any]:
    s = report.settings
    return {
        "format": "mmbench-compare/1", "passed": not report.failures(), "exit_code": report.exit_code,
        "failures": report.failures(), "improvements": report.improvements(),
        "settings": {"alpha": s.alpha, "confidence": s.confidence, "n_resamples": s.n_resamples, "seed": s.seed,
                     "fail_on_significant": s.fail_on_significant, "allow_mismatch": s.allow_mismatch,
                     "exact": s.exact, "two_sided": s.two_sided, "same_model": s.same_model,
                     "tolerances": {k: str(as_tolerance(v)) for k, v in s.tolerances.items()}},
        "tasks": [{"task": t.task, "type": t.task_type, "version": t.baseline.task.get("version"),
                   "data_fingerprint": t.baseline.task.get("data_fingerprint"), "baseline": _run_json(t.baseline),
                   "candidate": _run_json(t.candidate), "notes": t.notes,
                   "equal": {x.label: x.equal for x in t.provenance},
                   "shared_samples": None if t.shared is None else
                   {"shared": t.shared.shared, "baseline": t.shared.baseline, "candidate": t.shared.candidate},
                   "prediction_changes": None if t.prediction_changes is None else
                   {"changed": t.prediction_changes.changed, "total": t.prediction_changes.total,
                    "first": [list(e) for e in t.prediction_changes.examples]},
                   "metrics": [_metric_json(m) for m in t.metrics]} for t in report.tasks],
        "missing_in_candidate": report.missing_in_candidate, "only_in_candidate": report.only_in_candidate,
        "warnings": report.warnings,
    }


def to_json(report: ComparisonReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
