"""Judged tasks: mmvet graded by a served test judge on a miniature MM-Vet in its official layout.
Scores hand-computed from the judge's scripted answers; judge calls cached; judge identity in the
result and in compare's matching; a judged task without --judge, or with an unreachable judge,
stops before anything loads."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from PIL import Image

from mmbench.models.api.testserver import TestServer

QUESTIONS = {  # id: (question, ground truth, capabilities, the judge's answer, its answer to the retry prompt)
    "v1_0": ("What colour is it?", "red", ["rec"], "0.7", None),
    "v1_1": ("What does the sign say?", "stop<AND>go", ["rec", "ocr"], "1.0 fully", None),
    "v1_2": ("Read the number.", "42<OR>forty-two", ["ocr"], "maybe", "0.3"),
    "v1_3": ("What is 2+3?", "5", ["math"], "unsure", "unsure"),
}
RETRY_SUFFIX = "\nPredict the correctness of the answer (digit): "


def write_mmvet(root: Path) -> Path:
    folder = root / "mm-vet"
    (folder / "images").mkdir(parents=True)
    entries = {}
    for n, (key, (question, answer, caps, _, _)) in enumerate(QUESTIONS.items()):
        Image.new("RGB", (24, 24), (200 - 40 * n, 30, 40 * n)).save(folder / "images" / f"{key}.png")
        entries[key] = {"imagename": f"{key}.png", "capability": caps, "question": question, "answer": answer}
    (folder / "mm-vet.json").write_text(json.dumps(entries))
    return root


class ScriptedJudge:
    """Answers each grading message from QUESTIONS by the question it names; records every message."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, conversation: list[dict], max_tokens: int) -> str:
        text = conversation[-1]["content"][0]["text"]
        self.messages.append(text)
        for question, _, _, first, retry in QUESTIONS.values():
            if f"\n{question} | " in text:
                return retry if text.endswith(RETRY_SUFFIX) else first
        return "no question found"


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return write_mmvet(tmp_path / "data")


def run(mmbench_cli, tmp_path: Path, data_dir: Path, *extra: str, out: str = "out"):
    return mmbench_cli("run", "--task", "mmvet", "--model", "mock", "--data-dir", data_dir, "--output-dir", tmp_path / out,
                       "--store", tmp_path / "store.sqlite", "--num-workers", "0", *extra, cache=tmp_path / "cache", timeout=300)


def test_mmvet_scores_judge_cache_identity_and_compare(mmbench_cli, tmp_path: Path, data_dir: Path) -> None:
    judge = ScriptedJudge()
    with TestServer(judge, model="judge-a") as server_a, TestServer(ScriptedJudge(), model="judge-b") as server_b:
        first = run(mmbench_cli, tmp_path, data_dir, "--judge", "openai:judge-a", "--judge-arg", f"base_url={server_a.base_url}")
        assert first.returncode == 0, first.stderr
        assert server_a.completion_requests == 4 + 2  # every answer, then the two unreadable ones again
        again = run(mmbench_cli, tmp_path, data_dir, "--judge", "openai:judge-a", "--judge-arg", f"base_url={server_a.base_url}",
                    out="out_again")
        assert again.returncode == 0, again.stderr
        assert server_a.completion_requests == 6  # a re-score pays nothing: judge calls come from the store
        other = run(mmbench_cli, tmp_path, data_dir, "--judge", "openai:judge-b", "--judge-arg", f"base_url={server_b.base_url}",
                    out="out_b")
        assert other.returncode == 0, other.stderr
    (result_file,) = (tmp_path / "out").glob("*[!s].json")
    result = json.loads(result_file.read_text())
    # hand-computed from the scripted answers: 0.7, 1.0, 0.3 (after the retry prompt), 0.0 (unreadable twice)
    assert result["metrics"]["score"] == pytest.approx((0.7 + 1.0 + 0.3 + 0.0) / 4)
    assert result["metrics"]["score_rec"] == pytest.approx((0.7 + 1.0) / 2)
    assert result["metrics"]["score_ocr"] == pytest.approx((1.0 + 0.3) / 2)
    assert result["metrics"]["score_math"] == 0.0 and result["metrics"]["judge_unparsed"] == 0.25
    judge_record = result["task"]["judge"]
    assert judge_record["spec"] == "openai:judge-a" and judge_record["served_model"] == "judge-a"
    assert judge_record["prompt_version"] == "mmvet-v1-7d717c2"
    assert result["timing"]["judge_requests"]["requests"] == 6 and "requests" not in result["timing"]  # mock is not served
    samples = {json.loads(line)["id"]: json.loads(line) for line in result_file.with_name(result_file.name[:-5] + ".samples.jsonl").read_text().splitlines()}
    assert samples["v1_2"]["score_rule"] == "judge_retry" and samples["v1_3"]["score_rule"].startswith("unparsed")
    # the official grading message: prompt, newline, "question | ground truth (spaced markers) | prediction | "
    prediction = samples["v1_1"]["prediction"]
    sent = [m for m in judge.messages if "\nWhat does the sign say? | " in m][0]
    assert sent.startswith("Compare the ground truth and prediction from AI models")
    assert sent.endswith(f"\nWhat does the sign say? | stop <AND> go | {prediction} | ")
    compare = tmp_path / "out_b"
    refused = _compare(mmbench_cli, tmp_path, result_file, next(compare.glob("*[!s].json")))
    assert refused.returncode == 2 and "judge differs" in refused.stderr, refused.stderr
    allowed = _compare(mmbench_cli, tmp_path, result_file, next(compare.glob("*[!s].json")), "--allow-mismatch")
    assert allowed.returncode in (0, 1) and "judge differs" in allowed.stdout + allowed.stderr


