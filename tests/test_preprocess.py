"""mmbench's image preprocessing equals transformers' PIL image processors within 1e-5 per value.

References: ``CLIPImageProcessorPil``, ``BlipImageProcessorPil`` and ``LlavaImageProcessorPil``
(transformers 5.x without torchvision) run inside the tests on real photographs of odd sizes
and modes from scikit-image, scikit-learn and matplotlib.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from mmbench.models.preprocess import (
    OPENAI_CLIP_MEAN,
    ImagePreprocessor,
    blip_transform,
    clip_transform,
    llava_transform,
    make_transform,
    transform_from_preprocessor_config,
)

TOLERANCE = 1e-5


def _photos() -> dict[str, Image.Image]:
    import matplotlib
    import skimage.data
    from sklearn.datasets import load_sample_images

    photos = {
        "astronaut_512sq": Image.fromarray(skimage.data.astronaut()),
        "coffee_400x600": Image.fromarray(skimage.data.coffee()),
        "chelsea_300x451": Image.fromarray(skimage.data.chelsea()),
        "camera_L": Image.fromarray(skimage.data.camera()),  # greyscale, mode "L"
        "page_L_191x384": Image.fromarray(skimage.data.page()),
        "logo_RGBA": Image.fromarray(skimage.data.logo()),  # real alpha channel
        "colorwheel_370x371": Image.fromarray(skimage.data.colorwheel()),
        "china_427x640": Image.fromarray(load_sample_images().images[0]),
        "flower_tall": Image.fromarray(load_sample_images().images[1]).transpose(Image.Transpose.ROTATE_90),
    }
    sample_data = Path(matplotlib.get_data_path()) / "sample_data"
    photos["grace_hopper_jpeg"] = Image.open(sample_data / "grace_hopper.jpg")
    photos["logo2_png"] = Image.open(sample_data / "logo2.png")
    coffee = photos["coffee_400x600"]
    photos["coffee_P_transparency"] = coffee.convert("P")
    photos["coffee_P_transparency"].info["transparency"] = 0
    photos["chelsea_LA"] = photos["chelsea_300x451"].convert("LA")
    photos["chelsea_CMYK"] = photos["chelsea_300x451"].convert("CMYK")
    photos["tiny_37x23"] = photos["china_427x640"].resize((37, 23))  # smaller than the crop
    return photos


PHOTOS = _photos()


@pytest.fixture(scope="module")
def exif_rotated_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JPEG stored sideways with EXIF Orientation=6 (rotate 90 degrees clockwise to view)."""
    path = tmp_path_factory.mktemp("exif") / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    PHOTOS["chelsea_300x451"].save(path, exif=exif.tobytes(), quality=90)
    return path


def _reference(processor: object, image: Image.Image) -> torch.Tensor:
    out = processor(images=image, return_tensors="pt")  # type: ignore[operator]
    return out["pixel_values"][0]


def _assert_close(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.dtype == torch.float32
    assert ours.shape == theirs.shape
    assert float((ours - theirs).abs().max()) <= TOLERANCE


@pytest.fixture(scope="module")
def processors() -> dict[str, object]:
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
    from transformers.models.llava.image_processing_pil_llava import (
        LlavaImageProcessorPil,
    )

    return {
        "clip224": CLIPImageProcessorPil(),
        "clip336": CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}),
        "blip384": BlipImageProcessorPil(),
        "blip480": BlipImageProcessorPil(size={"height": 480, "width": 480}),
        "llava_pad": LlavaImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}, do_pad=True),
        "llava_hf": CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}),
    }


OURS: dict[str, ImagePreprocessor] = {
    "clip224": clip_transform(224),
    "clip336": clip_transform(336),
    "blip384": blip_transform(384),
    "blip480": blip_transform(480),
    "llava_pad": llava_transform(336, pad=True),
    "llava_hf": llava_transform(336, pad=False),
}


