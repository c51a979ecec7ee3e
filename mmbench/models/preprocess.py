"""Image preprocessing owned by mmbench: PIL image -> float32 tensor (3, H, W), no torchvision.

Matches the transformers 5.x PIL image processors value for value (``CLIPImageProcessorPil``,
``BlipImageProcessorPil``, ``LlavaImageProcessorPil``; the ones used when torchvision is absent):

1. RGB: images with an alpha band (or a palette ``transparency``) are composited onto white,
   everything else goes through ``Image.convert("RGB")`` (greyscale is replicated).
2. optional pad to square (LLaVA-1.5): the uint8 image is centred on a ``max(H, W)`` square filled
   with ``pad_colour`` (the CLIP mean x 255, truncated: (122, 116, 104)); offset ``(max - side) // 2``.
3. resize with PIL (bicubic by default) on the uint8 image, so the result is rounded to uint8:
   ``shortest_edge`` keeps the aspect ratio, long side ``int(size * long / short)`` (floor);
   ``square`` resizes to ``size x size``.
4. optional centre crop: offsets ``(H - h) // 2`` and ``(W - w) // 2``; an image smaller than the
   crop is zero-padded first (as transformers does), offsets ``ceil((h - H) / 2)``.
5. rescale in float64 by 1/255, cast to float32, then ``(x - mean) / std`` in float32.

EXIF orientation is not applied here: it belongs to the image loader (transformers'
``load_image`` and mmbench's readers call ``ImageOps.exif_transpose`` when opening a file).

Every transform is a frozen dataclass, so it pickles into DataLoader worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import torch
    from PIL import Image

OPENAI_CLIP_MEAN: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)

ResizeMode = Literal["shortest_edge", "square"]

# PIL resampling filter numbers (Image.Resampling), as transformers' ``resample`` ints use them.
RESAMPLE_NAMES: dict[str, int] = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


@dataclass(frozen=True)
class ImagePreprocessor:
    """PIL image (any mode) -> float32 tensor (3, H, W), normalised; see the module docstring.

    ``size``: the shortest edge in pixels (``resize_mode="shortest_edge"``) or the side of the
    square (``"square"``). ``crop``: (height, width) of the centre crop, or None for no crop.
    ``pad_colour``: RGB uint8 fill for padding to a square before resizing, or None for no padding.
    ``resample``: a PIL filter number (3 = bicubic).
    """

    resize_mode: ResizeMode
    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    crop: tuple[int, int] | None = None
    pad_colour: tuple[int, int, int] | None = None
    resample: int = RESAMPLE_NAMES["bicubic"]

    def __call__(self, image: Image.Image) -> torch.Tensor:
        import torch

        pixels = np.asarray(to_rgb(image))  # (H, W, 3) uint8
        if self.pad_colour is not None:
            pixels = pad_to_square(pixels, self.pad_colour)
        pixels = self._resize(pixels)
        if self.crop is not None:
            pixels = centre_crop(pixels, self.crop)
        chw = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))  # (3, H, W) uint8
        return normalise(chw, self.mean, self.std)

    def _resize(self, pixels: np.ndarray) -> np.ndarray:
        from PIL import Image

        height, width = pixels.shape[:2]
        new_height, new_width = resized_shape(height, width, self.size, self.resize_mode)
        resized = Image.fromarray(pixels).resize((new_width, new_height), resample=self.resample)
        return np.asarray(resized)  # (new_height, new_width, 3) uint8


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB copy of ``image``: transparency composited onto white, other modes via ``convert``."""
    from PIL import Image

    has_alpha = "A" in image.getbands() or image.info.get("transparency") is not None
    if not has_alpha:
        return image if image.mode == "RGB" else image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def resized_shape(height: int, width: int, size: int, mode: ResizeMode) -> tuple[int, int]:
    """(height, width) after resizing; the long side of a shortest-edge resize is floored."""
    if mode == "square":
        return size, size
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def pad_to_square(pixels: np.ndarray, colour: Sequence[int]) -> np.ndarray:
    """(H, W, 3) uint8 centred on a (S, S, 3) canvas of ``colour``, S = max(H, W)."""
    height, width = pixels.shape[:2]
    side = max(height, width)
    if height == width:
        return pixels
    canvas = np.empty((side, side, 3), dtype=np.uint8)
    canvas[:] = np.asarray(colour, dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top:top + height, left:left + width] = pixels
    return canvas


