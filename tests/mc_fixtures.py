"""Miniature copies of the multiple-choice benchmarks, each in its exact official layout, with
images the mock model can read (one solid-colour square on white: it answers colour questions
with that colour, "how many" with "1", questions starting "is" with "yes", else "a <colour> shape").

``write_mc_data(root)`` writes all seven under ``root`` (the data root ``--data-dir``):
mmbench/MMBench_DEV_EN.tsv (base64 images, circular copies whose image cell holds the original's
index), mmstar/MMStar.tsv (options inline in the question, and one row with A-D columns),
mmmu/<30 subjects>/validation-00000-of-00001.parquet (multi-image and open questions; 28 empty
subjects), scienceqa/ (problems without an image and of another split as distractors),
seedbench/ (a video question as distractor), ai2d/ and realworldqa/ (hub parquet).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 220, 50),
           "white": (245, 245, 245)}


def png(colour: str) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (32, 32), (255, 255, 255) if colour != "white" else (20, 20, 20))
    image.paste(COLOURS[colour], (8, 8, 24, 24))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_tsv(path: Path, rows: list[list[str]]) -> None:
    """A TSV as pandas' ``to_csv(sep="\\t")`` writes it (VLMEvalKit's files): cells with a tab,
    a quote or a newline quoted."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="\t", lineterminator="\n").writerows(rows)


def b64(colour: str) -> str:
    return base64.b64encode(png(colour)).decode()


# ---- MMBench: index question hint A B C D answer category image source l2-category comment split
MMBENCH_ROWS = [
    # index, question, hint, options, answer, category, l2, image (colour, or the original's index for a copy)
    (1, "What colour is the shape?", "", ("blue", "red", "green"), "B", "color_recognition", "Coarse Perception", "red"),
    (1000001, "What colour is the shape?", "", ("red", "green", "blue"), "A", "color_recognition", "Coarse Perception", "1"),
    (2000001, "What colour is the shape?", "", ("green", "blue", "red"), "C", "color_recognition", "Coarse Perception", "1"),
    (2, "What colour is the shape?", "Look at the centre.", ("red", "blue"), "A", "color_recognition", "Coarse Perception", "green"),
    (1000002, "What colour is the shape?", "Look at the centre.", ("blue", "red"), "B", "color_recognition", "Coarse Perception", "2"),
    (3, "Which shape is shown?", "", ("a circle", "a yellow shape"), "B", "object_localization",
     "Fine-grained Perception (single-instance)", "yellow"),
    (1000003, "Which shape is shown?", "", ("a yellow shape", "a circle"), "A", "object_localization",
     "Fine-grained Perception (single-instance)", "3"),
    (4, "What colour is the shape?", "", ("red", "blue"), "A", "image_emotion", "Coarse Perception", "red"),
    (1000004, "What colour is the shape?", "", ("blue", "red"), "B", "image_emotion", "Coarse Perception", "4"),
]


def write_mmbench(root: Path) -> Path:
    folder = root / "mmbench"
    folder.mkdir(parents=True, exist_ok=True)
    header = ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "image", "source", "l2-category",
              "comment", "split"]
    lines = [header]
    for index, question, hint, options, answer, category, l2, image in MMBENCH_ROWS:
        cells = list(options) + [""] * (4 - len(options))
        image_cell = image if image.isdigit() else b64(image)
        lines.append([str(index), question, hint, *cells, answer, category, image_cell, "synthetic", l2, "", "dev"])
    path = folder / "MMBench_DEV_EN.tsv"
    write_tsv(path, lines)
    return path


def write_mmstar(root: Path) -> Path:
    folder = root / "mmstar"
    folder.mkdir(parents=True, exist_ok=True)
    header = ["index", "question", "answer", "category", "l2_category", "image", "A", "B", "C", "D"]
    rows = [
        ["0", "What colour is the shape?\nOptions: A: red, B: blue, C: green, D: black", "B", "coarse perception",
         "image scene and topic", b64("blue"), "", "", "", ""],
        ["1", "How many shapes are there?\nOptions: A: 1, B: 2, C: 3, D: 4", "A", "fine-grained perception",
         "object counting", b64("red"), "", "", "", ""],
        ["2", "Is the shape red?", "B", "fine-grained perception", "attribute recognition", b64("green"), "yes", "no", "", ""],
    ]
    path = folder / "MMStar.tsv"
    write_tsv(path, [header, *rows])
    return path


