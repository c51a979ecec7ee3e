"""POPE, MME, DocVQA, InfographicVQA, ChartQA and OCRBench: readers on miniature copies in the
official layouts, ``mmbench run`` with the mock model, and each benchmark's scoring rule on
hand-written predictions against values computed by hand from the reference scorers' rules
(POPE evaluate.py, MME calculation.py, the RRC ANLS script, pix2struct relaxed_correctness,
OCRBench's example.py) and from the peers' conventions (lmms-eval, VLMEvalKit).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from mmbench.cli import main
from mmbench.tasks.base import TaskScore
from tests import yes_no_doc_files as files

TASKS = ["pope_random", "pope_popular", "pope_adversarial", "mme", "docvqa_val", "infovqa_val", "chartqa_test", "ocrbench"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("yes_no_doc")
    files.all_benchmarks(folder)
    return folder


def score(task: str, root: Path, predictions: dict[str, str], convention: str | None = None) -> TaskScore:
    """The task type's own scoring of ``predictions`` (id -> answer), as ``mmbench run`` scores them."""
    from mmbench.data import load_split
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec

    spec = load_task_spec(task)
    if convention is not None:
        spec = dataclasses.replace(spec, metrics={**spec.metrics, "convention": convention})
    kind = task_types.get(spec.type)(spec, load_split(spec.data, root))
    assert set(predictions) == {s.id for s in kind.samples}
    return kind.score({"answers": [predictions[s.id] for s in kind.samples]}, frozenset())


# ---- readers ---------------------------------------------------------------------------------------

def test_readers_give_the_official_ids(root: Path) -> None:
    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    ids = {task: [s.id for s in load_split(load_task_spec(task).data, root).samples] for task in TASKS}
    assert ids["pope_random"] == [str(q) for q, _, _ in files.POPE]
    # MME: perception categories then cognition ones (calculation.py's order), files by name, lines in order
    assert ids["mme"] == ["artwork/10002.jpg/0", "artwork/10002.jpg/1", "artwork/10049.png/0", "artwork/10049.png/1",
                          "OCR/0001.jpg/0", "OCR/0001.jpg/1", "code_reasoning/0020.png/0", "code_reasoning/0020.png/1"]
    assert ids["docvqa_val"] == ["49153", "49154", "24580", "24581", "57349", "57350"]
    assert ids["infovqa_val"] == ["65718", "65719"]
    assert ids["chartqa_test"] == ["human/0", "human/1", "human/2", "human/3",
                                   "augmented/0", "augmented/1", "augmented/2", "augmented/3"]
    # OCRBench ids repeat across source datasets (IIIT5K 0, svt 0): <dataset_name>/<id>, a repeated pair numbered
    assert ids["ocrbench"] == ["IIIT5K/0", "svt/0", "HME100k/3", "HME100k/4", "docVQA/10", "IIIT5K/0#2"]


def test_mme_reads_both_layouts_with_answers_and_prompt_text(root: Path) -> None:
    from mmbench.data import load_split, open_image
    from mmbench.tasks.spec import load_task_spec

    split = load_split(load_task_spec("mme").data, root)
    by_id = {s.id: s for s in split.samples}
    assert by_id["artwork/10049.png/0"].texts == ("Yes",) and by_id["artwork/10049.png/1"].texts == ("No",)
    assert str(by_id["artwork/10049.png/0"].image) == "artwork/images/10049.png"
    assert str(by_id["OCR/0001.jpg/1"].image) == "OCR/0001.jpg"
    # lmms-eval's prompt text: stripped, " Please answer yes or no." removed (a double space leaves one)
    assert by_id["artwork/10049.png/0"].meta["question_stem"] == "Is this artwork titled The Last Supper? "
    assert by_id["OCR/0001.jpg/0"].meta["question_stem"] == 'Is the word in the logo "high time coffee shop"?'
    assert open_image(by_id["code_reasoning/0020.png/0"].image, split.root).size == (16, 16)


def test_docvqa_keeps_every_reference_and_chartqa_labels(root: Path) -> None:
    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    doc = {s.id: s for s in load_split(load_task_spec("docvqa_val").data, root).samples}
    assert doc["57350"].texts == ("New York", "NYC") and str(doc["57350"].image) == "documents/txpn0095_1.png"
    chart = {s.id: s for s in load_split(load_task_spec("chartqa_test").data, root).samples}
    assert chart["human/1"].texts == ("1200",) and chart["augmented/2"].meta == {"question": files.CHART_AUGMENTED[2][2],
                                                                                  "subset": "augmented"}


