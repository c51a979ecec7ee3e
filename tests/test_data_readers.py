"""Each data reader on small good and malformed files written here (expected values by hand)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mmbench.data import data_fingerprint, load_split
from mmbench.errors import DataError, UserError


def write_image(path: Path, colour: tuple[int, int, int] = (200, 10, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), colour).save(path)


def write_json(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def karpathy_entry(cocoid: int | None, filename: str, split: str, raws: list[str], filepath: str | None = "val2014") -> dict:
    entry = {"filename": filename, "imgid": 0, "split": split, "sentids": [],
             "sentences": [{"raw": r, "tokens": r.split()} for r in raws]}
    if filepath is not None:
        entry["filepath"] = filepath
    if cocoid is not None:
        entry["cocoid"] = cocoid
    return entry


# --- Karpathy -----------------------------------------------------------------------------------

def test_karpathy_coco_reads_test_split_with_all_captions(tmp_path: Path) -> None:
    raws = [f"caption {i}" for i in range(7)]  # COCO has 5-7 captions per image
    write_json(tmp_path / "coco" / "dataset_coco.json", {"images": [
        karpathy_entry(42, "COCO_val2014_000000000042.jpg", "test", raws),
        karpathy_entry(73, "COCO_val2014_000000000073.jpg", "train", ["x"]),
        karpathy_entry(74, "COCO_val2014_000000000074.jpg", "test", ["a", "b", "c", "d", "e"]),
    ]})
    (tmp_path / "coco" / "val2014").mkdir()
    split = load_split({"format": "karpathy", "dir": "coco", "split": "test"}, tmp_path)
    assert [s.id for s in split.samples] == ["42", "74"]
    assert str(split.samples[0].image) == "val2014/COCO_val2014_000000000042.jpg"
    assert split.samples[0].texts == tuple(raws)
    assert split.samples[0].meta == {"filename": "COCO_val2014_000000000042.jpg"}
    assert split.root == tmp_path / "coco"
    assert split.files == [tmp_path / "coco" / "dataset_coco.json"]


def test_karpathy_flickr_uses_filename_stem_and_plus_joined_splits(tmp_path: Path) -> None:
    write_json(tmp_path / "dataset_flickr30k.json", {"images": [
        karpathy_entry(None, "1000092795.jpg", "train", ["t"], filepath=None),
        karpathy_entry(None, "10002456.jpg", "restval", ["r"], filepath=None),
        karpathy_entry(None, "1001.jpg", "test", ["s"], filepath=None),
    ]})
    (tmp_path / "flickr30k-images").mkdir()
    data = {"format": "karpathy", "dir": str(tmp_path), "annotations": "dataset_flickr30k.json",
            "images": "flickr30k-images", "split": "train+restval"}
    split = load_split(data, None)
    assert [(s.id, str(s.image)) for s in split.samples] == [("1000092795", "1000092795.jpg"), ("10002456", "10002456.jpg")]
    assert split.root == tmp_path / "flickr30k-images"


@pytest.mark.parametrize("content, message", [
    ('{"images": [', "malformed JSON"),
    ('{"annotations": []}', "no 'images' list"),
    ('{"images": [{"split": "test", "sentences": []}]}', "has no 'filename'"),
    ('{"images": [{"split": "test", "filename": "a.jpg", "sentences": []}]}', "has no sentences"),
    ('{"images": [{"split": "train", "filename": "a.jpg", "sentences": [{"raw": "x"}]}]}', "no images in split 'test'"),
    ('{"images": [{"split": "test", "filename": "../../etc/passwd", "sentences": [{"raw": "x"}]}]}', "leaves the image folder"),
    ('{"images": [{"split": "test", "filename": "/etc/passwd", "sentences": [{"raw": "x"}]}]}', "absolute"),
    ('{"images": [{"split": "test", "filename": "a.jpg", "sentences": [{"tokens": []}]}]}', r"sentences\[0\] has no 'raw'"),
])
def test_karpathy_malformed_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "dataset_coco.json").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message) as info:
        load_split({"format": "karpathy", "dir": str(tmp_path)}, None)
    assert str(tmp_path / "dataset_coco.json") in str(info.value)


def test_missing_file_error_says_where_and_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMBENCH_DATA", str(tmp_path))
    data = {"format": "karpathy", "dir": "coco", "how_to_get": "download dataset_coco.json from X"}
    with pytest.raises(DataError) as info:
        load_split(data, None)
    text = str(info.value)
    assert str(tmp_path / "coco" / "dataset_coco.json") in text
    assert "$MMBENCH_DATA" in text and "download dataset_coco.json from X" in text
    assert "\n" not in text


def test_data_dir_argument_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMBENCH_DATA", str(tmp_path / "env"))
    with pytest.raises(DataError, match="--data-dir") as info:
        load_split({"format": "karpathy", "dir": "coco"}, tmp_path / "arg")
    assert str(tmp_path / "arg" / "coco") in str(info.value)


def test_unknown_format_suggests_a_close_name() -> None:
    with pytest.raises(UserError, match="unknown data format 'karpaty'; did you mean 'karpathy'"):
        load_split({"format": "karpaty", "dir": "x"}, None)


# --- COCO captions ------------------------------------------------------------------------------

def test_coco_captions_groups_captions_per_image(tmp_path: Path) -> None:
    write_json(tmp_path / "annotations" / "captions_val2014.json", {
        "images": [{"id": 42, "file_name": "COCO_val2014_000000000042.jpg"}, {"id": 7, "file_name": "b.jpg"},
                   {"id": 9, "file_name": "nocaption.jpg"}],
        "annotations": [{"image_id": 7, "id": 1, "caption": "b one"}, {"image_id": 42, "id": 2, "caption": "a one"},
                        {"image_id": 7, "id": 3, "caption": "b two"}]})
    (tmp_path / "val2014").mkdir()
    split = load_split({"format": "coco_captions", "dir": str(tmp_path)}, None)
    assert [(s.id, str(s.image), s.texts) for s in split.samples] == [
        ("42", "COCO_val2014_000000000042.jpg", ("a one",)), ("7", "b.jpg", ("b one", "b two"))]
    assert split.root == tmp_path / "val2014"


def test_coco_captions_rejects_caption_of_unknown_image(tmp_path: Path) -> None:
    write_json(tmp_path / "c.json", {"images": [{"id": 1, "file_name": "a.jpg"}],
                                     "annotations": [{"image_id": 2, "caption": "x"}]})
    (tmp_path / "val2014").mkdir()
    with pytest.raises(DataError, match=r"annotations\[0\] refers to image_id 2"):
        load_split({"format": "coco_captions", "dir": str(tmp_path), "annotations": "c.json"}, None)


# --- Flickr CSV ---------------------------------------------------------------------------------

def test_flickr_csv_long_form_with_image_list(tmp_path: Path) -> None:
    (tmp_path / "captions.csv").write_text(
        'image,caption\n1000092795.jpg,"Two young guys, outside."\n1000092795.jpg,Men in a yard.\n1001.jpg,A dog.\n',
        encoding="utf-8")
    (tmp_path / "test.txt").write_text("1000092795.jpg\n", encoding="utf-8")
    (tmp_path / "flickr30k-images").mkdir()
    data = {"format": "flickr_csv", "dir": str(tmp_path), "image_list": "test.txt"}
    split = load_split(data, None)
    assert [(s.id, str(s.image), s.texts) for s in split.samples] == [
        ("1000092795", "1000092795.jpg", ("Two young guys, outside.", "Men in a yard."))]
    assert split.files == [tmp_path / "captions.csv", tmp_path / "test.txt"]


def test_flickr_csv_pipe_separated_results_file(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("image_name| comment_number| comment\n1.jpg| 0| A cat .\n1.jpg| 1| A pet .\n",
                                          encoding="utf-8")
    (tmp_path / "flickr30k-images").mkdir()
    split = load_split({"format": "flickr_csv", "dir": str(tmp_path), "captions": "results.csv"}, None)
    assert [(s.id, s.texts) for s in split.samples] == [("1", ("A cat .", "A pet ."))]


def test_flickr_csv_wide_form_filters_split(tmp_path: Path) -> None:
    (tmp_path / "flickr_annotations_30k.csv").write_text(
        'raw,sentids,split,filename,img_id\n"[""a b"", ""c d""]","[0, 1]",test,5.jpg,0\n"[""e""]","[2]",train,6.jpg,1\n',
        encoding="utf-8")
    (tmp_path / "flickr30k-images").mkdir()
    data = {"format": "flickr_csv", "dir": str(tmp_path), "captions": "flickr_annotations_30k.csv", "split": "test"}
    split = load_split(data, None)
    assert [(s.id, s.texts) for s in split.samples] == [("5", ("a b", "c d"))]


@pytest.mark.parametrize("content, message", [
    ("picture,text\na.jpg,x\n", "none of the columns"),
    ("image,caption\na.jpg\n", "line 2 has 1 fields"),
    ('raw,split,filename\nnot json,test,a.jpg\n', "line 2: 'raw' is not a JSON list"),
])
def test_flickr_csv_malformed(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "captions.csv").write_text(content, encoding="utf-8")
    (tmp_path / "flickr30k-images").mkdir()
    with pytest.raises(DataError, match=message):
        load_split({"format": "flickr_csv", "dir": str(tmp_path)}, None)


# --- VQAv2 --------------------------------------------------------------------------------------

def vqa_files(folder: Path, answers: bool = True) -> None:
    write_json(folder / "v2_OpenEnded_mscoco_val2014_questions.json", {"data_subtype": "val2014", "questions": [
        {"image_id": 42, "question": "What color is the cat?", "question_id": 420},
        {"image_id": 42, "question": "Is it sunny?", "question_id": 421}]})
    if answers:
        write_json(folder / "v2_mscoco_val2014_annotations.json", {"annotations": [
            {"question_id": 421, "image_id": 42, "question_type": "is it", "answer_type": "yes/no",
             "answers": [{"answer": "yes", "answer_confidence": "yes", "answer_id": i + 1} for i in range(10)]},
            {"question_id": 420, "image_id": 42, "question_type": "what color is the", "answer_type": "other",
             "answers": [{"answer": "black" if i < 7 else "gray", "answer_id": i + 1} for i in range(10)]}]})
    (folder / "val2014").mkdir(parents=True, exist_ok=True)


def test_vqav2_joins_questions_and_annotations(tmp_path: Path) -> None:
    vqa_files(tmp_path)
    split = load_split({"format": "vqav2", "dir": str(tmp_path)}, None)
    first = split.samples[0]
    assert first.id == "420" and str(first.image) == "val2014/COCO_val2014_000000000042.jpg"
    assert first.texts == ("black",) * 7 + ("gray",) * 3
    assert first.meta == {"question": "What color is the cat?", "question_type": "what color is the",
                          "answer_type": "other", "image_id": 42}
    assert split.samples[1].texts == ("yes",) * 10
    assert split.root == tmp_path


def test_vqav2_test_dev_without_annotations(tmp_path: Path) -> None:
    vqa_files(tmp_path, answers=False)
    split = load_split({"format": "vqav2", "dir": str(tmp_path), "annotations": None}, None)
    assert [s.texts for s in split.samples] == [(), ()]
    assert split.samples[0].meta["question_type"] is None
    assert split.files == [tmp_path / "v2_OpenEnded_mscoco_val2014_questions.json"]


def test_vqav2_question_without_annotation_is_an_error(tmp_path: Path) -> None:
    vqa_files(tmp_path)
    path = tmp_path / "v2_mscoco_val2014_annotations.json"
    content = json.loads(path.read_text())
    content["annotations"] = content["annotations"][:1]
    path.write_text(json.dumps(content))
    with pytest.raises(DataError, match="question 420 has no entry in the annotations file"):
        load_split({"format": "vqav2", "dir": str(tmp_path)}, None)


def test_vqav2_missing_question_field(tmp_path: Path) -> None:
    write_json(tmp_path / "q.json", {"data_subtype": "val2014", "questions": [{"image_id": 1, "question_id": 5}]})
    (tmp_path / "val2014").mkdir()
    with pytest.raises(DataError, match=r"questions\[0\] has no 'question'"):
        load_split({"format": "vqav2", "dir": str(tmp_path), "questions": "q.json", "annotations": None}, None)


# --- ImageNet -----------------------------------------------------------------------------------

def test_imagenet_folders_use_sorted_wnid_indices_and_refdata_names(tmp_path: Path) -> None:
    # n01443537 is class 1 (goldfish) and n01440764 class 0 (tench) among the sorted 1000 wnids.
    write_image(tmp_path / "imagenet" / "val" / "n01443537" / "b.JPEG")
    write_image(tmp_path / "imagenet" / "val" / "n01440764" / "a.JPEG")
    (tmp_path / "imagenet" / "val" / "n01440764" / "notes.txt").write_text("not an image")
    split = load_split({"format": "imagenet_folders", "dir": "imagenet"}, tmp_path)
    assert [(s.id, s.meta["label"]) for s in split.samples] == [("n01440764/a.JPEG", 0), ("n01443537/b.JPEG", 1)]
    assert split.classnames is not None and len(split.classnames) == 1000
    assert split.classnames[:2] == ["tench", "goldfish"]
    assert split.templates is not None and len(split.templates) == 80 and "{c}" in split.templates[0]


def test_imagenet_folders_generic_classes_and_inline_templates(tmp_path: Path) -> None:
    write_image(tmp_path / "zs" / "square" / "1.png")
    write_image(tmp_path / "zs" / "circle" / "2.png")
    split = load_split({"format": "imagenet_folders", "dir": str(tmp_path), "images": "zs",
                        "templates": ["a {c}."], "classnames": ["round thing", "box"]}, None)
    assert split.classnames == ["round thing", "box"]
    assert [(str(s.image), s.meta["label"]) for s in split.samples] == [("circle/2.png", 0), ("square/1.png", 1)]
    with pytest.raises(DataError, match="no \\{c\\} slot"):
        load_split({"format": "imagenet_folders", "dir": str(tmp_path), "images": "zs", "templates": ["a thing"]}, None)
    with pytest.raises(DataError, match="3 class names for 2 class folders"):
        load_split({"format": "imagenet_folders", "dir": str(tmp_path), "images": "zs", "classnames": ["a", "b", "c"]}, None)


def test_imagenet_flat_with_devkit_ground_truth_and_meta_mat(tmp_path: Path) -> None:
    import numpy as np
    from scipy.io import savemat

    from mmbench.data.classes import imagenet_wnids

    wnids = imagenet_wnids()
    devkit_order = wnids[::-1]  # a devkit order different from the sorted one
    synsets = np.zeros((1002,), dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O")])
    for i, wnid in enumerate(devkit_order + ["n00001740", "n00002137"]):  # plus two non-leaf synsets
        synsets[i] = (i + 1, wnid, "x")
    savemat(tmp_path / "meta.mat", {"synsets": synsets})
    (tmp_path / "gt.txt").write_text("1\n1000\n", encoding="utf-8")  # devkit IDs 1 and 1000
    (tmp_path / "val").mkdir()
    split = load_split({"format": "imagenet_flat", "dir": str(tmp_path), "labels": "gt.txt", "devkit_meta": "meta.mat",
                        "templates": "simple_imagenet"}, None)
    # devkit ID 1 -> wnids[999] -> label 999; devkit ID 1000 -> wnids[0] -> label 0.
    assert [(s.id, s.meta["label"]) for s in split.samples] == [
        ("ILSVRC2012_val_00000001.JPEG", 999), ("ILSVRC2012_val_00000002.JPEG", 0)]
    assert split.templates is not None and len(split.templates) == 7


def test_imagenet_flat_loc_val_solution_csv(tmp_path: Path) -> None:
    (tmp_path / "LOC_val_solution.csv").write_text(
        "ImageId,PredictionString\nILSVRC2012_val_00008726,n01443537 1 2 3 4 n01443537 5 6 7 8\n", encoding="utf-8")
    (tmp_path / "val").mkdir()
    split = load_split({"format": "imagenet_flat", "dir": str(tmp_path), "labels": "LOC_val_solution.csv"}, None)
    assert [(str(s.image), s.meta["label"]) for s in split.samples] == [("ILSVRC2012_val_00008726.JPEG", 1)]


@pytest.mark.parametrize("labels, message", [("0\n", "outside 1..1000"), ("cat\n", "not a devkit class ID")])
def test_imagenet_flat_bad_ground_truth(tmp_path: Path, labels: str, message: str) -> None:
    (tmp_path / "gt.txt").write_text(labels, encoding="utf-8")
    (tmp_path / "wnids.txt").write_text("\n".join(f"n{i:08d}" for i in range(1000)), encoding="utf-8")
    (tmp_path / "val").mkdir()
    with pytest.raises(DataError, match=message):
        load_split({"format": "imagenet_flat", "dir": str(tmp_path), "labels": "gt.txt", "devkit_meta": "wnids.txt"}, None)


# --- fingerprint --------------------------------------------------------------------------------

def test_fingerprint_follows_annotation_content_and_ids_not_location(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_json(tmp_path / name / "dataset_coco.json", {"images": [karpathy_entry(1, "x.jpg", "test", ["one"])]})
        (tmp_path / name / "val2014").mkdir()
    first = data_fingerprint(load_split({"format": "karpathy", "dir": str(tmp_path / "a")}, None))
    moved = data_fingerprint(load_split({"format": "karpathy", "dir": str(tmp_path / "b")}, None))
    assert first == moved and first.startswith("sha256:")
    write_json(tmp_path / "b" / "dataset_coco.json", {"images": [karpathy_entry(1, "x.jpg", "test", ["two"])]})
    assert data_fingerprint(load_split({"format": "karpathy", "dir": str(tmp_path / "b")}, None)) != first