MMMU_SUBJECTS = ("Accounting", "Agriculture", "Architecture_and_Engineering", "Art", "Art_Theory",
                 "Basic_Medical_Science", "Biology", "Chemistry", "Clinical_Medicine", "Computer_Science", "Design",
                 "Diagnostics_and_Laboratory_Medicine", "Economics", "Electronics", "Energy_and_Power", "Finance",
                 "Geography", "History", "Literature", "Manage", "Marketing", "Materials", "Math",
                 "Mechanical_Engineering", "Music", "Pharmacy", "Physics", "Psychology", "Public_Health", "Sociology")
MMMU_COLUMNS = ["id", "question", "options", "explanation", *[f"image_{n}" for n in range(1, 8)], "img_type", "answer",
                "topic_difficulty", "question_type", "subfield"]


def _mmmu_row(qid: str, question: str, options: str, answer: str, kind: str, colours: list[str]) -> dict:
    row = {"id": qid, "question": question, "options": options, "explanation": "", "img_type": "['Diagrams']",
           "answer": answer, "topic_difficulty": "Easy", "question_type": kind, "subfield": "Synthetic"}
    for n in range(1, 8):
        row[f"image_{n}"] = {"bytes": png(colours[n - 1]), "path": f"{qid}_{n}.png"} if n <= len(colours) else None
    return row


def write_mmmu(root: Path) -> Path:
    import pandas as pd

    folder = root / "mmmu"
    rows = {
        "Accounting": [_mmmu_row("validation_Accounting_1", "Is the shape in <image 1> red?", "['yes', 'no']", "A",
                                 "multiple-choice", ["red"])],
        "Art": [_mmmu_row("validation_Art_1", "What colour is the shape in <image 1>?", "['red', 'blue', 'green']", "A",
                          "multiple-choice", ["red"]),
                _mmmu_row("validation_Art_2", "How many shapes are in <image 1>? Compare with <image 2>.", "[]", "1",
                          "open", ["blue", "green"])],
    }
    for subject in MMMU_SUBJECTS:
        (folder / subject).mkdir(parents=True, exist_ok=True)
        table = pd.DataFrame(rows.get(subject, []), columns=MMMU_COLUMNS)
        table.to_parquet(folder / subject / "validation-00000-of-00001.parquet")
    return folder


def write_scienceqa(root: Path) -> Path:
    folder = root / "scienceqa"
    problems = {
        "p1": {"question": "What colour is the shape?", "choices": ["red", "blue"], "answer": 0, "hint": "Look closely.",
               "image": "image.png", "subject": "natural science", "grade": "grade2", "split": "test"},
        "p2": {"question": "Which word rhymes with cat?", "choices": ["hat", "dog"], "answer": 0, "hint": "",
               "image": None, "subject": "language science", "grade": "grade1", "split": "test"},
        "p3": {"question": "What colour is the shape?", "choices": ["red", "blue"], "answer": 1, "hint": "",
               "image": "image.png", "subject": "natural science", "grade": "grade2", "split": "train"},
        "p4": {"question": "Which is bigger?", "choices": ["elephant", "mouse"], "answer": 0, "hint": "",
               "image": "image.png", "subject": "social science", "grade": "grade3", "split": "test"},
    }
    for pid, colour, split in (("p1", "red", "test"), ("p3", "blue", "train"), ("p4", "blue", "test")):
        (folder / "images" / split / pid).mkdir(parents=True, exist_ok=True)
        (folder / "images" / split / pid / "image.png").write_bytes(png(colour))
    (folder / "problems.json").write_text(json.dumps(problems))
    (folder / "pid_splits.json").write_text(json.dumps({"train": ["p3"], "val": [], "test": ["p1", "p2", "p4"]}))
    return folder


