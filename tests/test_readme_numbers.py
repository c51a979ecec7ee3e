"""Every number in the README's demo tables comes from a committed result file: the leaderboard
table is what `mmbench leaderboard results/baseline results/random-init --no-reported` prints, the
zero-shot table what the result files hold (and chance what the task's class count gives)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mmbench
from mmbench.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> str:
    match = re.search(rf"<!-- {name}[^>]*-->\n(.*?)\n<!-- /{name} -->", README, re.S)
    assert match, f"README lacks the <!-- {name} --> block"
    return match.group(1)


def _cells(table: str) -> dict[str, dict[str, str]]:
    """{row label: {column header: cell}}; repeated headers (items/s) get the preceding task's name."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    named, group = [], ""
    for h in header:
        group = h.split()[0] if " " in h and h.split()[0].startswith("shapes_") else group
        named.append(h if h.startswith("shapes_") or not group else f"{group} {h}")
    return {cells[0]: dict(zip(named, cells)) for line in lines[2:]
            if (cells := [c.strip() for c in line.strip("|").split("|")])}


def test_demo_table_numbers_match_the_leaderboard(capsys: pytest.CaptureFixture[str]) -> None:
    main(["leaderboard", str(REPO / "results" / "baseline"), str(REPO / "results" / "random-init"), "--no-reported"])
    out = capsys.readouterr().out
    printed = _cells(next(part for part in out.split("\n\n") if part.startswith("| Model")))
    readme = _cells(_block("demo-table"))
    assert len(readme) >= 6  # three trained models and their random-initialised twins
    for model, cells in readme.items():
        assert model in printed, f"README row {model!r} is not in the leaderboard"
        for header, cell in cells.items():
            assert printed[model].get(header) == cell, f"{model} / {header}: README {cell}, results {printed[model].get(header)}"


def test_zeroshot_table_matches_the_result_files_and_chance() -> None:
    df = mmbench.load_results([REPO / "results" / "baseline", REPO / "results" / "random-init"])
    zeroshot = df[df.task == "shapes_zeroshot"]
    rows = _cells(_block("zeroshot-table"))
    classes = len(mmbench_task_classnames())
    metrics = ("top1", "top5", "mean_per_class_recall")
    chance = {"top1": 1 / classes, "top5": 5 / classes, "mean_per_class_recall": 1 / classes}
    seen = 0
    for label, cells in rows.items():
        values = list(cells.values())[1:]
        if label.startswith("chance"):
            expected = [chance[m] for m in metrics]
        else:
            runs = zeroshot[zeroshot.model == label]
            assert not runs.empty, f"no shapes_zeroshot result for {label!r}"
            expected = [runs[runs.metric == m].value.iloc[-1] for m in metrics]
            seen += 1
        assert values == [f"{v * 100:.2f}" for v in expected], label
    assert seen == 2 and any(label.startswith("chance") for label in rows)
    trained = zeroshot[zeroshot.model == "shapes-clip"].set_index("metric").value
    assert trained["top1"] >= 0.75 and trained["top5"] >= 0.95 and trained["mean_per_class_recall"] != trained["top1"]


def mmbench_task_classnames() -> list[str]:
    from mmbench.tasks.spec import load_task_spec

    return list(load_task_spec("shapes_zeroshot").data["classnames"])


def test_the_demo_times_are_those_measured() -> None:
    """The README's demo times (warm, first run, suite generation) are the medians that
    ``python benchmarks/demo_time.py`` wrote to benchmarks/results/demo_time.json, with its load."""
    import json

    measured = json.loads((REPO / "benchmarks" / "results" / "demo_time.json").read_text(encoding="utf-8"))
    text = " ".join(README.split())
    match = re.search(r"takes about (\d+) s, imports included, and about (\d+) s the first time, which also generates "
                      r"the shapes suite \(([\d.]+) s\).*?load average (\d+) to (\d+)\)", text)
    assert match, "README's demo paragraph lacks the measured times"
    warm, first, generation, low, high = match.groups()
    assert int(warm) == round(measured["median_warm_s"]) and int(first) == round(measured["median_first_s"])
    assert generation == f"{measured['median_generation_s']:.1f}"
    loads = measured["load_average_before_each_run"]
    assert (int(low), int(high)) == (int(min(loads)), round(max(loads)))