def _compare(mmbench_cli, tmp_path: Path, base: Path, cand: Path, *extra: str):
    return mmbench_cli("compare", base, cand, *extra, cache=tmp_path / "cache", timeout=120)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("judge", [None, "unreachable"])
def test_judged_task_stops_before_anything_loads(judge: str | None, mmbench_cli, tmp_path: Path, data_dir: Path) -> None:
    extra = () if judge is None else ("--judge", "openai:j", "--judge-arg", f"base_url=http://127.0.0.1:{_closed_port()}/v1")
    done = mmbench_cli("run", "--task", "mmvet", "--model", "mock", "--data-dir", data_dir, "--output-dir", tmp_path / "out",
                       "--store", tmp_path / "store.sqlite", *extra, cache=tmp_path / "cache", forbid_imports=("torch",), timeout=60)
    assert done.returncode == 2, done.stderr
    (line,) = [l for l in done.stderr.splitlines() if l.strip()]
    assert ("pass --judge SPEC" in line) if judge is None else ("--judge openai:j" in line and "cannot reach" in line)
    assert not (tmp_path / "out").exists() and not (tmp_path / "store.sqlite").exists()


def test_judge_unmapped_maps_only_what_no_rule_could(tmp_path: Path) -> None:
    """mmstar (three rows, tests/mc_fixtures.py) answered by a scripted served model: row 1 in a
    letter the rules read, rows 0 and 2 in words they cannot; the judge maps row 0 to B (right) and
    answers row 2 with something that is no option letter."""
    from mc_fixtures import write_mmstar

    from mmbench import evaluate
    from mmbench.errors import UserError
    from mmbench.models.spec import load_model

    write_mmstar(tmp_path / "data")
    answers = {"What colour": "the second one", "How many": "A", "Is the shape red": "hmm"}
    verdicts = {"the second one": "B", "hmm": "maybe"}
    asked: list[str] = []

    def model(conversation: list[dict], max_tokens: int) -> str:
        text = " ".join(p["text"] for m in conversation for p in m["content"] if p["type"] == "text")
        return next(a for q, a in answers.items() if q in text)

    def judge(conversation: list[dict], max_tokens: int) -> str:
        text = conversation[-1]["content"][0]["text"]
        asked.append(text)
        return next(v for a, v in verdicts.items() if f"The model's answer: {a}\n" in text)

    with TestServer(model, model="m") as served, TestServer(judge, model="j") as judging:
        adapter = load_model("openai:m", base_url=served.base_url)
        common = dict(limit=None, output_dir=None, store=tmp_path / "store.sqlite", data_dir=tmp_path / "data", num_workers=0)
        with pytest.raises(UserError, match="pass --judge"):
            evaluate("mmstar", adapter, metric_args={"judge_unmapped": "true"}, **common)
        result = evaluate("mmstar", adapter, metric_args={"judge_unmapped": "true"}, judge="openai:j",
                          judge_args={"base_url": judging.base_url}, **common)
        plain = evaluate("mmstar", adapter, **common)
    assert len(asked) == 2  # only the two answers no rule maps
    assert result.metrics["accuracy"] == pytest.approx(2 / 3) and plain.metrics["accuracy"] == pytest.approx(1 / 3)
    assert result.metrics["extraction_failed"] == pytest.approx(2 / 3) == plain.metrics["extraction_failed"]
    assert result.metrics["judged"] == 1.0 and "judged" not in plain.metrics
    rules = {r["id"]: r["extraction_rule"] for r in result.samples}
    assert rules == {"0": "judge", "1": plain.samples[1]["extraction_rule"], "2": None}
    assert result.task["judge"]["prompt_version"] == "mmbench-choice-judge-v1"