def test_malformed_mme_file_is_one_line_error(tmp_path: Path) -> None:
    from mmbench.data import load_split
    from mmbench.errors import DataError
    from mmbench.tasks.spec import load_task_spec

    files.mme(tmp_path)
    bad = tmp_path / "mme" / "MME_Benchmark_release_version" / "OCR" / "0001.txt"
    bad.write_text("Is it? Please answer yes or no.\tMaybe\nIs it not?\tNo\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"0001.txt: line 1 is not 'question<TAB>Yes\|No'"):
        load_split(load_task_spec("mme").data, tmp_path)


# ---- mmbench run with the mock model ---------------------------------------------------------------

def test_mock_runs_every_benchmark_on_its_official_layout(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    args = ["run", "--model", "mock", "--data-dir", str(root), "--no-store", "--no-write", "--json", "--num-workers", "0"]
    for task in TASKS:
        args += ["--task", task]
    code = main(args)
    out = capsys.readouterr()
    assert code == 0, out.err
    results = {r["task"]["name"]: r for r in json.loads(out.out)}
    assert set(results) == set(TASKS)
    expected_metrics = {
        "pope_random": {"accuracy", "precision", "recall", "f1", "yes_ratio"},
        "mme": {"perception", "cognition", "mme_artwork", "mme_ocr", "mme_code_reasoning"},
        "docvqa_val": {"anls"}, "infovqa_val": {"anls"},
        "chartqa_test": {"relaxed_accuracy", "relaxed_accuracy_human", "relaxed_accuracy_augmented"},
        "ocrbench": {"accuracy", "accuracy_regular_text_recognition", "accuracy_irregular_text_recognition",
                     "accuracy_handwritten_mathematical_expression_recognition", "accuracy_doc_oriented_vqa"},
    }
    for task, names in expected_metrics.items():
        assert set(results[task]["metrics"]) == names, task
    assert results["pope_random"]["task"]["arguments"]["metrics"] == {"convention": "official"}


# ---- POPE ------------------------------------------------------------------------------------------

# question id -> answer: negations inside sentences, hedges, an empty answer, words that look like no
POPE_ANSWERS = {"1": "Yes", "2": "There is no dog in the image.", "3": "I'm not sure.", "4": "", "5": "Nope",
                "6": "NO", "7": "Yes. But there is no cat.", "8": "No.", "9": "Not really", "10": "Yes, no"}


def test_pope_reads_answers_as_its_evaluate_py(root: Path) -> None:
    result = score("pope_random", root, POPE_ANSWERS)
    # readings: yes no no yes yes yes yes no yes no; labels: yes no yes no yes no yes no yes no
    # TP 4 (1 5 7 9), FN 1 (3), FP 2 (4 6), TN 3 (2 8 10)
    assert result.metrics == pytest.approx({"accuracy": 0.7, "precision": 4 / 6, "recall": 0.8, "f1": 8 / 11, "yes_ratio": 0.6})
    readings = {r["id"]: r["reading"] for r in result.samples}
    assert readings == {"1": "yes", "2": "no", "3": "no", "4": "yes", "5": "yes", "6": "yes", "7": "yes", "8": "no",
                        "9": "yes", "10": "no"}


def test_pope_lmms_eval_convention_is_strict_with_yes_ratio_from_labels(root: Path) -> None:
    result = score("pope_random", root, POPE_ANSWERS, "lmms-eval")
    # only "Yes" (1, right) and "NO" (6, right) are exact; nothing else counts in TP / FP / FN
    assert result.metrics == pytest.approx({"accuracy": 0.2, "precision": 1.0, "recall": 1.0, "f1": 1.0, "yes_ratio": 0.5})
    assert "lmms-eval" in result.notes["convention"] and "8 of 10" in result.notes["unread"]


# ---- MME -------------------------------------------------------------------------------------------

# punctuation, case, abbreviations, leading spaces
MME_ANSWERS = {"artwork/10002.jpg/0": "Yes.", "artwork/10002.jpg/1": "NO",
               "artwork/10049.png/0": "  yes", "artwork/10049.png/1": "n",
               "OCR/0001.jpg/0": " Yes, it is.", "OCR/0001.jpg/1": "No, it is not.",
               "code_reasoning/0020.png/0": "y", "code_reasoning/0020.png/1": "Nope."}


def test_mme_scores_as_its_calculation_py(root: Path) -> None:
    result = score("mme", root, MME_ANSWERS)
    # artwork: 2 of 4 right, 1 of 2 images -> 50 + 50; OCR: all -> 200; code_reasoning: 1 of 2, 0 of 1 -> 50
    assert result.metrics == pytest.approx({"mme_artwork": 100.0, "mme_ocr": 200.0, "mme_code_reasoning": 50.0,
                                            "perception": 300.0, "cognition": 50.0})
    readings = {r["id"]: r["reading"] for r in result.samples}
    assert readings["artwork/10049.png/0"] == "other" and readings["artwork/10049.png/1"] == "other"
    assert readings["code_reasoning/0020.png/0"] == "other" and readings["code_reasoning/0020.png/1"] == "no"
    assert "artwork 2" in result.notes["unread"] and "code_reasoning 1" in result.notes["unread"]


def test_mme_lmms_eval_convention_strips_and_accepts_y_n(root: Path) -> None:
    result = score("mme", root, MME_ANSWERS, "lmms-eval")
    assert result.metrics == pytest.approx({"mme_artwork": 200.0, "mme_ocr": 200.0, "mme_code_reasoning": 200.0,
                                            "perception": 400.0, "cognition": 200.0})


# ---- ANLS ------------------------------------------------------------------------------------------

DOC_ANSWERS = {"49153": "1982",            # exact: 1
               "49154": "  ACME   corp. ", # case and whitespace only: distance 0 -> 1
               "24580": "abcxyz",          # 3 edits / 6 = 0.5: kept (threshold inclusive)
               "24581": "axxxxfg",         # 4 edits / 7 -> 0.43 < 0.5 -> 0
               "57349": "  total  x",      # cleaned "total x" vs "total": 2 edits / raw length 10 -> 0.8
               "57350": "nyc"}             # the best of several references: NYC -> 1


def test_anls_follows_the_official_script(root: Path) -> None:
    result = score("docvqa_val", root, DOC_ANSWERS)
    per = {r["id"]: r["metrics"]["anls"] for r in result.samples}
    assert per == pytest.approx({"49153": 1.0, "49154": 1.0, "24580": 0.5, "24581": 0.0, "57349": 0.8, "57350": 1.0})
    assert result.metrics["anls"] == pytest.approx(4.3 / 6)


def test_anls_on_infographicvqa_layout(root: Path) -> None:
    # "25 %" vs "25%": 1 edit / 4 -> 0.75 (vs "25 percent": 7 / 10 -> 0.3); "Blue." vs "blue": 1 / 5 -> 0.8
    result = score("infovqa_val", root, {"65718": "25 %", "65719": "Blue."})
    assert result.metrics["anls"] == pytest.approx((0.75 + 0.8) / 2)


def test_anls_units() -> None:
    from mmbench.metrics.anls import anls_question, levenshtein

    assert levenshtein("kitten", "sitting") == 3 and levenshtein("", "abc") == 3
    assert anls_question("", [""]) == 1.0
    assert anls_question("abcd", ["abcX"]) == pytest.approx(0.75)
    assert anls_question("ab", ["xy", "ay"]) == pytest.approx(0.5)


# ---- ChartQA ---------------------------------------------------------------------------------------

CHART_ANSWERS = {"human/0": "12%",      # 12 / 100 = 0.12: right
                 "human/1": "1,200",    # a thousands separator is no number: text "1,200" != "1200"
                 "human/2": "105",      # 5 % off: right (inclusive)
                 "human/3": "105.1",    # 5.1 % off: wrong
                 "augmented/0": "0.0",  # target 0: exact match only, "0.0" != "0"
                 "augmented/1": "0",
                 "augmented/2": "yes",  # text: case-insensitive
                 "augmented/3": "Yes "} # not stripped by the official rule


def test_chartqa_relaxed_accuracy_as_pix2struct(root: Path) -> None:
    result = score("chartqa_test", root, CHART_ANSWERS)
    # human: 0 and 2 right; augmented: 1 and 2 right
    assert result.metrics == pytest.approx({"relaxed_accuracy": 4 / 8, "relaxed_accuracy_human": 0.5,
                                            "relaxed_accuracy_augmented": 0.5})


def test_chartqa_vlmevalkit_convention_strips(root: Path) -> None:
    result = score("chartqa_test", root, CHART_ANSWERS, "vlmevalkit")
    # "Yes " stripped is right; "0.0" for a target of 0 is still text
    assert result.metrics == pytest.approx({"relaxed_accuracy": 5 / 8, "relaxed_accuracy_human": 0.5,
                                            "relaxed_accuracy_augmented": 0.75})


# ---- OCRBench --------------------------------------------------------------------------------------

OCR_ANSWERS = {"IIIT5K/0": "The word is centre.",     # substring after lower-casing
               "svt/0": "HOTEL\n",                    # newline and case
               "HME100k/3": "The answer is x^{2}",     # spaces removed on both sides
               "HME100k/4": "A+B",                     # HME100k keeps case: "a+b" not in "A+B"
               "docVQA/10": "1983",
               "IIIT5K/0#2": "EXIT"}


def test_ocrbench_rule_and_accuracy_over_questions_scored(root: Path) -> None:
    result = score("ocrbench", root, OCR_ANSWERS)
    assert result.metrics == pytest.approx({
        "accuracy": 4 / 6, "accuracy_regular_text_recognition": 1.0, "accuracy_irregular_text_recognition": 1.0,
        "accuracy_handwritten_mathematical_expression_recognition": 0.5, "accuracy_doc_oriented_vqa": 0.0})


@pytest.mark.parametrize("convention, accuracy, hme", [("lmms-eval", 5 / 1000, 1.0), ("vlmevalkit", 4 / 1000, 0.5)])
def test_ocrbench_peer_conventions_divide_by_1000(root: Path, convention: str, accuracy: float, hme: float) -> None:
    result = score("ocrbench", root, OCR_ANSWERS, convention)
    assert result.metrics["accuracy"] == pytest.approx(accuracy)
    assert result.metrics["accuracy_handwritten_mathematical_expression_recognition"] == pytest.approx(hme)
    assert "1000" in result.notes["divisor"]


# ---- conventions -----------------------------------------------------------------------------------

def test_unknown_convention_is_refused_before_the_model_loads(root: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from mmbench.tasks.spec import load_task_spec

    raw = yaml.safe_load(Path(load_task_spec("mme").source).read_text(encoding="utf-8"))
    raw["metrics"] = {"convention": "vlmevalkit"}
    path = tmp_path / "mme_vlmevalkit.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    capsys.readouterr()
    code = main(["run", "--task", str(path), "--model", "mock", "--data-dir", str(root), "--no-store", "--no-write"])
    err = capsys.readouterr().err
    assert code == 2 and "convention 'vlmevalkit' is not offered for task type mme" in err and "Traceback" not in err


def test_convention_by_metric_arg_is_recorded_and_compare_refuses_to_pair_conventions(
        root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["run", "--task", "pope_random", "--model", "mock", "--data-dir", str(root), "--no-store", "--num-workers", "0"]
    assert main([*common, "--output-dir", str(tmp_path / "official")]) == 0
    assert main([*common, "--output-dir", str(tmp_path / "lmms"), "--metric-arg", "convention=lmms-eval"]) == 0
    [peer] = [json.loads(p.read_text()) for p in (tmp_path / "lmms").rglob("*.json") if not p.name.endswith(".samples.json")]
    assert peer["task"]["arguments"]["metrics"]["convention"] == "lmms-eval"
    assert "lmms-eval" in peer["metric_notes"]["convention"]
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "official"), str(tmp_path / "lmms")]) == 2
    assert "metric options differ" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "official"), str(tmp_path / "lmms"), "--allow-mismatch"]) in (0, 1)


