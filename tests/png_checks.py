"""What a rendered PNG (a screenshot, a plot) must be to count as drawn: a PNG of the expected size
whose pixels are not one flat colour (a blank page or an empty canvas fails)."""

from __future__ import annotations

from pathlib import Path


def assert_drawn_png(path: Path, size: tuple[int, int] | None = None, min_size: tuple[int, int] = (200, 150)) -> None:
    """``path`` is a PNG of exactly ``size`` (else at least ``min_size``) pixels, with dark and light
    pixels (contrast of at least 100 of 255 grey levels) and at least 0.2 % of its pixels away from
    the most common (background) colour."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG", f"{path.name}: {image.format}, not PNG"
        width, height = image.size
        if size is not None:
            assert (width, height) == size, f"{path.name}: {width} x {height}, expected {size[0]} x {size[1]}"
        else:
            assert width >= min_size[0] and height >= min_size[1], f"{path.name}: only {width} x {height}"
        grey = image.convert("L")
    low, high = grey.getextrema()
    assert high - low >= 100, f"{path.name}: grey levels {low} to {high} only: blank"
    histogram = grey.histogram()
    background = max(histogram)
    assert (width * height - background) >= 0.002 * width * height, f"{path.name}: {background} of {width * height} pixels are one grey: blank"