def test_llava_bench_relative_score_from_the_judges_pairs(tmp_path: Path) -> None:
    from mmbench import evaluate

    folder = tmp_path / "data" / "llava-bench-in-the-wild"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (16, 16), (10, 200, 10)).save(folder / "images" / "001.jpg")
    questions = [(0, "conv", "Is it green?"), (1, "detail", "Describe it."), (2, "complex", "Why is it green?")]
    (folder / "questions.jsonl").write_text("".join(json.dumps({"question_id": q, "image": "001.jpg", "text": t, "category": c}) + "\n"
                                                     for q, c, t in questions))
    (folder / "context.jsonl").write_text(json.dumps({"id": "1", "image": "001.jpg", "caption": "A green square."}) + "\n")
    (folder / "answers_gpt4.jsonl").write_text("".join(json.dumps({"question_id": q, "text": f"reference {q}"}) + "\n"
                                                       for q, _, _ in questions))
    reviews = {"Is it green?": "8 6\nclose", "Describe it.": "7,7\nequal", "Why is it green?": "both fine"}
    seen: list[list[dict]] = []

    def judge(conversation: list[dict], max_tokens: int) -> str:
        seen.append(conversation)
        text = conversation[-1]["content"][0]["text"]
        return next(r for q, r in reviews.items() if f"[Question]\n{q}\n" in text)

    with TestServer(judge, model="j") as server:
        result = evaluate("llava_bench_wild", "mock", output_dir=None, store=None, data_dir=tmp_path / "data", num_workers=0,
                          judge="openai:j", judge_args={"base_url": server.base_url})
    # LLaVA's summary: mean of the model's ratings over the mean of the reference's (pairs 8 6 and 7 7; the third unreadable)
    assert result.metrics["score"] == pytest.approx((6 + 7) / 2 / ((8 + 7) / 2))
    assert result.metrics["score_conv"] == pytest.approx(6 / 8) and result.metrics["score_detail"] == 1.0
    assert "score_complex" not in result.metrics and result.metrics["judge_unparsed"] == pytest.approx(1 / 3)
    first = next(c for c in seen if "[Question]\nIs it green?\n" in c[-1]["content"][0]["text"])
    assert first[0] == {"role": "system", "content": [{"type": "text", "text": "You are a helpful and precise assistant for checking the quality of the answer."}]}
    prediction = next(r["prediction"] for r in result.samples if r["id"] == "0")
    assert first[-1]["content"][0]["text"].startswith(
        f"[Context]\nA green square.\n\n[Question]\nIs it green?\n\n[Assistant 1]\nreference 0\n\n[End of Assistant 1]\n\n"
        f"[Assistant 2]\n{prediction}\n\n[End of Assistant 2]\n\n[System]\nWe would like to request your feedback")
    assert result.task["judge"]["prompt_version"] == "llava-bench-181a2f8"