def test_bad_convention_on_the_command_line_is_one_line(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["run", "--task", "ocrbench", "--model", "mock", "--data-dir", str(root), "--no-store", "--no-write",
                 "--metric-arg", "convention=vlmeval"])
    err = capsys.readouterr().err
    assert code == 2 and "convention=vlmeval: not one of official, lmms-eval, vlmevalkit" in err


def test_reported_rows_with_their_sources() -> None:
    from mmbench.report.reference import REPORTED

    rows = {(r.model, r.task): r for r in REPORTED}
    # as docs/reported.md transcribes the sources (LLaVA MODEL_ZOO.md, Qwen2-VL README.md)
    assert rows[("LLaVA-1.5-7B", "mme")].metrics == {"perception": 1510.7}
    assert rows[("LLaVA-1.5-7B", "pope")].metrics == {"mean": 0.859}
    assert rows[("LLaVA-1.6 (Vicuna-7B)", "mme")].metrics == {"perception": 1519.0, "cognition": 332.0}
    assert rows[("Qwen2-VL-7B-Instruct", "chartqa_test")].metrics == {"relaxed_accuracy": 0.830}
    assert rows[("Qwen2-VL-7B-Instruct", "ocrbench")].metrics == {"accuracy": 0.845}
    documented = (Path(__file__).resolve().parents[1] / "docs" / "reported.md").read_text(encoding="utf-8")
    assert all(f"`{task}`" in documented for task in ("pope", "mme", "chartqa_test", "ocrbench"))
    # Qwen's READMEs print DocVQA / InfoVQA on the test split only: the val rows come from InternVL's
    # README (internvl_chat/README.md at 3a0f8a8), whose columns read "DocVQA (val/test)" 90.5 / 90.8
    # and "InfoVQA (val/test)" 72.4 / 72.5 for InternVL-Chat-V1-5: the val halves, ANLS
    assert "DocVQA<sub>test</sub>, InfoVQA<sub>test</sub>" in documented
    val_rows = {r.task: r for r in REPORTED if r.task in ("docvqa_val", "infovqa_val")}
    assert {t: (r.model, r.metrics) for t, r in val_rows.items()} == {
        "docvqa_val": ("InternVL-Chat-V1-5", {"anls": 0.905}), "infovqa_val": ("InternVL-Chat-V1-5", {"anls": 0.724})}
    assert all("3a0f8a8" in r.source for r in val_rows.values())
    # InternVL-Chat-V1-5's MME "1637.8 / 550.0" and POPE 88.3, on MME's own scale and the 0-1 scale
    assert rows[("InternVL-Chat-V1-5", "mme")].metrics == {"perception": 1637.8, "cognition": 550.0}
    assert rows[("InternVL-Chat-V1-5", "pope")].metrics == {"mean": 0.883}
    for printed in ("| 90.5 |", "| 72.4 |", "| 1637.8 / 550.0 |", "| 88.3 |"):
        assert printed in documented
    # OCRBench's leaderboard (echo840/ocrbench-leaderboard): LLaVA1.5-7B 160 / 117 / 15 / 5 / 0, Final Score 297;
    # text recognition 43 / 40 / 41 / 26 / 5 / 5 of 50 each (sum 160); the per-type totals of OCRBench/example.py
    llava_ocr = rows[("LLaVA-1.5-7B", "ocrbench")]
    assert "4936caa" in llava_ocr.source and "e7d183c" in llava_ocr.source
    assert llava_ocr.metrics["accuracy"] == pytest.approx((160 + 117 + 15 + 5 + 0) / 1000) == pytest.approx(0.297)
    recognition = ("regular_text_recognition", "irregular_text_recognition", "artistic_text_recognition",
                   "handwriting_recognition", "digit_string_recognition", "non_semantic_text_recognition")
    assert [llava_ocr.metrics[f"accuracy_{k}"] for k in recognition] == pytest.approx([0.86, 0.80, 0.82, 0.52, 0.10, 0.10])
    assert sum(llava_ocr.metrics[f"accuracy_{k}"] * 50 for k in recognition) == pytest.approx(160)
    assert [llava_ocr.metrics[f"accuracy_{k}"] for k in ("scene_text_centric_vqa", "doc_oriented_vqa", "key_information_extraction",
                                                         "handwritten_mathematical_expression_recognition")] == \
        pytest.approx([117 / 200, 15 / 200, 5 / 200, 0.0])
    assert "| 297 (accuracy 0.297) |" in documented and "`LLaVA1.5-7B,160,117,15,5,0,297`" in documented
    # LLaVA-1.5-7B has no document or chart row: named in the docs, not filled with guesses
    assert not {("LLaVA-1.5-7B", t) for t in ("chartqa_test", "docvqa_val", "infovqa_val")} & set(rows)
    assert "LLaVA-1.5-7B on `chartqa_test`, `docvqa_val` and `infovqa_val`." in documented


