"""mathvista_testmini on a miniature MathVista in the hub repository's layout (AI4Math/MathVista:
data/testmini-*.parquet with the dataset card's columns), answered by a scripted served model and
extracted by a scripted served judge. Expected accuracies are hand-computed from MathVista's rules
(evaluation/extract_answer.py, calculate_score.py at commit 53d5258; docs/protocols.md "MathVista")."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from mmbench.models.api.testserver import TestServer

MC, FREE = "multi_choice", "free_form"
ARI, SCI = "arithmetic reasoning", "scientific reasoning"
# pid: (question_type, answer_type, choices, precision, answer, skills, the model's answer, the judge's extraction or None)
PROBLEMS = {
    "1": (MC, "text", ["3/11", "8/11", "6/11", "3/5"], None, "8/11", ["algebraic reasoning", ARI], "I think it is the second.", "B"),
    "2": (MC, "text", ["red", "blue", "green"], None, "green", [SCI], "Green, surely.", "(C) green"),
    "3": (MC, "text", ["apple", "banana"], None, "apple", [SCI], "The yellow fruit.", "banan"),  # nearest choice: banana
    "4": (FREE, "integer", None, None, "14", [ARI], "It is fourteen.", "14.0"),  # int(float("14.0")) -> "14"
    "5": (FREE, "float", None, 2.0, "1.45", [ARI], "About $1.449 in all.", "1.449"),  # round(1.449, 2) -> 1.45
    "6": (FREE, "float", None, 1.0, "0.6", [ARI], "Six out of ten.", "six tenths"),  # no number: nothing
    "7": (FREE, "list", None, None, "[2007, 2008]", [ARI], "Between 2007 and 2008.", "[2007, 2008]"),
    "8": (FREE, "list", None, None, "[1, 2]", [ARI], "One and two.", "[1,2]"),  # lists compare as text
    "9": (FREE, "integer", None, None, "3", [ARI], "I cannot tell.", ""),  # empty: nothing
    "10": (MC, "text", ["12", "7"], None, "7", [ARI], "Not sure.", ""),  # empty -> nearest choice "7" (MathVista's default)
    "11": (FREE, "integer", None, None, "5", [ARI], "5", None),  # integer response: no judge
    "12": (MC, "text", ["red", "blue"], None, "blue", [ARI], "blue", None),  # the response is a choice: no judge
    "13": (FREE, "float", None, 1.0, "2.5", [ARI], "2.5", None),  # float response: no judge
}
TASKS = {MC: "figure question answering", FREE: "math word problem"}


def query_of(pid: str) -> str:
    choices = PROBLEMS[pid][2]
    text = f"Hint: answer problem {pid}.\nQuestion: What is asked in problem {pid}?"
    if choices:
        text += "\nChoices:\n" + "\n".join(f"({chr(65 + i)}) {c}" for i, c in enumerate(choices))
    return text


def write_mathvista(folder: Path) -> Path:
    """The hub repository's testmini file with the dataset card's columns (and their types)."""
    import datasets

    rows = []
    for n, (pid, (qtype, atype, choices, precision, answer, skills, _, _)) in enumerate(PROBLEMS.items()):
        buffer = io.BytesIO()
        Image.new("RGB", (20, 16), (10 * n, 100, 200 - 10 * n)).save(buffer, format="PNG")
        rows.append({"pid": pid, "question": f"What is asked in problem {pid}?", "image": f"images/{pid}.jpg",
                     "decoded_image": {"bytes": buffer.getvalue(), "path": f"{pid}.jpg"}, "choices": choices,
                     "unit": None, "precision": precision, "answer": answer, "question_type": qtype, "answer_type": atype,
                     "metadata": {"category": "math-targeted-vqa", "context": "synthetic scene", "grade": "daily life",
                                  "img_height": 16, "img_width": 20, "language": "english", "skills": skills,
                                  "source": "IQTest", "split": "testmini", "task": TASKS[qtype]},
                     "query": query_of(pid)})
    # the dataset card's dataset_info features; datasets writes them into the parquet schema's
    # "huggingface" metadata, as push_to_hub did for the hub's file (decoded_image: an Image feature)
    text = datasets.Value("string")
    features = datasets.Features({
        "pid": text, "question": text, "image": text, "decoded_image": datasets.Image(), "choices": datasets.Sequence(text),
        "unit": text, "precision": datasets.Value("float64"), "answer": text, "question_type": text, "answer_type": text,
        "metadata": {"category": text, "context": text, "grade": text, "img_height": datasets.Value("int64"),
                     "img_width": datasets.Value("int64"), "language": text, "skills": datasets.Sequence(text),
                     "source": text, "split": text, "task": text},
        "query": text})
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(folder / "data" / "testmini-00000-of-00001-725687bf7a18d64b.parquet")
    return folder


def model_answer(conversation: list[dict], max_tokens: int) -> str:
    text = " ".join(p["text"] for m in conversation for p in m["content"] if p["type"] == "text")
    return next(PROBLEMS[pid][6] for pid in PROBLEMS if f"problem {pid}?" in text)


class ScriptedJudge:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, conversation: list[dict], max_tokens: int) -> str:
        text = conversation[-1]["content"][0]["text"]
        self.messages.append(text)
        return next(PROBLEMS[pid][7] or "" for pid in PROBLEMS if f"problem {pid}?" in text)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_mathvista(root / "MathVista")
    return root


def test_accuracy_by_mathvistas_rules_judge_cached(data_root: Path, tmp_path: Path) -> None:
    from mmbench import evaluate
    from mmbench.models.spec import load_model

    judge = ScriptedJudge()
    with TestServer(model_answer, model="m") as served, TestServer(judge, model="judge-x") as judging:
        common = {"limit": None, "output_dir": None, "store": tmp_path / "store.sqlite", "data_dir": data_root,
                  "num_workers": 0, "judge": "openai:judge-x", "judge_args": {"base_url": judging.base_url}}
        result = evaluate("mathvista_testmini", load_model("openai:m", base_url=served.base_url), **common)
        assert judging.completion_requests == 10  # pids 11-13 are read by MathVista's rules before the judge
        again = evaluate("mathvista_testmini", load_model("openai:m", base_url=served.base_url), **common)
        assert judging.completion_requests == 10  # a re-score pays nothing
    assert again.metrics == result.metrics
    m = result.metrics
    # right: 1 (B -> 8/11), 2 ((C) -> green), 4 (14.0 -> 14), 5 (1.449 -> 1.45), 7, 10 ("" -> nearest "7"), 11, 12, 13
    assert m["accuracy"] == pytest.approx(9 / 13)
    assert m["accuracy_question_type_multi_choice"] == pytest.approx(4 / 5)
    assert m["accuracy_question_type_free_form"] == pytest.approx(5 / 8)
    assert m["accuracy_answer_type_text"] == pytest.approx(4 / 5)
    assert m["accuracy_answer_type_integer"] == pytest.approx(2 / 3)  # 4, 11 right; 9 empty
    assert m["accuracy_answer_type_float"] == pytest.approx(2 / 3)  # 5, 13 right; 6 unreadable
    assert m["accuracy_answer_type_list"] == pytest.approx(1 / 2)
    assert m["accuracy_task_figure_question_answering"] == pytest.approx(4 / 5)
    assert m["accuracy_task_math_word_problem"] == pytest.approx(5 / 8)
    assert m["accuracy_skills_algebraic_reasoning"] == 1.0
    assert m["accuracy_skills_arithmetic_reasoning"] == pytest.approx(8 / 11)  # every pid but 2, 3
    assert m["accuracy_skills_scientific_reasoning"] == pytest.approx(1 / 2)
    assert m["accuracy_source_iqtest"] == pytest.approx(9 / 13) and m["accuracy_language_english"] == pytest.approx(9 / 13)
    assert m["extraction_judged"] == pytest.approx(10 / 13) and m["extraction_empty"] == pytest.approx(2 / 13)
    assert result.task["judge"]["spec"] == "openai:judge-x" and result.task["judge"]["served_model"] == "judge-x"
    assert result.task["judge"]["prompt_version"] == "mathvista-ext-ans-53d5258"
    records = {r["id"]: r for r in result.samples}
    assert [records[p]["extraction_rule"] for p in ("11", "12", "13", "1")] == [
        "integer response", "response is a choice", "float response", "judge"]
    assert records["3"]["normalized"] == "banana" and records["6"]["normalized"] is None
    assert records["5"]["normalized"] == "1.45" and records["4"]["normalized"] == "14"
    # MathVista's create_test_prompt: demo prompt (stripped), query, response, "Extracted answer: "
    sent = next(t for t in judge.messages if "problem 2?" in t)
    assert sent.startswith("Please read the following example. Then extract the answer from the model response")
    assert sent.endswith(f"Extracted answer: B\n\n{query_of('2')}\n\nGreen, surely.\n\nExtracted answer: ")


def test_ignore_empty_extractions_counts_an_empty_choice_wrong(data_root: Path, tmp_path: Path) -> None:
    from mmbench import evaluate
    from mmbench.models.spec import load_model

    with TestServer(model_answer, model="m") as served, TestServer(ScriptedJudge(), model="j") as judging:
        result = evaluate("mathvista_testmini", load_model("openai:m", base_url=served.base_url), limit=None, output_dir=None,
                          store=None, data_dir=data_root, num_workers=0, judge="openai:j", judge_args={"base_url": judging.base_url},
                          metric_args={"ignore_empty_extractions": "true"})
    assert result.metrics["accuracy"] == pytest.approx(8 / 13)  # pid 10 now wrong
    assert next(r for r in result.samples if r["id"] == "10")["normalized"] is None


def test_without_judge_one_line_exit_2(mmbench_cli, data_root: Path, tmp_path: Path) -> None:
    done = mmbench_cli("run", "--task", "mathvista_testmini", "--model", "mock", "--data-dir", data_root, "--output-dir",
                       tmp_path / "out", "--store", tmp_path / "store.sqlite", cache=tmp_path / "cache",
                       forbid_imports=("torch",), timeout=60)
    assert done.returncode == 2, done.stderr
    (line,) = [l for l in done.stderr.splitlines() if l.strip()]
    assert "pass --judge SPEC" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "store.sqlite").exists()


def test_hub_copy_reads_the_same_samples(data_root: Path, tmp_path: Path) -> None:
    """mathvista_testmini@hf reads the local copy of AI4Math/MathVista (<data root>/hub/<id>) through
    datasets, rows decoded by the same reader: same pids, answers and meta."""
    import shutil

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    root = tmp_path / "root"
    shutil.copytree(data_root / "MathVista", root / "hub" / "AI4Math" / "MathVista")
    shutil.copytree(data_root / "MathVista", root / "MathVista")
    official = load_split(load_task_spec("mathvista_testmini").data, root)
    hub = load_split(load_task_spec("mathvista_testmini@hf").data, root)
    assert [s.id for s in hub.samples] == [s.id for s in official.samples] == list(PROBLEMS)
    assert [(s.texts, s.meta) for s in hub.samples] == [(s.texts, s.meta) for s in official.samples]
    assert hub.samples[4].meta["precision"] == 2 and hub.samples[0].meta["choices"] == ("3/11", "8/11", "6/11", "3/5")
    assert hub.samples[0].meta["skills"] == ("algebraic reasoning", ARI)
    assert hub.samples[0].images[0].open(hub.root).size == official.samples[0].images[0].open(official.root).size == (20, 16)


def test_normalisation_rules_as_mathvista_states_them() -> None:
    from mmbench.tasks.mathvista import (
        levenshtein,
        normalize_extraction,
        rule_extraction,
    )

    mc = {"question_type": MC, "answer_type": "text", "choices": ("(1, 2)", "(2, 1)", "none"), "precision": None}
    assert normalize_extraction(" (b) ", mc) == "(2, 1)"  # "(X)" -> letter, upper-cased
    assert normalize_extraction("D", mc) == "none"  # D is beyond the 3 choices: nearest text ("none", distance 4)
    assert levenshtein("kitten", "sitting") == 3 and levenshtein("", "abc") == 3
    integer = {"question_type": FREE, "answer_type": "integer", "choices": (), "precision": None}
    assert normalize_extraction("2.9", integer) == "2" and normalize_extraction("1e3", integer) == "1000"
    assert rule_extraction(" 7 ", integer) == ("7", "integer response") and rule_extraction("7.0", integer) is None
    number = {"question_type": FREE, "answer_type": "float", "choices": (), "precision": 0}
    assert normalize_extraction("2.5", number) == "2.0"  # round(2.5, 0) -> 2.0 (banker's rounding, as Python rounds)
    assert rule_extraction("3", number) == ("3.0", "float response")


def test_reported_rows_as_the_leaderboard_prints_them() -> None:
    """MathVista README's testmini leaderboard (column ALL): LLaVA-1.5-13B 27.6, InternVL2-Pro 66.8."""
    from mmbench.report.reference import REPORTED

    rows = {(r.model, r.task): r.metrics for r in REPORTED}
    assert rows[("LLaVA-1.5-13B", "mathvista_testmini")] == {"accuracy": 0.276}
    assert rows[("InternVL2-Pro", "mathvista_testmini")] == {"accuracy": 0.668}
    documented = (Path(__file__).resolve().parents[1] / "docs" / "reported.md").read_text()
    assert "| LLaVA-1.5-13B | `mathvista_testmini` | testmini, accuracy (ALL) | 27.6 |" in documented
    assert "| InternVL2-Pro | `mathvista_testmini` | testmini, accuracy (ALL) | 66.8 |" in documented
