"""``format: hf``: Hugging Face datasets as data sources, offline, on local copies in the hub schemas.

Schemas built here with ``datasets`` (column names and types as on the hub):
nlphuji/flickr30k (image, caption list, sentids, split column, img_id, filename; one "test" split
holding every row), yerevann/coco-karpathy (filepath, filename, sentences, cocoid, split, url; no
image bytes), lmms-lab/VQAv2 (question, answers of {answer, answer_confidence, answer_id},
question_type, answer_type, question_id, image_id, multiple_choice_answer, image) and ImageNet-1k
(image, label). Stored with save_to_disk, as parquet, and as an imagefolder. Expected values are
the rows written, and the images' own pixels.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest
from PIL import Image

from mmbench.data import load_split, open_image
from mmbench.data.classes import imagenet_classnames
from mmbench.data.hf_source import HFImage
from mmbench.errors import DataError


def _picture(seed: int, size: tuple[int, int] = (12, 10)) -> Image.Image:
    rng = np.random.RandomState(seed)
    return Image.fromarray((rng.rand(size[1], size[0], 3) * 255).astype("uint8"))


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


# ---- Flickr30K (nlphuji/flickr30k), save_to_disk, split in a column ----------------------------------------
FLICKR_ROWS = [
    ("1000092795.jpg", "test", ["Two young guys with shaggy hair.", "Two young men outside.", "a", "b", "c"]),
    ("10002456.jpg", "train", ["Several men in hard hats.", "w", "x", "y", "z"]),
    ("1000268201.jpg", "test", ["A child in a pink dress.", "p", "q", "r", "s"]),
    ("1000344755.jpg", "val", ["Someone in a blue shirt.", "k", "l", "m", "n"]),
]


@pytest.fixture(scope="module")
def flickr_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    features = datasets.Features({
        "image": datasets.Image(), "caption": datasets.List(datasets.Value("string")),
        "sentids": datasets.List(datasets.Value("string")), "split": datasets.Value("string"),
        "img_id": datasets.Value("string"), "filename": datasets.Value("string"),
    })
    rows = {"image": [_picture(i) for i in range(len(FLICKR_ROWS))], "caption": [r[2] for r in FLICKR_ROWS],
            "sentids": [[str(5 * i + j) for j in range(5)] for i in range(len(FLICKR_ROWS))],
            "split": [r[1] for r in FLICKR_ROWS], "img_id": [str(i) for i in range(len(FLICKR_ROWS))],
            "filename": [r[0] for r in FLICKR_ROWS]}
    folder = tmp_path_factory.mktemp("flickr") / "flickr30k_hf"
    datasets.DatasetDict({"test": datasets.Dataset.from_dict(rows, features=features)}).save_to_disk(str(folder))
    return folder


def test_flickr30k_save_to_disk_with_split_column(flickr_dir: Path) -> None:
    data = {"format": "hf", "path": str(flickr_dir), "split": "test", "filter": {"column": "split", "value": "test"},
            "columns": {"image": "image", "captions": "caption", "id": "filename"}}
    split = load_split(data)
    assert [s.id for s in split.samples] == ["1000092795.jpg", "1000268201.jpg"]
    assert [list(s.texts) for s in split.samples] == [FLICKR_ROWS[0][2], FLICKR_ROWS[2][2]]
    assert _same_pixels(open_image(split.samples[1].image, split.root), _picture(2))
    assert split.files  # save_to_disk metadata enters the data fingerprint


def test_flickr30k_defaults_and_brief_filter_spelling(flickr_dir: Path) -> None:
    split = load_split({"format": "hf", "path": str(flickr_dir), "filter": {"split_column": "split", "value": ["test", "val"]}})
    assert [s.id for s in split.samples] == ["0", "2", "3"]  # img_id by default
    assert split.samples[2].meta == {"filename": "1000344755.jpg"}


def test_lazy_images_pickle_and_open_in_another_process_state(flickr_dir: Path) -> None:
    split = load_split({"format": "hf", "path": str(flickr_dir)})
    image = split.samples[3].image
    assert isinstance(image, HFImage) and image and image != split.samples[2].image
    copy = pickle.loads(pickle.dumps(image))  # as a DataLoader worker receives it
    assert _same_pixels(open_image(copy, split.root), _picture(3))


# ---- COCO Karpathy (yerevann/coco-karpathy), parquet, images on disk -----------------------------------------
@pytest.fixture(scope="module")
def coco_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("coco")
    (root / "val2014").mkdir()
    names = ["COCO_val2014_000000000042.jpg", "COCO_val2014_000000000073.jpg"]
    for i, name in enumerate(names):
        _picture(10 + i).save(root / "val2014" / name, format="PNG")  # lossless content under a .jpg name
    rows = {"filepath": ["val2014", "val2014"], "sentids": [[1, 2], [3, 4]], "filename": names, "imgid": [0, 1],
            "split": ["test", "test"], "sentences": [["A man on a horse.", "A rider."], ["A cat.", "A sleeping cat."]],
            "cocoid": [42, 73], "url": ["http://images.cocodataset.org/val2014/" + n for n in names]}
    (root / "coco_karpathy_hf" / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows).to_parquet(str(root / "coco_karpathy_hf" / "data" / "test-00000-of-00001.parquet"))
    return root


def test_coco_karpathy_parquet_with_image_paths(coco_dir: Path) -> None:
    data = {"format": "hf", "dir": str(coco_dir), "path": "coco_karpathy_hf", "split": "test",
            "columns": {"image_path": ["filepath", "filename"], "captions": "sentences", "id": "cocoid"}}
    split = load_split(data)
    assert [(s.id, str(s.image), s.texts) for s in split.samples] == [
        ("42", "val2014/COCO_val2014_000000000042.jpg", ("A man on a horse.", "A rider.")),
        ("73", "val2014/COCO_val2014_000000000073.jpg", ("A cat.", "A sleeping cat.")),
    ]
    assert _same_pixels(open_image(split.samples[1].image, split.root), _picture(11))


# ---- VQAv2 (lmms-lab/VQAv2), parquet with image bytes ----------------------------------------------------
VQA_ANSWERS = [["yes"] * 9 + ["no"], ["2", "two", "2", "2", "3", "2", "2", "2", "2", "2"]]


@pytest.fixture(scope="module")
def vqa_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    answer = datasets.Features({"answer": datasets.Value("string"), "answer_confidence": datasets.Value("string"),
                                "answer_id": datasets.Value("int64")})
    features = datasets.Features({
        "question_type": datasets.Value("string"), "multiple_choice_answer": datasets.Value("string"),
        "answers": datasets.List(answer), "image_id": datasets.Value("int64"), "answer_type": datasets.Value("string"),
        "question_id": datasets.Value("int64"), "question": datasets.Value("string"), "image": datasets.Image(),
    })
    rows = {"question_type": ["is the", "how many"], "multiple_choice_answer": ["yes", "2"],
            "answers": [[{"answer": a, "answer_confidence": "yes", "answer_id": j + 1} for j, a in enumerate(answers)]
                        for answers in VQA_ANSWERS],
            "image_id": [262148, 262148], "answer_type": ["yes/no", "number"], "question_id": [262148000, 262148001],
            "question": ["Is the man riding?", "How many cats?"], "image": [_picture(20), _picture(20)]}
    folder = tmp_path_factory.mktemp("vqa") / "vqav2_hf"
    (folder / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(folder / "data" / "validation-00000-of-00001.parquet"))
    return folder


def test_vqav2_parquet_with_embedded_images(vqa_dir: Path) -> None:
    split = load_split({"format": "hf", "path": str(vqa_dir), "split": "validation"})
    first, second = split.samples
    assert (first.id, list(first.texts)) == ("262148000", VQA_ANSWERS[0])
    assert second.meta == {"question": "How many cats?", "question_type": "how many", "answer_type": "number",
                           "image_id": 262148}
    assert _same_pixels(open_image(second.image, split.root), _picture(20))


# ---- ImageNet-1k (image, label): imagefolder of wnids, and save_to_disk with ClassLabel names -------------------
def test_imagenet_imagefolder_reindexes_wnids(tmp_path: Path) -> None:
    wnids = ["n01440764", "n01443537", "n15075141"]  # class 0, 1 and 999 of ImageNet-1k
    for i, wnid in enumerate(wnids):
        (tmp_path / "val" / wnid).mkdir(parents=True)
        _picture(30 + i).save(tmp_path / "val" / wnid / f"img{i}.png")
    split = load_split({"format": "hf", "path": str(tmp_path / "val"), "split": "train", "classnames": "imagenet"})
    assert sorted(s.meta["label"] for s in split.samples) == [0, 1, 999]
    assert split.classnames == imagenet_classnames()
    assert split.templates and "{c}" in split.templates[0]
    by_label = {s.meta["label"]: s for s in split.samples}
    assert _same_pixels(open_image(by_label[999].image, split.root), _picture(32))


def test_imagenet_classlabel_names(tmp_path: Path) -> None:
    features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=["tench", "goldfish"])})
    ds = datasets.Dataset.from_dict({"image": [_picture(40), _picture(41)], "label": [1, 0]}, features=features)
    ds.save_to_disk(str(tmp_path / "imagenet_hf"))
    split = load_split({"format": "hf", "path": str(tmp_path / "imagenet_hf"), "templates": ["a photo of a {c}."]})
    assert split.classnames == ["tench", "goldfish"] and split.templates == ["a photo of a {c}."]
    assert [(s.id, s.meta["label"]) for s in split.samples] == [("0", 1), ("1", 0)]


# ---- errors -----------------------------------------------------------------------------------------------------
def test_uncached_hub_dataset_fails_offline_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError) as err:
        load_split({"format": "hf", "path": "nobody-here/no-such-dataset", "split": "test"})
    message = str(err.value)
    assert "nobody-here/no-such-dataset" in message and "save_to_disk" in message and "\n" not in message


@pytest.mark.parametrize("data, match", [
    ({"columns": {"captions": "sentences"}}, "not in the dataset"),
    ({"columns": {"caption_list": "caption"}}, "unknown role"),
    ({"filter": {"column": "subset", "value": "test"}}, "filter column"),
    ({"filter": ["split", "test"]}, "data.filter must be"),
    ({"split": "validation"}, "no split 'validation'"),
    ({"filter": {"column": "split", "value": "dev"}}, "no rows left"),
    ({"columns": {"image": None}}, "no image column"),
])
def test_bad_task_data_is_one_line(flickr_dir: Path, data: dict[str, Any], match: str) -> None:
    with pytest.raises(DataError, match=match):
        load_split({"format": "hf", "path": str(flickr_dir), **data})


def test_missing_local_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="Hugging Face dataset folder not found"):
        load_split({"format": "hf", "path": str(tmp_path / "nope")})


def test_local_copies_with_the_same_name_do_not_share_a_cache(tmp_path: Path) -> None:
    # datasets keys a local folder's cache by its name and configuration only; each copy here
    # (and each change of one) must read its own rows
    found = []
    for side, ids in (("a", [1, 2, 3]), ("b", [7, 8])):
        folder = tmp_path / side / "VQAv2"
        (folder / "data").mkdir(parents=True)
        rows = {"question_id": ids, "image": [_picture(i) for i in ids], "answers": [["yes"]] * len(ids)}
        features = datasets.Features({"question_id": datasets.Value("int64"), "image": datasets.Image(),
                                      "answers": datasets.List(datasets.Value("string"))})
        datasets.Dataset.from_dict(rows, features=features).to_parquet(str(folder / "data" / "validation-00000-of-00001.parquet"))
        (folder / "README.md").write_text("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: validation\n"
                                          "    path: data/validation-*\n---\n")  # as the hub repositories declare their splits
        found.append([s.id for s in load_split({"format": "hf", "path": str(folder), "split": "validation"}).samples])
    assert found == [["1", "2", "3"], ["7", "8"]]