def test_pope_hub_copy_in_lmms_lab_schema_gives_the_official_samples(root: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-lab/POPE as its repository holds it (data/test-0000k-of-00003.parquet: id, question_id
    as a string, question, answer, image_source, image, category), the three settings in one table:
    ``pope_random@hf`` keeps the random rows and gives the official run's ids, texts and metrics."""
    import shutil

    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    features = datasets.Features({"id": datasets.Value("string"), "question_id": datasets.Value("string"),
                                  "question": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "image_source": datasets.Value("string"), "image": datasets.Image(),
                                  "category": datasets.Value("string")})
    copy = tmp_path / "data"
    shutil.copytree(root / "pope", copy / "pope")
    rows: dict[str, list[Any]] = {name: [] for name in features}
    for category in ("random", "adversarial"):
        for (qid, name, label), obj in zip(files.POPE, files.POPE_OBJECTS):
            path = root / "pope" / "val2014" / name
            rows["id"].append(f"{category}-{qid}")
            rows["question_id"].append(str(qid))
            rows["question"].append(f"Is there a {obj} in the image?")
            rows["answer"].append(label)
            rows["image_source"].append(Path(name).stem)
            rows["image"].append({"bytes": path.read_bytes(), "path": name})
            rows["category"].append(category)
    shard = copy / "hub" / "lmms-lab" / "POPE" / "data" / "test-00000-of-00003.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))

    def run(*extra: str) -> dict[str, Any]:
        capsys.readouterr()
        code = main(["run", "--task", "pope_random", "--model", "mock", "--data-dir", str(copy), "--no-store",
                     "--no-write", "--json", "--num-workers", "0", *extra])
        out = capsys.readouterr()
        assert code == 0, out.err
        return json.loads(out.out)[0]

    official, hub = run(), run("--data", "hf")
    assert hub["metrics"] == official["metrics"] and hub["task"]["arguments"]["data"]["path"] == "lmms-lab/POPE"
    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    samples = load_split(load_task_spec("pope_random@hf").data, copy).samples
    assert [(s.id, s.texts, s.meta["question"]) for s in samples] == \
        [(s.id, s.texts, s.meta["question"]) for s in load_split(load_task_spec("pope_random").data, copy).samples]


@pytest.mark.parametrize("task, folder, official", [("docvqa_val", "DocVQA", files.DOCVQA),
                                                   ("infovqa_val", "InfographicVQA", files.INFOVQA)])
def test_docvqa_hub_copy_in_lmms_lab_schema_gives_the_official_samples(root: Path, tmp_path: Path, task: str, folder: str,
                                                                       official: list[Any],
                                                                       capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-lab/DocVQA as its repository holds it: one folder per configuration
    (<config>/validation-0000k-of-0000n.parquet) whose rows carry questionId as a string, question,
    answers (a list) and image, the columns lmms-eval's docvqa / infovqa utils read, beside others
    the reader must ignore (question_types, docId, data_split ...). ``<task>@hf`` gives the official
    run's ids, references, questions and ANLS, and the hub section's note is printed."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    features = datasets.Features({"questionId": datasets.Value("string"), "question": datasets.Value("string"),
                                  "question_types": datasets.Sequence(datasets.Value("string")),
                                  "image": datasets.Image(), "docId": datasets.Value("int64"),
                                  "answers": datasets.Sequence(datasets.Value("string")),
                                  "data_split": datasets.Value("string")})
    official_dir = "docvqa/val" if task == "docvqa_val" else "infovqa/infographicsvqa_images"
    rows: dict[str, list[Any]] = {name: [] for name in features}
    for i, (qid, image_name, _, question, answers) in enumerate(official):
        name = f"documents/{image_name}.png" if task == "docvqa_val" else image_name
        rows["questionId"].append(str(qid))
        rows["question"].append(question)
        rows["question_types"].append(["form"])
        rows["image"].append({"bytes": (root / official_dir / name).read_bytes(), "path": Path(name).name})
        rows["docId"].append(100 + i)
        rows["answers"].append(answers)
        rows["data_split"].append("val")
    shard = tmp_path / "hub" / "lmms-lab" / "DocVQA" / folder / "validation-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))
    # a second configuration's shard in the same repository must not leak into this task
    other = "InfographicVQA" if folder == "DocVQA" else "DocVQA"
    (shard.parent.parent / other).mkdir()
    datasets.Dataset.from_dict({**{k: v[:1] for k, v in rows.items()}, "questionId": ["999999"]},
                               features=features).to_parquet(str(shard.parent.parent / other / "validation-00000-of-00001.parquet"))

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    hub = load_split(load_task_spec(f"{task}@hf").data, tmp_path).samples
    ref = load_split(load_task_spec(task).data, root).samples
    assert [(s.id, s.texts, s.meta["question"]) for s in hub] == [(s.id, s.texts, s.meta["question"]) for s in ref]
    assert [s.id for s in hub] == [str(entry[0]) for entry in official]

    def run(data_dir: Path, *extra: str) -> dict[str, Any]:
        capsys.readouterr()
        code = main(["run", "--task", task, "--model", "mock", "--data-dir", str(data_dir), "--no-store",
                     "--no-write", "--json", "--num-workers", "0", *extra])
        out = capsys.readouterr()
        assert code == 0, out.err
        return {"result": json.loads(out.out)[0], "err": out.err}

    official_run, hub_run = run(root)["result"], run(tmp_path, "--data", "hf")
    assert hub_run["result"]["metrics"] == official_run["metrics"]
    assert hub_run["result"]["task"]["arguments"]["data"]["path"] == "lmms-lab/DocVQA"
    assert "were not compared one by one" in hub_run["err"]