#: Every approximate figure the README gives ("about 21 s"), and the test above or below that checks it
#: against a committed output. A new "about N unit" in the README fails until it is added here with
#: its check (or dropped).
CHECKED_FIGURES = {
    "about 20 s": "test_the_demo_times_are_those_measured",
    "about 21 s": "test_the_demo_times_are_those_measured",
    "about 0.75 MiB": "test_the_store_sizes_are_those_measured",
    "about 7 minutes": "test_the_suite_time_is_the_one_measured",
}


def test_every_approximate_figure_is_checked() -> None:
    """Prose figures only: fenced blocks show commands and what they print (the memory refusal's
    "about 26.0 GiB" is checked against the real message by tests/test_hf_memory.py)."""
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", README, flags=re.S | re.M)
    assert "about 26.0 GiB" in README and "about 26.0 GiB" not in prose  # the fences were found and left out
    text = " ".join(prose.split())
    found = set(re.findall(r"\b(?:about|roughly|around|~) ?[\d][\d.,]* ?(?:ms|s|GB|MB|MiB|GiB|KiB|%|x|minutes|min|hours)\b", text))
    assert found <= set(CHECKED_FIGURES), f"README figures without a committed output and a test: {sorted(found - set(CHECKED_FIGURES))}"
    assert all(name in globals() for name in CHECKED_FIGURES.values())


def test_the_store_sizes_are_those_measured() -> None:
    """The README's store sizes per 10k outputs are benchmarks/results/store_size.json's, as rounded there."""
    import json

    measured = json.loads((REPO / "benchmarks" / "results" / "store_size.json").read_text(encoding="utf-8"))
    text = " ".join(README.split())
    match = re.search(r"per (\d+)k outputs about ([\d.]+) MiB for one-word VQA answers, ([\d.]+) MiB for ten-word captions, "
                      r"([\d.]+) MiB for 512-d embeddings, ([\d.]+) MiB for 768-d and ([\d.]+) MiB for 4096-d ones", text)
    assert match, "README's store-size sentence changed"
    thousands, *mib = match.groups()
    assert int(thousands) * 1000 == measured["outputs"]
    keys = ("vqa_answer_1_word", "caption_10_words", "embedding_512d", "embedding_768d", "embedding_4096d")
    for printed, key in zip(mib, keys):
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        assert float(printed) == round(measured["mib"][key], decimals), key


def test_the_zeroshot_class_counts_are_those_of_the_committed_samples() -> None:
    """"holds 25 of them ... (2 to 24 images per class)": counted from the baseline's per-sample labels."""
    import collections
    import json

    samples = next((REPO / "results" / "baseline").glob("shapes_zeroshot__*.samples.jsonl"))
    per_class = collections.Counter(json.loads(line)["label"] for line in samples.read_text(encoding="utf-8").splitlines() if line)
    text = " ".join(README.split())
    match = re.search(r"scores against (\d+) colour-kind classes .*? holds (\d+) of them, unbalanced on purpose \((\d+) to (\d+) "
                      r"images per class\).*?the other (\d+) pairs", text)
    assert match, "README's shapes_zeroshot sentence changed"
    total, present, low, high, other = map(int, match.groups())
    assert total == len(mmbench_task_classnames()) and present == len(per_class) and other == total - present
    assert (low, high) == (min(per_class.values()), max(per_class.values()))


def test_the_suite_time_is_the_one_measured() -> None:
    """"takes about 7 minutes ... (1,236 tests in 442 s": benchmarks/results/suite_time.json, pytest's own summary."""
    import json

    measured = json.loads((REPO / "benchmarks" / "results" / "suite_time.json").read_text(encoding="utf-8"))
    text = " ".join(README.split())
    match = re.search(r"takes about (\d+) minutes on a quiet 2-core machine \(([\d,]+) tests in (\d+) s in a fresh clone", text)
    assert match, "README's test-command sentence changed"
    minutes, tests, seconds = match.groups()
    assert f"in {seconds}." in measured["pytest_summary"] and int(seconds) == int(measured["pytest_seconds"])
    assert int(tests.replace(",", "")) == measured["tests"] and int(minutes) == round(measured["pytest_seconds"] / 60)
