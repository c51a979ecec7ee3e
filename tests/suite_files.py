"""Miniature copies of the official dataset files, written in their exact on-disk formats.

Each writer mirrors what the dataset's own download holds: file and folder names, nesting, id
types (integer COCO ids, string Open Images / GQA ids, string VizWiz file names), and the fields
the official files carry besides the ones mmbench reads. Images are small solid-colour squares on
a grey background, so that the mock model (which sees only the dominant colour) gives
predictable answers.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

RGB = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 220, 50),
       "purple": (140, 60, 180), "orange": (245, 140, 30), "black": (15, 15, 15), "brown": (130, 80, 40)}


def image(path: Path, colour: str) -> None:
    """A 16x16 grey image with an 8x8 square of ``colour`` in the middle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (16, 16), (128, 128, 128))
    img.paste(Image.new("RGB", (8, 8), RGB[colour]), (4, 4))
    img.save(path)


def write_json(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def karpathy_coco(root: Path, entries: list[tuple[int, str, str, list[str]]]) -> Path:
    """``coco/dataset_coco.json`` + ``coco/val2014/`` for (cocoid, colour, split, captions)."""
    images = []
    for n, (cocoid, colour, split, captions) in enumerate(entries):
        name = f"COCO_val2014_{cocoid:012d}.jpg"
        image(root / "coco" / "val2014" / name, colour)
        images.append({"filepath": "val2014", "sentids": list(range(5 * n, 5 * n + len(captions))), "filename": name,
                       "imgid": n, "split": split, "cocoid": cocoid,
                       "sentences": [{"tokens": c.lower().split(), "raw": c, "imgid": n, "sentid": 5 * n + j}
                                     for j, c in enumerate(captions)]})
    return write_json(root / "coco" / "dataset_coco.json", {"images": images, "dataset": "coco"})


def karpathy_flickr(root: Path, entries: list[tuple[str, str, str, list[str]]]) -> Path:
    """``flickr30k/dataset_flickr30k.json`` + ``flickr30k/flickr30k-images/`` for (file stem, colour, split, captions)."""
    images = []
    for n, (stem, colour, split, captions) in enumerate(entries):
        image(root / "flickr30k" / "flickr30k-images" / f"{stem}.jpg", colour)
        images.append({"sentids": list(range(5 * n, 5 * n + len(captions))), "imgid": n, "split": split,
                       "filename": f"{stem}.jpg",
                       "sentences": [{"tokens": c.lower().split(), "raw": c, "imgid": n, "sentid": 5 * n + j}
                                     for j, c in enumerate(captions)]})
    return write_json(root / "flickr30k" / "dataset_flickr30k.json", {"images": images, "dataset": "flickr30k"})


def nocaps(root: Path, entries: list[tuple[str, str, str, list[str]]]) -> Path:
    """``nocaps/nocaps_val_4500_captions.json`` + ``nocaps/val/`` for (Open Images id, colour, domain, captions).

    Image ids are integers from 0, annotation ids run over all captions, as in the real file."""
    images, annotations = [], []
    for n, (oid, colour, domain, captions) in enumerate(entries):
        image(root / "nocaps" / "val" / f"{oid}.jpg", colour)
        images.append({"id": n, "file_name": f"{oid}.jpg", "open_images_id": oid, "height": 16, "width": 16,
                       "coco_url": f"https://s3.amazonaws.com/nocaps/val/{oid}.jpg", "domain": domain,
                       "license": 2, "date_captured": "2018-11-06 11:04:33"})
        annotations += [{"image_id": n, "id": len(annotations) + j, "caption": c} for j, c in enumerate(captions)]
    return write_json(root / "nocaps" / "nocaps_val_4500_captions.json",
                      {"licenses": [], "info": {"url": "http://nocaps.org", "date_created": "2018/11/06",
                                                "version": "0.1", "description": "nocaps validation dataset",
                                                "contributor": "nocaps team", "year": 2018},
                       "images": images, "annotations": annotations})


def okvqa(root: Path, entries: list[tuple[int, int, str, str, str, list[str]]]) -> None:
    """``okvqa/`` VQA-format files (OK-VQA v1.1) + ``okvqa/val2014/`` for
    (question_id, image_id, colour, question, question_type, 10 answers)."""
    questions, annotations = [], []
    for qid, image_id, colour, question, qtype, answers in entries:
        image(root / "okvqa" / "val2014" / f"COCO_val2014_{image_id:012d}.jpg", colour)
        questions.append({"image_id": image_id, "question": question, "question_id": qid})
        annotations.append({"image_id": image_id, "answer_type": "other", "question_type": qtype, "question_id": qid,
                            "confidence": 3,
                            "answers": [{"answer_id": j + 1, "raw_answer": a, "answer_confidence": "yes", "answer": a}
                                        for j, a in enumerate(answers)]})
    common = {"license": {"url": "http://creativecommons.org/licenses/by/4.0/", "name": "Creative Commons Attribution 4.0 International License"},
              "data_subtype": "val2014", "info": {"year": 2019, "version": "1.1", "description": "OK-VQA"}}
    write_json(root / "okvqa" / "OpenEnded_mscoco_val2014_questions.json",
               {**common, "task_type": "Open-Ended", "data_type": "mscoco", "questions": questions})
    write_json(root / "okvqa" / "mscoco_val2014_annotations.json", {**common, "data_type": "mscoco", "annotations": annotations})


def textvqa(root: Path, entries: list[tuple[int, str, str, str, list[str], list[str]]]) -> None:
    """``textvqa/TextVQA_0.5.1_val.json`` + Rosetta OCR file + ``textvqa/train_images/`` for
    (question_id, image_id, colour, question, 10 answers, OCR tokens)."""
    data, ocr = [], []
    for qid, image_id, colour, question, answers, tokens in entries:
        image(root / "textvqa" / "train_images" / f"{image_id}.jpg", colour)
        data.append({"question": question, "image_id": image_id, "image_classes": ["Poster"],
                     "flickr_original_url": f"https://farm2.staticflickr.com/{image_id}_o.jpg",
                     "flickr_300k_url": f"https://c5.staticflickr.com/{image_id}_z.jpg", "image_width": 16,
                     "image_height": 16, "answers": answers, "question_tokens": question.lower().split(),
                     "question_id": qid, "set_name": "val"})
        ocr.append({"image_id": image_id, "ocr_tokens": tokens,
                    "ocr_info": [{"word": t, "bounding_box": {"top_left_x": 0.1, "top_left_y": 0.1, "width": 0.2,
                                                              "height": 0.1, "rotation": 0, "roll": 0, "pitch": 0, "yaw": 0}}
                                 for t in tokens], "set_name": "val"})
    write_json(root / "textvqa" / "TextVQA_0.5.1_val.json",
               {"dataset_type": "val", "dataset_name": "textvqa", "dataset_version": "0.5.1", "data": data})
    write_json(root / "textvqa" / "TextVQA_Rosetta_OCR_v0.2_val.json",
               {"dataset_type": "val", "dataset_name": "textvqa", "dataset_version": "0.2", "data": ocr})


def vizwiz(root: Path, entries: list[tuple[str, str, list[str], str, int]]) -> None:
    """``vizwiz/val.json`` + ``vizwiz/val/VizWiz_val_<8 digits>.jpg`` for
    (colour, question, 10 answers, answer_type, answerable)."""
    rows = []
    for n, (colour, question, answers, answer_type, answerable) in enumerate(entries):
        name = f"VizWiz_val_{n:08d}.jpg"
        image(root / "vizwiz" / "val" / name, colour)
        rows.append({"image": name, "question": question, "answerable": answerable, "answer_type": answer_type,
                     "answers": [{"answer": a, "answer_confidence": "yes"} for a in answers]})
    write_json(root / "vizwiz" / "val.json", rows)


def gqa(root: Path, entries: list[tuple[str, str, str, str, str, str, str, bool]]) -> None:
    """``gqa/testdev_balanced_questions.json`` + ``gqa/images/<imageId>.jpg`` for
    (question id, image id, colour, question, answer, structural, semantic, isBalanced)."""
    questions = {}
    for qid, image_id, colour, question, answer, structural, semantic, balanced in entries:
        image(root / "gqa" / "images" / f"{image_id}.jpg", colour)
        questions[qid] = {"semantic": [{"operation": "select", "dependencies": [], "argument": "ball (0)"}],
                          "entailed": [], "equivalent": [qid], "question": question, "imageId": image_id,
                          "isBalanced": balanced, "groups": {"global": None, "local": "10c-ball_color"},
                          "answer": answer, "semanticStr": "select: ball (0)", "annotations": {"answer": {}, "question": {}, "fullAnswer": {}},
                          "types": {"detailed": "", "semantic": semantic, "structural": structural},
                          "fullAnswer": f"The answer is {answer}."}
    write_json(root / "gqa" / "testdev_balanced_questions.json", questions)


def class_folders(root: Path, folder: str, classes: dict[str, str], suffix: str = ".jpg") -> None:
    """``<root>/<folder>/<class folder>/<name><suffix>``: one image of each given colour per class folder."""
    for n, (name, colour) in enumerate(classes.items()):
        image(root / folder / name / f"{n:04d}{suffix}", colour)


def cifar_pickle(obj: dict, path: Path) -> None:
    """Write ``obj`` as the CIFAR python files are: a protocol-2 pickle whose arrays are rebuilt by
    ``numpy.core.multiarray._reconstruct`` (the name numpy 1.x, which wrote the files, uses)."""
    import pickle

    data = pickle.dumps(obj, protocol=2).replace(b"cnumpy._core.multiarray\n_reconstruct\n",
                                                 b"cnumpy.core.multiarray\n_reconstruct\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def cifar(root: Path, folder: str, batch: str, meta: str, label_key: str, names_key: str, names: list[str],
          rows: list[tuple[int, str]]) -> None:
    """A CIFAR python folder: the batch (bytes keys, uint8 N x 3072 planes, list labels) and meta file."""
    import numpy as np

    data = np.zeros((len(rows), 3072), dtype=np.uint8)
    for i, (_, colour) in enumerate(rows):
        plane = np.full((3, 32, 32), 128, dtype=np.uint8)
        plane[:, 8:24, 8:24] = np.asarray(RGB[colour], dtype=np.uint8)[:, None, None]
        data[i] = plane.reshape(-1)
    cifar_pickle({b"batch_label": b"testing batch 1 of 1", label_key.encode(): [label for label, _ in rows],
                  b"data": data, b"filenames": [f"img_{i}.png".encode() for i in range(len(rows))]},
                 root / folder / batch)
    cifar_pickle({names_key.encode(): [n.encode() for n in names], b"num_cases_per_batch": 10000}, root / folder / meta)