# ---- mmbench score --task on prediction files keyed by the benchmarks' ids -------------------------

SCORE_CASES = [
    ("pope_random", POPE_ANSWERS, None, {"accuracy": 0.7, "precision": 4 / 6, "recall": 0.8, "f1": 8 / 11, "yes_ratio": 0.6}),
    ("pope_random", POPE_ANSWERS, "lmms-eval", {"accuracy": 0.2, "precision": 1.0, "recall": 1.0, "f1": 1.0, "yes_ratio": 0.5}),
    ("mme", MME_ANSWERS, None, {"mme_artwork": 100.0, "mme_ocr": 200.0, "mme_code_reasoning": 50.0,
                                "perception": 300.0, "cognition": 50.0}),
    ("mme", MME_ANSWERS, "lmms-eval", {"mme_artwork": 200.0, "mme_ocr": 200.0, "mme_code_reasoning": 200.0,
                                       "perception": 400.0, "cognition": 200.0}),
    ("docvqa_val", DOC_ANSWERS, None, {"anls": 4.3 / 6}),
    ("infovqa_val", {"65718": "25 %", "65719": "Blue."}, None, {"anls": (0.75 + 0.8) / 2}),
    ("chartqa_test", CHART_ANSWERS, None, {"relaxed_accuracy": 0.5, "relaxed_accuracy_human": 0.5,
                                           "relaxed_accuracy_augmented": 0.5}),
    ("chartqa_test", CHART_ANSWERS, "vlmevalkit", {"relaxed_accuracy": 5 / 8, "relaxed_accuracy_human": 0.5,
                                                   "relaxed_accuracy_augmented": 0.75}),
    ("ocrbench", OCR_ANSWERS, None, {"accuracy": 4 / 6, "accuracy_regular_text_recognition": 1.0,
                                     "accuracy_irregular_text_recognition": 1.0,
                                     "accuracy_handwritten_mathematical_expression_recognition": 0.5,
                                     "accuracy_doc_oriented_vqa": 0.0}),
    ("ocrbench", OCR_ANSWERS, "vlmevalkit", {"accuracy": 4 / 1000, "accuracy_regular_text_recognition": 1.0,
                                             "accuracy_irregular_text_recognition": 1.0,
                                             "accuracy_handwritten_mathematical_expression_recognition": 0.5,
                                             "accuracy_doc_oriented_vqa": 0.0}),
]


