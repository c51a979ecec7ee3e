"""``compare`` output: Markdown for a pull-request comment, plain text for a terminal, JSON.

Markdown and text print metrics x100 (points; CIDEr x100 as papers); JSON keeps the results-file
scale. Strings from result files are escaped for Markdown.
"""

from __future__ import annotations

import json
from typing import Any

from mmbench.report.compare import ComparisonReport, MetricComparison, TaskComparison
from mmbench.report.loading import model_name
from mmbench.report.tables import md_text


def _pts(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.2f}" if signed else f"{value * 100:.2f}"


def _ci(m: MetricComparison) -> str:
    return "no CI" if m.ci_low is None or m.ci_high is None else f"[{m.ci_low * 100:+.2f}, {m.ci_high * 100:+.2f}]"


def _p(m: MetricComparison) -> str:
    return "–" if m.p_value is None else f"{m.p_value:.3g}"


def _tol(m: MetricComparison) -> str:
    return "ignored" if m.tolerance == float("inf") else f"{m.tolerance * 100:.2f}"


def _cells(m: MetricComparison) -> list[str]:
    return [m.metric, _pts(m.baseline), _pts(m.candidate), _pts(m.delta, signed=True), _ci(m), _p(m), m.test or "–",
            _tol(m), m.status.upper() if m.status in ("regressed", "missing") else m.status]


HEADER = ["Metric", "Baseline", "Candidate", "Δ (points)", "CI", "p", "Test", "Tolerance", "Status"]


def _task_title(t: TaskComparison) -> str:
    n = t.baseline.task.get("num_samples")
    return (f"{t.task} ({t.task_type}, version {t.baseline.task.get('version')}, {n} samples): "
            f"{model_name(t.baseline)} ({t.baseline.created_at}) → {model_name(t.candidate)} ({t.candidate.created_at})")


def _throughput(t: TaskComparison) -> str:
    b, c = t.baseline.timing.get("items_per_s"), t.candidate.timing.get("items_per_s")
    if isinstance(b, (int, float)) and isinstance(c, (int, float)) and b:
        return f"throughput {b:.3g} → {c:.3g} items/s ({(c / b - 1) * 100:+.1f}%, not gated)"
    return ""


def verdict(report: ComparisonReport) -> str:
    failures = report.failures()
    return f"FAIL: {len(failures)} regression(s)" if failures else "PASS: no regression"


def to_markdown(report: ComparisonReport) -> str:
    s = report.settings
    lines = [f"### mmbench compare: {verdict(report)}", ""]
    for t in report.tasks:
        lines += [f"#### {md_text(_task_title(t))}", "", "| " + " | ".join(HEADER) + " |",
                  "|:---|" + "---:|" * 7 + ":---|"]
        lines += ["| " + " | ".join(md_text(c) for c in _cells(m)) + " |" for m in t.metrics]
        extra = [n for n in (*t.notes, _throughput(t)) if n] + [f"{m.metric}: {m.note}" for m in t.metrics if m.note]
        lines += [""] + [f"- {md_text(n)}" for n in extra] + [""]
    if report.missing_in_candidate:
        label = "**Missing in candidate:**" if report.settings.require_all_tasks else "Not in candidate (not compared):"
        lines.append(f"{label} " + ", ".join(md_text(x) for x in report.missing_in_candidate))
    if report.only_in_candidate:
        lines.append("Only in candidate (not compared): " + ", ".join(md_text(x) for x in report.only_in_candidate))
    failures = report.failures()
    if failures:
        lines += ["", "**Failures:**"] + [f"- {md_text(f)}" for f in failures]
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
        out += [f"  note: {n}" for n in (*t.notes, _throughput(t)) if n]
        out += [f"  {m.metric}: {m.note}" for m in t.metrics if m.note]
    if report.missing_in_candidate:
        label = "missing in candidate" if report.settings.require_all_tasks else "not in candidate (not compared)"
        out.append(f"{label}: " + ", ".join(report.missing_in_candidate))
    if report.only_in_candidate:
        out.append("only in candidate (not compared): " + ", ".join(report.only_in_candidate))
    out += [f"FAIL {f}" for f in report.failures()]
    return "\n".join(out) + "\n"


def _metric_json(m: MetricComparison) -> dict[str, Any]:
    return {"metric": m.metric, "baseline": m.baseline, "candidate": m.candidate, "delta": m.delta,
            "ci": None if m.ci_low is None else [m.ci_low, m.ci_high], "p_value": m.p_value, "test": m.test or None,
            "n_pairs": m.n_pairs, "tolerance": None if m.tolerance == float("inf") else m.tolerance,
            "status": m.status, "regressed": m.regressed, "significant_drop": m.significant_drop, "note": m.note or None}


def _run_json(run: Any) -> dict[str, Any]:
    return {"run_id": run.run_id, "created_at": run.created_at, "model": model_name(run),
            "file": str(run.path) if run.path else None, "items_per_s": run.timing.get("items_per_s")}


def to_dict(report: ComparisonReport) -> dict[str, Any]:
    s = report.settings
    return {
        "format": "mmbench-compare/1", "passed": not report.failures(), "exit_code": report.exit_code,
        "failures": report.failures(),
        "settings": {"alpha": s.alpha, "confidence": s.confidence, "n_resamples": s.n_resamples, "seed": s.seed,
                     "fail_on_significant": s.fail_on_significant, "allow_mismatch": s.allow_mismatch,
                     "tolerances": {k: (None if v == float("inf") else v) for k, v in s.tolerances.items()}},
        "tasks": [{"task": t.task, "type": t.task_type, "version": t.baseline.task.get("version"),
                   "data_fingerprint": t.baseline.task.get("data_fingerprint"), "baseline": _run_json(t.baseline),
                   "candidate": _run_json(t.candidate), "notes": t.notes,
                   "metrics": [_metric_json(m) for m in t.metrics]} for t in report.tasks],
        "missing_in_candidate": report.missing_in_candidate, "only_in_candidate": report.only_in_candidate,
        "warnings": report.warnings,
    }


def to_json(report: ComparisonReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