def centre_crop(pixels: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """Centre crop (H, W, C) -> (h, w, C); an image smaller than the crop is zero-padded first."""
    height, width = pixels.shape[:2]
    crop_height, crop_width = crop
    if height < crop_height or width < crop_width:
        padded_height, padded_width = max(height, crop_height), max(width, crop_width)
        padded = np.zeros((padded_height, padded_width) + pixels.shape[2:], dtype=pixels.dtype)
        top, left = math.ceil((padded_height - height) / 2), math.ceil((padded_width - width) / 2)
        padded[top:top + height, left:left + width] = pixels
        pixels, height, width = padded, padded_height, padded_width
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return pixels[top:top + crop_height, left:left + crop_width]


def normalise(chw: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 (3, H, W) -> float32 ``(x / 255 - mean) / std``; the rescale in float64 as transformers does."""
    import torch

    scaled = (chw.to(torch.float64) * (1 / 255)).to(torch.float32)  # (3, H, W)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (scaled - mean_t) / std_t


# ---- constructors ------------------------------------------------------------------------------


def make_transform(
    resize_mode: ResizeMode,
    size: int,
    mean: Sequence[float] = OPENAI_CLIP_MEAN,
    std: Sequence[float] = OPENAI_CLIP_STD,
    *,
    crop: int | tuple[int, int] | None = None,
    pad_colour: Sequence[int] | None = None,
    resample: str | int = "bicubic",
) -> ImagePreprocessor:
    """The generic constructor; ``crop`` an int means a square crop."""
    if resize_mode not in ("shortest_edge", "square"):
        raise ValueError(f"resize_mode must be 'shortest_edge' or 'square', not {resize_mode!r}")
    crop_hw = (crop, crop) if isinstance(crop, int) else (tuple(crop) if crop is not None else None)
    return ImagePreprocessor(
        resize_mode=resize_mode,
        size=int(size),
        mean=_triple(mean, float),
        std=_triple(std, float),
        crop=crop_hw,  # type: ignore[arg-type]
        pad_colour=_triple(pad_colour, int) if pad_colour is not None else None,
        resample=RESAMPLE_NAMES[resample] if isinstance(resample, str) else int(resample),
    )


def clip_transform(size: int = 224, crop: bool = True, mean: Sequence[float] = OPENAI_CLIP_MEAN,
                   std: Sequence[float] = OPENAI_CLIP_STD) -> ImagePreprocessor:
    """CLIP: shortest edge to ``size`` (bicubic), centre crop ``size x size``, normalise (CLIPImageProcessor)."""
    return make_transform("shortest_edge", size, mean, std, crop=size if crop else None)


def blip_transform(size: int = 384, mean: Sequence[float] = OPENAI_CLIP_MEAN,
                   std: Sequence[float] = OPENAI_CLIP_STD) -> ImagePreprocessor:
    """BLIP: square resize to ``size`` (bicubic), no crop, normalise (BlipImageProcessor); 480 for VQA."""
    return make_transform("square", size, mean, std)


def llava_transform(size: int = 336, pad: bool = True, pad_colour: Sequence[int] | None = None,
                    mean: Sequence[float] = OPENAI_CLIP_MEAN, std: Sequence[float] = OPENAI_CLIP_STD) -> ImagePreprocessor:
    """LLaVA-1.5: pad to square with the mean colour, then CLIP processing at ``size``.

    ``pad=True`` equals ``LlavaImageProcessor(do_pad=True)`` (the original LLaVA recipe);
    ``pad=False`` equals the CLIPImageProcessor shipped with the llava-hf checkpoints.
    ``pad_colour`` defaults to ``int(m * 255)`` of each mean value: (122, 116, 104) for CLIP's mean.
    """
    colour = pad_colour if pad_colour is not None else tuple(int(m * 255) for m in mean)
    return make_transform("shortest_edge", size, mean, std, crop=size, pad_colour=colour if pad else None)


def transform_from_preprocessor_config(config: Mapping[str, Any], *, pad: bool | None = None) -> ImagePreprocessor:
    """The transform a checkpoint's ``preprocessor_config.json`` describes (CLIP, BLIP, LLaVA processors).

    Reads ``size`` ({"shortest_edge"} or {"height", "width"}, or an int), ``crop_size``,
    ``do_center_crop``, ``image_mean``, ``image_std``, ``resample`` and ``do_pad``
    (``pad`` overrides it). Only square sizes are supported.
    """
    size_field = config.get("size", 224)
    # an int ``size`` means the shortest edge except for processors that default to squares (BLIP)
    int_means_square = "Blip" in str(config.get("image_processor_type", ""))
    if isinstance(size_field, Mapping) and "shortest_edge" in size_field:
        mode: ResizeMode = "shortest_edge"
        size = int(size_field["shortest_edge"])
    elif isinstance(size_field, int) and not int_means_square:
        mode, size = "shortest_edge", size_field
    else:
        mode = "square"
        size = _square_side(size_field, "size")
    crop = None
    if config.get("do_center_crop", mode == "shortest_edge"):
        crop = _square_side(config.get("crop_size", size), "crop_size")
    mean = config.get("image_mean", OPENAI_CLIP_MEAN)
    do_pad = config.get("do_pad", False) if pad is None else pad
    return make_transform(
        mode, size, mean, config.get("image_std", OPENAI_CLIP_STD), crop=crop,
        pad_colour=tuple(int(m * 255) for m in mean) if do_pad else None,
        resample=int(config.get("resample", RESAMPLE_NAMES["bicubic"])),
    )


def _square_side(field: Any, name: str) -> int:
    if isinstance(field, int):
        return field
    if isinstance(field, Mapping) and "height" in field and field["height"] == field.get("width"):
        return int(field["height"])
    raise ValueError(f"preprocessor config {name}={field!r}: only square sizes or shortest_edge are supported")


def _triple(values: Sequence[Any], cast: type) -> Any:
    items = tuple(cast(v) for v in values)
    if len(items) != 3:
        raise ValueError(f"expected 3 per-channel values, got {values!r}")
    return items
