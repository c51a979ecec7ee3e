"""``--data hf`` / ``<task>@hf``: each shipped hub source, offline, against a local copy in the hub
dataset's own schema, giving the official run's sample ids and metrics.

For every task with a ``hub`` section the test writes two miniature copies of the same content:
the official files (tests/suite_files.py's writers) and the hub dataset as its repository holds it,
under ``<data root>/hub/<dataset id>`` (the local-copy path a hub source looks up before the hub):

- yerevann/coco-karpathy: ``data/test.parquet`` (and a root ``coco.parquet`` of every split) with
  filepath, sentids, filename, imgid, split, sentences, cocoid, url: no images;
- lmms-lab/COCO-Caption: README configs (split ``val``: ``data/val-*``), parquet with
  question_id (``COCO_val2014_<12 digits>.jpg``), image, answer (captions), id, file_name, ...
  (the COCO tasks take their images from it, joined on the COCO id);
- lmms-lab/flickr30k: README configs (split ``test``), parquet with image, caption, sentids,
  img_id (row number as text), filename;
- lmms-lab/VQAv2: parquet ``data/validation-*`` with question_type, multiple_choice_answer,
  answers [{answer, answer_confidence, answer_id}], image_id, answer_type, question_id, question, image;
- djghosh/wds_imagenet1k_test (CLIP_benchmark's webdataset layout): ``test/0.tar`` holding
  ``s0000000.jpg`` + ``s0000000.cls``, ``test/nshards.txt``, ``classnames.txt``;
- lmms-lab/OK-VQA: README configs (split ``val2014``), parquet with question_id (string), image,
  question, answers (strings), question_type, answer_type;
- uoft-cs/cifar10: README config ``plain_text`` (``plain_text/test-*``), parquet img + label (ClassLabel).

The real Flickr copy holds all 31,783 images, not only the Karpathy test split (its task files
say so); here it holds the official rows, so that what is checked is the column and id mapping. Expected values come from the official-format run of the same content.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest

from mmbench.cli import main
from mmbench.tasks.spec import load_task_spec
from tests import suite_files as files

CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
COCO = [(42, "red", ["A red shape.", "A red thing."]), (73, "blue", ["A blue square.", "Blue."]),
        (391895, "green", ["A green shape on grey.", "Green."])]
FLICKR = [("1000092795", "red", ["A red box.", "Red."]), ("10002456", "yellow", ["A yellow box.", "Yellow."]),
          ("1000268201", "blue", ["A blue box.", "Blue."])]
VQA = [(262148000, 262148, "red", "What colour is it?", "what color", "other", ["red"] * 8 + ["pink", "orange"]),
       (262148001, 262148, "red", "Is there a shape?", "is there", "yes/no", ["yes"] * 10),
       (393225000, 393225, "blue", "How many shapes?", "how many", "number", ["1"] * 6 + ["2"] * 4)]
OKVQA = [(2971475, 297147, "red", "What sport can you use this for?", "one", ["racing"] * 6 + ["motocross"] * 4),
         (1006005, 100600, "blue", "What colour is this bird?", "four", ["blue"] * 10)]
IMAGENET = {"n01440764": "red", "n01443537": "blue", "n15075141": "green"}  # class 0, 1 and 999
CIFAR_ROWS = [(3, "red"), (5, "blue"), (0, "green"), (9, "yellow")]


def _readme(configs: list[dict[str, Any]]) -> str:
    import yaml

    return "---\n" + yaml.safe_dump({"configs": configs}, sort_keys=False) + "---\n"


def _write_parquet(folder: Path, shard: str, rows: dict[str, list[Any]], features: datasets.Features,
                   configs: list[dict[str, Any]] | None = None) -> None:
    (folder / Path(shard).parent).mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(folder / shard))
    if configs is not None:
        (folder / "README.md").write_text(_readme(configs), encoding="utf-8")


def _write_official(root: Path) -> None:
    files.karpathy_coco(root, [(cocoid, colour, "test", captions) for cocoid, colour, captions in COCO]
                        + [(999, "black", "train", ["A black shape."])])
    files.karpathy_flickr(root, [(stem, colour, "test", captions) for stem, colour, captions in FLICKR]
                          + [("99999", "black", "val", ["A black box."])])
    questions, annotations = [], []
    for qid, image_id, colour, question, qtype, atype, answers in VQA:
        files.image(root / "vqav2" / "val2014" / f"COCO_val2014_{image_id:012d}.jpg", colour)
        questions.append({"image_id": image_id, "question": question, "question_id": qid})
        annotations.append({"question_type": qtype, "multiple_choice_answer": answers[0], "image_id": image_id,
                            "answer_type": atype, "question_id": qid,
                            "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": j + 1} for j, a in enumerate(answers)]})
    files.write_json(root / "vqav2" / "v2_OpenEnded_mscoco_val2014_questions.json",
                     {"task_type": "Open-Ended", "data_type": "mscoco", "data_subtype": "val2014", "questions": questions})
    files.write_json(root / "vqav2" / "v2_mscoco_val2014_annotations.json",
                     {"data_type": "mscoco", "data_subtype": "val2014", "annotations": annotations})
    files.okvqa(root, OKVQA)
    files.class_folders(root / "imagenet", "val", IMAGENET, suffix=".JPEG")
    files.cifar(root, "cifar-10-batches-py", "test_batch", "batches.meta", "labels", "label_names", CIFAR10, CIFAR_ROWS)


def _image_bytes(path: Path) -> dict[str, Any]:
    return {"bytes": path.read_bytes(), "path": path.name}


def _write_hub(root: Path) -> None:
    hub = root / "hub"
    # yerevann/coco-karpathy: the Karpathy file as parquet (no images); data/test.parquet beside a root
    # coco.parquet holding every split, as at the pinned commit
    karpathy = {"filepath": ["val2014"] * len(COCO), "sentids": [[2 * i, 2 * i + 1] for i in range(len(COCO))],
                "filename": [f"COCO_val2014_{cocoid:012d}.jpg" for cocoid, _, _ in COCO], "imgid": list(range(len(COCO))),
                "split": ["test"] * len(COCO), "sentences": [captions for _, _, captions in COCO],
                "cocoid": [cocoid for cocoid, _, _ in COCO],
                "url": [f"http://images.cocodataset.org/val2014/COCO_val2014_{cocoid:012d}.jpg" for cocoid, _, _ in COCO]}
    karpathy_features = datasets.Features({
        "filepath": datasets.Value("string"), "sentids": datasets.List(datasets.Value("int64")),
        "filename": datasets.Value("string"), "imgid": datasets.Value("int64"), "split": datasets.Value("string"),
        "sentences": datasets.List(datasets.Value("string")), "cocoid": datasets.Value("int64"), "url": datasets.Value("string"),
    })
    _write_parquet(hub / "yerevann/coco-karpathy", "data/test.parquet", karpathy, karpathy_features)
    every_split = {key: values + ([999] if key == "cocoid" else ["train"] if key == "split" else [values[0]]) for key, values in karpathy.items()}
    _write_parquet(hub / "yerevann/coco-karpathy", "coco.parquet", every_split, karpathy_features)
    # lmms-lab/COCO-Caption: every val2014 image (here also one outside the Karpathy test split)
    coco_ids = [cocoid for cocoid, _, _ in COCO] + [999]
    names = [f"COCO_val2014_{cocoid:012d}.jpg" for cocoid in coco_ids]
    captions = [c for _, _, c in COCO] + [["A black shape."]]
    _write_parquet(hub / "lmms-lab/COCO-Caption", "data/val-00000-of-00001.parquet", {
        "question_id": names, "image": [_image_bytes(root / "coco/val2014" / n) for n in names],
        "question": ["Please carefully observe the image and come up with a caption for the image."] * len(names),
        "answer": captions, "id": list(range(len(names))), "license": [3] * len(names),
        "file_name": names, "coco_url": [f"http://images.cocodataset.org/val2014/{n}" for n in names],
        "height": [16] * len(names), "width": [16] * len(names), "date_captured": ["2013-11-14 16:28:13"] * len(names),
    }, datasets.Features({
        "question_id": datasets.Value("string"), "image": datasets.Image(), "question": datasets.Value("string"),
        "answer": datasets.List(datasets.Value("string")), "id": datasets.Value("int64"), "license": datasets.Value("int8"),
        "file_name": datasets.Value("string"), "coco_url": datasets.Value("string"), "height": datasets.Value("int32"),
        "width": datasets.Value("int32"), "date_captured": datasets.Value("string"),
    }), [{"config_name": "default", "data_files": [{"split": "val", "path": "data/val-*"}]}])
    _write_parquet(hub / "lmms-lab/flickr30k", "data/test-00000-of-00001.parquet", {
        "image": [_image_bytes(root / "flickr30k/flickr30k-images" / f"{stem}.jpg") for stem, _, _ in FLICKR],
        "caption": [captions for _, _, captions in FLICKR],
        "sentids": [[str(2 * i), str(2 * i + 1)] for i in range(len(FLICKR))],
        "img_id": [str(i) for i in range(len(FLICKR))], "filename": [f"{stem}.jpg" for stem, _, _ in FLICKR],
    }, datasets.Features({
        "image": datasets.Image(), "caption": datasets.List(datasets.Value("string")),
        "sentids": datasets.List(datasets.Value("string")), "img_id": datasets.Value("string"),
        "filename": datasets.Value("string"),
    }), [{"config_name": "default", "data_files": [{"split": "test", "path": "data/test-*"}]}])
    answer = datasets.Features({"answer": datasets.Value("string"), "answer_confidence": datasets.Value("string"),
                                "answer_id": datasets.Value("int64")})
    _write_parquet(hub / "lmms-lab/VQAv2", "data/validation-00000-of-00001.parquet", {
        "question_type": [q[4] for q in VQA], "multiple_choice_answer": [q[6][0] for q in VQA],
        "answers": [[{"answer": a, "answer_confidence": "yes", "answer_id": j + 1} for j, a in enumerate(q[6])] for q in VQA],
        "image_id": [q[1] for q in VQA], "answer_type": [q[5] for q in VQA], "question_id": [q[0] for q in VQA],
        "question": [q[3] for q in VQA],
        "image": [_image_bytes(root / "vqav2/val2014" / f"COCO_val2014_{q[1]:012d}.jpg") for q in VQA],
    }, datasets.Features({
        "question_type": datasets.Value("string"), "multiple_choice_answer": datasets.Value("string"),
        "answers": datasets.List(answer), "image_id": datasets.Value("int64"), "answer_type": datasets.Value("string"),
        "question_id": datasets.Value("int64"), "question": datasets.Value("string"), "image": datasets.Image(),
    }))
    _write_parquet(hub / "lmms-lab/OK-VQA", "data/val2014-00000-of-00001.parquet", {
        "question_id": [str(q[0]) for q in OKVQA],
        "image": [_image_bytes(root / "okvqa/val2014" / f"COCO_val2014_{q[1]:012d}.jpg") for q in OKVQA],
        "question": [q[3] for q in OKVQA], "answers": [q[5] for q in OKVQA], "question_type": [q[4] for q in OKVQA],
        "answer_type": ["other"] * len(OKVQA),
    }, datasets.Features({
        "question_id": datasets.Value("string"), "image": datasets.Image(), "question": datasets.Value("string"),
        "answers": datasets.List(datasets.Value("string")), "question_type": datasets.Value("string"),
        "answer_type": datasets.Value("string"),
    }), [{"config_name": "default", "data_files": [{"split": "val2014", "path": "data/val2014-*"}]}])
    wds = hub / "djghosh/wds_imagenet1k_test"
    (wds / "test").mkdir(parents=True)
    with tarfile.open(wds / "test" / "0.tar", "w") as tar:  # ImageFolder order: sorted wnids, then file names
        for index, wnid in enumerate(sorted(IMAGENET)):
            [image] = sorted((root / "imagenet/val" / wnid).iterdir())
            label = sorted(load_imagenet_wnids()).index(wnid)
            for suffix, payload in (("jpg", image.read_bytes()), ("cls", str(label).encode())):
                info = tarfile.TarInfo(f"s{index:07d}.{suffix}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    (wds / "test" / "nshards.txt").write_text("1\n")
    (wds / "classnames.txt").write_text("tench\ngoldfish\n")
    from mmbench.data.cifar import load_arrays_pickle
    from PIL import Image

    batch = load_arrays_pickle(root / "cifar-10-batches-py" / "test_batch")
    planes = batch["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    pngs = []
    for pixels in planes:
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
        pngs.append({"bytes": buffer.getvalue(), "path": None})
    _write_parquet(hub / "uoft-cs/cifar10", "plain_text/test-00000-of-00001.parquet",
                   {"img": pngs, "label": [int(v) for v in batch["labels"]]},
                   datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=CIFAR10)}),
                   [{"config_name": "plain_text", "data_files": [{"split": "test", "path": "plain_text/test-*"}]}])


def load_imagenet_wnids() -> list[str]:
    from mmbench.data.classes import imagenet_wnids

    return imagenet_wnids()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hubdata")
    _write_official(root)
    _write_hub(root)
    return root


def _run(task: str, root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(["run", "--task", task, "--model", "mock", "--data-dir", str(root), "--no-store", "--no-write", "--json",
                 "--num-workers", "0", "--batch-size", "256", *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    [result] = json.loads(out.out)
    return result


def _fast_copy(task: str, folder: Path) -> str:
    """The shipped task file with its hub section verbatim, made cheap to score: captioning without
    the Java metrics (METEOR, SPICE), zero-shot with one prompt template instead of 80."""
    import yaml

    raw = yaml.safe_load(Path(load_task_spec(task).source).read_text(encoding="utf-8"))
    if raw["type"] == "captioning":
        raw["metrics"] = {**(raw.get("metrics") or {}), "metrics": ["Bleu_4", "ROUGE_L", "CIDEr"]}
    if raw["type"] == "zeroshot":
        for section in ("data", "hub"):
            raw[section]["templates"] = ["a photo of a {c}."]
    path = folder / f"{task}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return str(path)


def _samples(root: Path, task: str) -> list[Any]:
    from mmbench.data import load_split

    return load_split(load_task_spec(task).data, root).samples


@pytest.mark.parametrize("task", ["coco_caption_karpathy", "coco5k_retrieval", "flickr30k_retrieval",
                                  "flickr30k_caption_karpathy", "vqav2_val", "okvqa_val", "cifar10_zeroshot"])
def test_hub_source_gives_the_official_ids_and_metrics(task: str, data_root: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    task_file = _fast_copy(task, tmp_path)
    official = _run(task_file, data_root, capsys)
    hub = _run(task_file, data_root, capsys, "--data", "hf")
    assert [s.id for s in _samples(data_root, f"{task}@hf")] == [s.id for s in _samples(data_root, task)]
    assert hub["metrics"] == official["metrics"] and official["metrics"]
    assert hub["task"]["name"] == official["task"]["name"] == task
    data = hub["task"]["arguments"]["data"]
    spec = load_task_spec(task)
    assert (data["format"], data["path"], data["revision"]) == ("hf", spec.hub["path"], spec.hub["revision"])


def test_hub_samples_carry_the_official_texts_and_meta(data_root: Path) -> None:
    for task in ("coco_caption_karpathy", "flickr30k_retrieval", "vqav2_val"):
        hub = {s.id: (s.texts, {k: v for k, v in s.meta.items() if k != "filename"}) for s in _samples(data_root, f"{task}@hf")}
        official = {s.id: (s.texts, {k: v for k, v in s.meta.items() if k != "filename"}) for s in _samples(data_root, task)}
        assert hub == official, task


def test_imagenet_webdataset_copy_same_labels_and_metrics_row_ids(data_root: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    task_file = _fast_copy("imagenet_zeroshot", tmp_path)
    official = _run(task_file, data_root, capsys)
    hub = _run(f"{task_file}@hf", data_root, capsys)  # a task file path takes @hf too
    assert hub["metrics"] == official["metrics"]
    hub_samples, official_samples = _samples(data_root, "imagenet_zeroshot@hf"), _samples(data_root, "imagenet_zeroshot")
    assert [s.id for s in hub_samples] == ["0", "1", "2"]  # the copy has no file names: row numbers (see the task file)
    assert [s.meta["label"] for s in hub_samples] == [s.meta["label"] for s in official_samples] == [0, 1, 999]


def test_cifar_hub_copy_reads_the_same_pixels(data_root: Path) -> None:
    hub, official = _samples(data_root, "cifar10_zeroshot@hf"), _samples(data_root, "cifar10_zeroshot")
    from mmbench.data import open_image

    assert [s.id for s in hub] == [s.id for s in official] == ["0", "1", "2", "3"]
    for h, o in zip(hub, official):
        assert np.array_equal(np.asarray(open_image(h.image, data_root)), np.asarray(open_image(o.image, data_root)))


def test_images_from_needs_every_sample_image(data_root: Path, tmp_path: Path) -> None:
    import shutil

    from mmbench.data import load_split
    from mmbench.errors import DataError

    shutil.copytree(data_root / "hub" / "yerevann", tmp_path / "hub" / "yerevann")
    (tmp_path / "hub" / "lmms-lab" / "COCO-Caption" / "data").mkdir(parents=True)
    rows = datasets.Dataset.from_parquet(str(data_root / "hub/lmms-lab/COCO-Caption/data/val-00000-of-00001.parquet"))
    rows.select([0, 2, 3]).to_parquet(str(tmp_path / "hub/lmms-lab/COCO-Caption/data/val-00000-of-00001.parquet"))
    shutil.copy(data_root / "hub/lmms-lab/COCO-Caption/README.md", tmp_path / "hub/lmms-lab/COCO-Caption/README.md")
    with pytest.raises(DataError, match=r"1 sample id\(s\) have no image in lmms-lab/COCO-Caption .*first '73'"):
        load_split(load_task_spec("coco_caption_karpathy@hf").data, tmp_path)


# ---- validation, before any model loads ---------------------------------------------------------------------

def test_task_without_hub_source_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--task", "gqa_testdev_balanced", "--data", "hf", "--model", "mock"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gqa_testdev_balanced: no hub source" in err[0]


def test_every_hub_section_names_id_revision_split_and_how_it_differs() -> None:
    from mmbench.data.hub import is_pinned

    with_hub = {}
    for path in sorted(Path(load_task_spec("vqav2_val").source).parent.glob("*.yaml")):
        spec = load_task_spec(str(path))
        if spec.hub is not None:
            with_hub[spec.name] = spec.hub
            assert spec.hub["path"].count("/") == 1 and spec.hub["split"], spec.name
            for source in (spec.hub, spec.hub.get("images_from") or {}):
                assert not source or is_pinned(source["revision"]) == bool(source.get("revision_source")), spec.name
            assert spec.hub.get("same_samples", True) or spec.hub["note"], spec.name
    assert {"coco_caption_karpathy", "flickr30k_retrieval", "vqav2_val", "imagenet_zeroshot"} <= set(with_hub)


@pytest.mark.parametrize("hub, match", [
    ({"path": "a/b", "split": "test"}, "lacks revision"),
    ({"path": "a/b", "revision": "main", "split": "test", "format": "karpathy"}, "read by format hf"),
    ({"path": "a/b", "revision": "main", "split": "test", "same_samples": False}, "add hub.note"),
])
def test_bad_hub_section_is_rejected(hub: dict[str, Any], match: str) -> None:
    from mmbench.errors import UserError
    from mmbench.tasks.spec import parse_task_spec

    with pytest.raises(UserError, match=match):
        parse_task_spec({"name": "t", "type": "captioning", "version": 1, "data": {"format": "karpathy"}, "hub": hub}, "t.yaml")


def test_data_path_mentions_the_hub_alternative(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "path", "vqav2_val", "--data-dir", str(tmp_path)]) == 0
    assert "hub alternative: lmms-lab/VQAv2" in capsys.readouterr().out
    assert main(["data", "path", "imagenet_zeroshot@hf", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pinned commit f2dd0c74d63d03f3932d0f9b85bc827ec2779d99" in out and "absent" in out
    assert str(tmp_path / "hub" / "djghosh/wds_imagenet1k_test") in out