@pytest.mark.parametrize("photo", sorted(PHOTOS))
@pytest.mark.parametrize("kind", sorted(OURS))
def test_equals_transformers_processor(kind: str, photo: str, processors: dict[str, object]) -> None:
    image = PHOTOS[photo]
    _assert_close(OURS[kind](image), _reference(processors[kind], image))


@pytest.mark.parametrize("kind", sorted(OURS))
def test_exif_rotated_jpeg_as_loaded_by_transformers(kind: str, processors: dict[str, object],
                                                      exif_rotated_jpeg: Path) -> None:
    from transformers.image_utils import load_image

    image = load_image(str(exif_rotated_jpeg))  # applies the EXIF orientation
    assert image.size == (300, 451)  # (W, H): upright again
    _assert_close(OURS[kind](image), _reference(processors[kind], image))
    raw = Image.open(exif_rotated_jpeg)  # not transposed: both sides see the stored pixels
    _assert_close(OURS[kind](raw), _reference(processors[kind], raw))
    _assert_close(OURS[kind](ImageOps.exif_transpose(Image.open(exif_rotated_jpeg))), _reference(processors[kind], image))


def test_output_shapes_and_dtype() -> None:
    wide = PHOTOS["china_427x640"]
    assert tuple(clip_transform(224)(wide).shape) == (3, 224, 224)
    assert tuple(clip_transform(224, crop=False)(wide).shape) == (3, 224, 335)  # int(224 * 640 / 427)
    assert tuple(blip_transform(384)(wide).shape) == (3, 384, 384)
    assert tuple(llava_transform(336)(wide).shape) == (3, 336, 336)


def test_llava_pad_colour_is_the_truncated_mean() -> None:
    assert llava_transform().pad_colour == (122, 116, 104)
    # a padded border pixel normalises to (c / 255 - mean) / std, computed by hand
    out = llava_transform(336)(Image.new("RGB", (100, 20), (0, 0, 0)))
    expected = (122 / 255 - OPENAI_CLIP_MEAN[0]) / 0.26862954
    assert abs(float(out[0, 0, 0]) - expected) < 1e-6


def test_transforms_pickle_and_compare_equal() -> None:
    for transform in OURS.values():
        clone = pickle.loads(pickle.dumps(transform))
        assert clone == transform
        assert torch.equal(clone(PHOTOS["coffee_400x600"]), transform(PHOTOS["coffee_400x600"]))


@pytest.mark.parametrize("kind", ["clip224", "blip384", "llava_pad"])
def test_from_preprocessor_config_equals_processor(kind: str, processors: dict[str, object]) -> None:
    processor = processors[kind]
    config = processor.to_dict()  # type: ignore[attr-defined]
    ours = transform_from_preprocessor_config(config)
    image = PHOTOS["chelsea_300x451"]
    _assert_close(ours(image), _reference(processor, image))


def test_from_old_style_preprocessor_config_with_int_sizes() -> None:
    config = {"image_processor_type": "CLIPImageProcessor", "size": 224, "crop_size": 224, "do_center_crop": True}
    assert transform_from_preprocessor_config(config) == clip_transform(224)
    blip = {"image_processor_type": "BlipImageProcessor", "size": 384}
    assert transform_from_preprocessor_config(blip) == blip_transform(384)


def test_make_transform_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="resize_mode"):
        make_transform("longest_edge", 224)  # type: ignore[arg-type]


def test_array_values_hand_checked() -> None:
    """A constant grey image: every value is (128/255 - mean_c) / std_c, whatever the resize does."""
    out = clip_transform(224)(Image.new("L", (300, 250), 128))
    for channel, (m, s) in enumerate(zip(OPENAI_CLIP_MEAN, (0.26862954, 0.26130258, 0.27577711))):
        np.testing.assert_allclose(out[channel].numpy(), (128 / 255 - m) / s, atol=1e-6)


os.environ.setdefault("HF_HUB_OFFLINE", "1")