@pytest.mark.parametrize("task, answers, convention, expected", SCORE_CASES,
                         ids=[f"{c[0]}-{c[2] or 'official'}" for c in SCORE_CASES])
def test_score_task_cli_on_prediction_files(task: str, answers: dict[str, str], convention: str | None,
                                            expected: dict[str, float], root: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # POPE ids written as JSON numbers (as POPE's own answer files hold them); the others as strings
    rows = [{"id": int(i) if task.startswith("pope") else i, "prediction": p} for i, p in answers.items()]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    capsys.readouterr()
    extra = ["--metric-arg", f"convention={convention}"] if convention else []
    code = main(["score", "--task", task, "--predictions", str(path), "--data-dir", str(root), "--json", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out) == pytest.approx(expected)


def test_pope_group_summary_is_the_mean_f1(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["run", "--task", "pope", "--model", "mock", "--data-dir", str(root), "--no-store", "--no-write", "--json",
                 "--num-workers", "0"])
    out = capsys.readouterr()
    assert code == 0, out.err
    results = {r["task"]["name"]: r for r in json.loads(out.out)}
    f1s = [results[f"pope_{s}"]["metrics"]["f1"] for s in ("random", "popular", "adversarial")]
    assert len(set(f1s)) > 1 and results["pope"]["metrics"]["mean"] == pytest.approx(sum(f1s) / 3)


def test_tables_print_mme_scores_as_they_are_and_others_x100() -> None:
    from mmbench.report.reference import REPORTED
    from mmbench.report.tables import reported_markdown

    text = reported_markdown([r for r in REPORTED if r.task in ("mme", "ocrbench")])
    assert "perception 1510.70" in text and "cognition 332.00" in text  # MME's own scale (max 2000 / 800)
    assert "accuracy 84.50" in text  # a 0-1 metric, x100


def test_mme_judge_fallback_maps_only_answers_read_as_other(root: Path) -> None:
    """``judge_unmapped``: the three answers MME's rule reads as other go to the judge; its "Yes" and
    "No" replace two of them, its "unclear" leaves the third wrong. Hand-computed from the data's
    gold answers: artwork 4 of 4 and both images -> 200; OCR 200; code_reasoning 1 of 2, 0 of 1 -> 50."""
    from mmbench.data import load_split
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec

    spec = load_task_spec("mme")
    spec = dataclasses.replace(spec, metrics={**spec.metrics, "judge_unmapped": True})
    task = task_types.get(spec.type)(spec, load_split(spec.data, root))
    answers = [MME_ANSWERS[s.id] for s in task.samples]
    [stage] = task.next_stages({"answers": answers}, frozenset())
    assert (stage.name, stage.model) == ("judge", "judge")
    asked = [item.id for item in stage.items]
    assert asked == ["artwork/10049.png/0", "artwork/10049.png/1", "code_reasoning/0020.png/0"]
    first = stage.items[0].conversation[0]["content"][0]["text"]
    assert "Is this artwork titled The Last Supper?" in first and "The model's answer:   yes\n" in first
    result = task.score({"answers": answers, "judge": ["Yes", "No", "unclear"]}, frozenset())
    assert result.metrics == pytest.approx({"mme_artwork": 200.0, "mme_ocr": 200.0, "mme_code_reasoning": 50.0,
                                            "perception": 400.0, "cognition": 50.0, "judged": 2.0})
    records = {r["id"]: r for r in result.samples}
    assert records["artwork/10049.png/1"]["prediction"] == "n" and records["artwork/10049.png/1"]["reading_rule"] == "judge"
    assert records["code_reasoning/0020.png/0"]["reading_rule"] is None
    assert result.notes["judged"].startswith("3 answers the rule (official) read as neither yes nor no went to the judge; "
                                             "it read 2 of them")  # what the rule could not read is still counted
    assert "code_reasoning 1" in result.notes["unread"] and "artwork" not in result.notes["unread"]
    assert task_types.get("mme").uses_judge(spec.metrics) and task_types.get("yes_no").judge_prompt_version == "mmbench-yes-no-judge-v1"


def _hub_run(task: str, data_dir: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(["run", "--task", task, "--model", "mock", "--data-dir", str(data_dir), "--no-store",
                 "--no-write", "--json", "--num-workers", "0", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return {"result": json.loads(out.out)[0], "err": out.err}


def test_mme_hub_copy_in_lmms_lab_schema_gives_the_official_samples(root: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-lab/MME as its repository holds it (data/test-0000k-of-00004-<hash>.parquet: question_id
    ``<category>/<image file name>`` shared by an image's two rows, image, question, answer,
    category). The rows come in another order than the release's categories, and an image's two rows
    are not adjacent: ``mme@hf`` numbers each question_id's rows 0, 1 in row order and gives the
    official ids (artwork/10002.jpg/0 ...), answers, questions and scores."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    features = datasets.Features({"question_id": datasets.Value("string"), "image": datasets.Image(),
                                  "question": datasets.Value("string"), "answer": datasets.Value("string"),
                                  "category": datasets.Value("string")})
    release = root / "mme" / "MME_Benchmark_release_version"
    items = [(category, name, pair, release / category / "images" / name) for category, entries in files.MME_SPLIT.items()
             for name, _, pair in entries]
    items += [(category, name, pair, release / category / name) for category, entries in files.MME_BESIDE.items()
              for name, _, pair in entries]
    order = [(item, line) for line in (0, 1) for item in reversed(items)]  # every image's first line, then its second
    rows: dict[str, list[Any]] = {name: [] for name in features}
    for (category, name, pair, path), line in order:
        rows["question_id"].append(f"{category}/{name}")
        rows["image"].append({"bytes": path.read_bytes(), "path": name})
        rows["question"].append(pair[line][0])
        rows["answer"].append(pair[line][1])
        rows["category"].append(category)
    shard = tmp_path / "hub" / "lmms-lab" / "MME" / "data" / "test-00000-of-00004-a25dbe3b44c4fda6.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    hub = load_split(load_task_spec("mme@hf").data, tmp_path).samples
    assert [s.id for s in hub][:2] == ["code_reasoning/0020.png/0", "OCR/0001.jpg/0"]  # row order, numbered per image
    ref = load_split(load_task_spec("mme").data, root).samples
    key = lambda s: (s.id, s.texts, s.meta["question"], s.meta["question_stem"], s.meta["category"], s.meta["image_name"])
    assert sorted(map(key, hub)) == sorted(map(key, ref))
    official_run, hub_run = _hub_run("mme", root, capsys)["result"], _hub_run("mme", tmp_path, capsys, "--data", "hf")
    assert hub_run["result"]["metrics"] == official_run["metrics"]
    assert hub_run["result"]["task"]["arguments"]["data"]["path"] == "lmms-lab/MME"
    assert "keeps the release's line order" in hub_run["err"]

    # a question_id that is not <category>/<image> is refused, naming the row
    rows["question_id"][3] = "artwork"
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache-2")
    from mmbench.errors import DataError

    with pytest.raises(DataError, match=r"row 3: question_id 'artwork' is not '<category>/<image file name>'"):
        load_split(load_task_spec("mme@hf").data, tmp_path)


def test_chartqa_hub_copy_in_lmms_lab_schema_gives_the_official_samples(root: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-lab's ChartQA copy (data/test-00000-of-00001.parquet: type human_test / augmented_test,
    question, answer, image), both files in one table, the two types interleaved: ``chartqa_test@hf``
    numbers each type's rows in row order and gives the official ids (human/0 ... augmented/3),
    labels, questions, subsets and relaxed accuracy."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    features = datasets.Features({"type": datasets.Value("string"), "question": datasets.Value("string"),
                                  "answer": datasets.Value("string"), "image": datasets.Image()})
    rows: dict[str, list[Any]] = {name: [] for name in features}
    for human, augmented in zip(files.CHART_HUMAN, files.CHART_AUGMENTED):
        for kind, (name, _, question, label) in (("human_test", human), ("augmented_test", augmented)):
            rows["type"].append(kind)
            rows["question"].append(question)
            rows["answer"].append(label)
            rows["image"].append({"bytes": (root / "chartqa" / "test" / "png" / name).read_bytes(), "path": name})
    shard = tmp_path / "hub" / "lmms-lab-encoder" / "ChartQA" / "data" / "test-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    hub = load_split(load_task_spec("chartqa_test@hf").data, tmp_path).samples
    assert [s.id for s in hub][:4] == ["human/0", "augmented/0", "human/1", "augmented/1"]
    ref = load_split(load_task_spec("chartqa_test").data, root).samples
    key = lambda s: (s.id, s.texts, s.meta["question"], s.meta["subset"])
    assert sorted(map(key, hub)) == sorted(map(key, ref))
    official_run, hub_run = _hub_run("chartqa_test", root, capsys)["result"], _hub_run("chartqa_test", tmp_path, capsys, "--data", "hf")
    assert hub_run["result"]["metrics"] == official_run["metrics"]
    assert hub_run["result"]["task"]["arguments"]["data"]["path"] == "lmms-lab-encoder/ChartQA"
    assert "assumes the copy keeps each file's order" in hub_run["err"]


def test_occurrence_ids_number_each_id_in_row_order() -> None:
    from mmbench.data.hf_ids import occurrence_ids

    assert occurrence_ids(["a", "b", "a", "a", "b", "c"]) == ["a/0", "b/0", "a/1", "a/2", "b/1", "c/0"]
    assert occurrence_ids([]) == []


def test_every_benchmark_of_issues_22_and_23_has_a_current_model_row_and_llava_15_or_a_named_gap() -> None:
    """Reported rows: a 2024 model (Qwen2-VL, Qwen2.5-VL, InternVL-Chat-V1-2 / V1-5) on every task of the
    multiple-choice and yes/no-documents issues, and LLaVA-1.5-7B on each except the four that
    docs/reported.md names as still without a sourced number."""
    from mmbench.report.reference import REPORTED

    tasks = ("mmbench_en_dev", "mmstar", "mmmu_val", "scienceqa_img", "seedbench_img", "ai2d_test", "realworldqa",
             "pope", "mme", "docvqa_val", "infovqa_val", "chartqa_test", "ocrbench")
    current = {"Qwen2-VL-7B-Instruct", "Qwen2.5-VL-7B", "InternVL-Chat-V1-2", "InternVL-Chat-V1-5"}
    by_task: dict[str, set[str]] = {}
    for row in REPORTED:
        by_task.setdefault(row.task, set()).add(row.model)
    assert [t for t in tasks if not by_task.get(t, set()) & current] == []
    missing_llava = [t for t in tasks if "LLaVA-1.5-7B" not in by_task.get(t, set())]
    assert missing_llava == ["realworldqa", "docvqa_val", "infovqa_val", "chartqa_test"]
    documented = (Path(__file__).resolve().parents[1] / "docs" / "reported.md").read_text(encoding="utf-8")
    assert "`realworldqa` for LLaVA-1.5-7B" in documented
    assert "LLaVA-1.5-7B on `chartqa_test`, `docvqa_val` and `infovqa_val`." in documented
