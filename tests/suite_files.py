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
       "purple": (140, 60, 180), "orange": (245, 140, 30)}


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