def write_seedbench(root: Path) -> Path:
    folder = root / "seedbench"
    (folder / "SEED-Bench-image").mkdir(parents=True, exist_ok=True)
    (folder / "SEED-Bench-image" / "img_green.jpg").write_bytes(png("green"))
    (folder / "SEED-Bench-image" / "img_red.jpg").write_bytes(png("red"))
    questions = [
        {"question_id": "101", "question": "What colour is the shape?", "choice_a": "red", "choice_b": "blue",
         "choice_c": "green", "choice_d": "yellow", "answer": "C", "data_id": "img_green.jpg", "data_type": "image",
         "question_type_id": 1},
        {"question_id": "102", "question": "What happens next?", "choice_a": "a", "choice_b": "b", "choice_c": "c",
         "choice_d": "d", "answer": "A", "data_id": "v1234.mp4", "data_type": "video", "question_type_id": 10},
        {"question_id": "103", "question": "How many shapes are there?", "choice_a": "1", "choice_b": "2",
         "choice_c": "3", "choice_d": "4", "answer": "B", "data_id": "img_red.jpg", "data_type": "image",
         "question_type_id": 2},
    ]
    types = {"Scene Understanding": 1, "Instance Counting": 2, "Action Prediction": 10}
    (folder / "SEED-Bench.json").write_text(json.dumps({"questions": questions, "question_type": types}))
    return folder


def _hub_parquet(folder: Path, rows: list[dict]) -> None:
    import pandas as pd

    (folder / "data").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / "data" / "test-00000-of-00001.parquet")


def write_ai2d(root: Path) -> Path:
    folder = root / "ai2d"
    _hub_parquet(folder, [
        {"question": "What colour is the shape?", "options": ["red", "green", "blue", "yellow"], "answer": "3",
         "image": {"bytes": png("yellow"), "path": None}},
        {"question": "Which label points to the shape?", "options": ["label 1", "label 2"], "answer": "0",
         "image": {"bytes": png("red"), "path": None}},
    ])
    return folder


RWQA_SUFFIX = "Please answer directly with only the letter of the correct option and nothing else."


def write_realworldqa(root: Path) -> Path:
    folder = root / "realworldqa"
    _hub_parquet(folder, [
        {"image": {"bytes": png("blue"), "path": None},
         "question": f"What colour is the car?\n\nA. Red\nB. Blue\nC. White\n\n{RWQA_SUFFIX}", "answer": "B"},
        {"image": {"bytes": png("red"), "path": None},
         "question": "How many shapes are there?\nPlease answer directly with a single word or number.", "answer": "1"},
        {"image": {"bytes": png("white"), "path": None},
         "question": "What shape is this?\nPlease answer directly with a single word or number.", "answer": "Circle"},
    ])
    return folder


def write_mc_data(root: Path) -> Path:
    for write in (write_mmbench, write_mmstar, write_mmmu, write_scienceqa, write_seedbench, write_ai2d, write_realworldqa):
        write(root)
    return root


def write_mc_hub(root: Path) -> Path:
    """Local copies of two hub sources (``<root>/hub/<dataset id>``, read instead of the hub):
    lmms-lab/MMBench's en/dev parquet (the TSV's rows, every copy with its own image) and
    lmms-lab/ai2d's data/test parquet, written by ``datasets`` so the image column is an Image."""
    import datasets

    hub = root / "hub"
    images = {str(index): image for index, *_, image in MMBENCH_ROWS if not image.isdigit()}
    rows: dict[str, list] = {key: [] for key in ("index", "question", "hint", "A", "B", "C", "D", "answer", "category",
                                                  "image", "source", "L2-category", "comment", "split")}
    for index, question, hint, options, answer, category, l2, image in MMBENCH_ROWS:
        cells = list(options) + [None] * (4 - len(options))
        colour = images[image] if image.isdigit() else image
        for key, value in zip(rows, [index, question, hint or None, *cells, answer, category,
                                     {"bytes": png(colour), "path": None}, "synthetic", l2, None, "dev"]):
            rows[key].append(value)
    text = datasets.Value("string")
    features = datasets.Features({**{key: text for key in rows}, "index": datasets.Value("int64"), "image": datasets.Image()})
    (hub / "lmms-lab/MMBench/en").mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(hub / "lmms-lab/MMBench/en/dev-00000-of-00001.parquet"))
    ai2d = {"question": ["What colour is the shape?", "Which label points to the shape?"],
            "options": [["red", "green", "blue", "yellow"], ["label 1", "label 2"]], "answer": ["3", "0"],
            "image": [{"bytes": png("yellow"), "path": None}, {"bytes": png("red"), "path": None}]}
    (hub / "lmms-lab/ai2d/data").mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(ai2d, features=datasets.Features({
        "question": text, "options": datasets.List(text), "answer": text, "image": datasets.Image()})
    ).to_parquet(str(hub / "lmms-lab/ai2d/data/test-00000-of-00001.parquet"))
    return hub
