"""Miniature copies of POPE, MME, DocVQA, InfographicVQA, ChartQA and OCRBench in their official
layouts (file and folder names, nesting, field names and types, JSON formatting), with the
questions and references the scoring tests need. Images are tiny solid-colour squares
(tests/suite_files.image) so the mock model answers deterministically.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.suite_files import image, write_json

# POPE: (question_id, image, label); the questions alternate yes / no as in the real files
POPE = [(1, "COCO_val2014_000000310196.jpg", "yes"), (2, "COCO_val2014_000000310196.jpg", "no"),
        (3, "COCO_val2014_000000310196.jpg", "yes"), (4, "COCO_val2014_000000310196.jpg", "no"),
        (5, "COCO_val2014_000000310196.jpg", "yes"), (6, "COCO_val2014_000000310196.jpg", "no"),
        (7, "COCO_val2014_000000210789.jpg", "yes"), (8, "COCO_val2014_000000210789.jpg", "no"),
        (9, "COCO_val2014_000000210789.jpg", "yes"), (10, "COCO_val2014_000000210789.jpg", "no")]
POPE_OBJECTS = ["snowboard", "dog", "person", "cat", "skis", "car", "bench", "zebra", "bird", "truck"]

# MME: category -> [(image file name, colour, [(question, Yes|No), (question, Yes|No)])]
MME_SPLIT = {  # images/ + questions_answers_YN/
    "artwork": [("10002.jpg", "red", [("Is this artwork created by Bartolome Esteban Murillo? Please answer yes or no.", "Yes"),
                                      ("Is this artwork created by Francesco Bassano? Please answer yes or no.", "No")]),
                ("10049.png", "blue", [("Is this artwork titled The Last Supper?  Please answer yes or no.", "Yes"),
                                       ("Is this artwork titled Sunflowers?  Please answer yes or no.", "No")])],
}
MME_BESIDE = {  # <stem>.jpg|png beside <stem>.txt
    "OCR": [("0001.jpg", "green", [("Is the word in the logo \"high time coffee shop\"? Please answer yes or no.", "Yes"),
                                   ("Is the word in the logo \"high tite cofeee shop\"? Please answer yes or no.", "No")])],
    "code_reasoning": [("0020.png", "yellow", [("The image shows a python code. Will the output be 8? Please answer yes or no.", "Yes"),
                                               ("The image shows a python code. Will the output be 9? Please answer yes or no.", "No")])],
}

# DocVQA val_v1.0_withQT.json entries: (questionId, page, colour, question, answers)
DOCVQA = [(49153, "pybv0228_81", "red", "What is the year on the cover?", ["1982", "the year 1982"]),
          (49154, "pybv0228_81", "red", "Who is the publisher?", ["Acme Corp."]),
          (24580, "mxcj0037_2", "blue", "What is the code?", ["abcdef"]),
          (24581, "mxcj0037_2", "blue", "What is the reference?", ["abcdefg"]),
          (57349, "txpn0095_1", "green", "What is written in the last row?", ["Total"]),
          (57350, "txpn0095_1", "green", "Which city?", ["New York", "NYC"])]
# InfographicVQA val entries: (questionId, image_local_name, colour, question, answers)
INFOVQA = [(65718, "37313.jpeg", "purple", "What percentage of people are left-handed?", ["25%", "25 percent"]),
           (65719, "37313.jpeg", "purple", "What is the colour of the heading?", ["blue"])]
# ChartQA: (imgname, colour, query, label) per file
CHART_HUMAN = [("41699051005347.png", "red", "What percentage is shown for 2019?", "0.12"),
               ("41699051005347.png", "red", "What is the total?", "1200"),
               ("8127.png", "blue", "What's the value of the lowest bar?", "100"),
               ("8127.png", "blue", "What's the value of the highest bar?", "100")]
CHART_AUGMENTED = [("two_col_1234.png", "green", "What was the change in 2020?", "0"),
                   ("two_col_1234.png", "green", "What was the change in 2021?", "0"),
                   ("multi_col_80.png", "yellow", "Is the value of Africa greater than Asia?", "Yes"),
                   ("multi_col_80.png", "yellow", "Is the value of Europe greater than Asia?", "Yes")]
# OCRBench entries: (dataset_name, id, image_path, colour, question, answers, type)
OCRBENCH = [("IIIT5K", 0, "IIIT5K/1002_1.png", "red", "what is written in the image?", ["CENTRE"], "Regular Text Recognition"),
            ("svt", 0, "svt/img/00_13.jpg", "blue", "what is written in the image?", ["hotel"], "Irregular Text Recognition"),
            ("HME100k", 3, "HME100k/train_10.jpg", "green", "Please write out the expression of the formula in the image using LaTeX format.",
             ["x ^ { 2 }"], "Handwritten Mathematical Expression Recognition"),
            ("HME100k", 4, "HME100k/train_11.jpg", "yellow", "Please write out the expression of the formula in the image using LaTeX format.",
             ["a + b"], "Handwritten Mathematical Expression Recognition"),
            ("docVQA", 10, "docVQA/ffbf0023_4.png", "purple", "What is the year?", ["1982", "nineteen eighty-two"], "Doc-oriented VQA"),
            ("IIIT5K", 0, "IIIT5K/1009_2.png", "orange", "what is written in the image?", "exit", "Regular Text Recognition")]


def pope(root: Path, setting: str = "random") -> None:
    folder = root / "pope"
    lines = [json.dumps({"question_id": qid, "image": name, "text": f"Is there a {obj} in the image?", "label": label})
             for (qid, name, label), obj in zip(POPE, POPE_OBJECTS)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"coco_pope_{setting}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, colour in {"COCO_val2014_000000310196.jpg": "red", "COCO_val2014_000000210789.jpg": "blue"}.items():
        image(folder / "val2014" / name, colour)


def mme(root: Path) -> None:
    release = root / "mme" / "MME_Benchmark_release_version"
    for category, items in MME_SPLIT.items():
        for name, colour, pair in items:
            image(release / category / "images" / name, colour)
            _mme_txt(release / category / "questions_answers_YN" / (Path(name).stem + ".txt"), pair)
    for category, items in MME_BESIDE.items():
        for name, colour, pair in items:
            image(release / category / name, colour)
            _mme_txt(release / category / (Path(name).stem + ".txt"), pair)


def _mme_txt(path: Path, pair: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{q}\t{a}\n" for q, a in pair), encoding="utf-8")


def docvqa(root: Path) -> None:
    val = root / "docvqa" / "val"
    data = [{"questionId": qid, "question": q, "question_types": ["handwritten", "form"], "image": f"documents/{page}.png",
             "docId": 14465 + i, "ucsf_document_id": page.split("_")[0], "ucsf_document_page_no": page.split("_")[1],
             "answers": answers, "data_split": "val"} for i, (qid, page, _, q, answers) in enumerate(DOCVQA)]
    write_json(val / "val_v1.0_withQT.json", {"dataset_name": "docvqa", "dataset_split": "val", "dataset_version": "1.0", "data": data})
    for _, page, colour, _, _ in DOCVQA:
        image(val / "documents" / f"{page}.png", colour)


def infovqa(root: Path) -> None:
    folder = root / "infovqa"
    data = [{"questionId": qid, "question": q, "image_local_name": name, "image_url": f"https://example.org/{name}",
             "ocr_output_file": name.replace(".jpeg", ".json"), "answers": answers, "data_split": "val",
             "answer_type": ["single span"], "evidence": ["text"], "operation/reasoning": []}
            for qid, name, _, q, answers in INFOVQA]
    write_json(folder / "infographicsVQA_val_v1.0_withQT.json",
               {"dataset_name": "infographicVQA", "dataset_version": "1.0", "dataset_split": "val", "data": data})
    for _, name, colour, _, _ in INFOVQA:
        image(folder / "infographicsvqa_images" / name, colour)


def chartqa(root: Path) -> None:
    test = root / "chartqa" / "test"
    for subset, rows in (("human", CHART_HUMAN), ("augmented", CHART_AUGMENTED)):
        # the release's formatting: one line, json.dumps' default separators
        (test).mkdir(parents=True, exist_ok=True)
        (test / f"test_{subset}.json").write_text(json.dumps([{"imgname": n, "query": q, "label": label} for n, _, q, label in rows]),
                                                  encoding="utf-8")
        for name, colour, _, _ in rows:
            image(test / "png" / name, colour)


def ocrbench(root: Path) -> None:
    folder = root / "ocrbench"
    entries = [{"dataset_name": d, "id": i, "image_path": p, "question": q, "answers": a, "type": t}
               for d, i, p, _, q, a, t in OCRBENCH]
    (folder / "OCRBench").mkdir(parents=True, exist_ok=True)
    (folder / "OCRBench" / "OCRBench.json").write_text(json.dumps(entries, indent=4, ensure_ascii=False), encoding="utf-8")
    for _, _, path, colour, _, _, _ in OCRBENCH:
        image(folder / "OCRBench_Images" / path, colour)


def all_benchmarks(root: Path) -> None:
    for setting in ("random", "popular", "adversarial"):
        pope(root, setting)
    for writer in (mme, docvqa, infovqa, chartqa, ocrbench):
        writer(root)
