"""Model-ready batches of a stage's items: texts in slices, images opened and preprocessed in
DataLoader worker processes while the model runs (:class:`ImageItems`: one image per item, or every
image of a conversation), unreadable images failing fast (``--on-error fail``) or skipped and listed
(``--on-error skip``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from mmbench.conversation import images_in, replace_images
from mmbench.devices import to_device
from mmbench.errors import DataError
from mmbench.execution import decoding_workers, model_threads
from mmbench.tasks.base import ConversationItem, Stage
from mmbench.types import RunConfig


def load_batches(stage: Stage, indices: list[int], adapter: Any, root: Path, config: RunConfig, batch_size: int,
             skipped: list[tuple[int, dict[str, str]]]) -> Any:
    """Yield (item indices, model-ready batch) over ``indices`` of the stage's items. Images are
    decoded in worker processes; an unreadable one fails (``--on-error fail``) or is appended to
    ``skipped`` as (index, entry)."""
    if stage.kind == "texts":
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            yield chunk, [stage.items[i] for i in chunk]
        return
    if not indices:
        return
    from torch.utils.data import DataLoader

    dataset = ImageItems([stage.items[i] for i in indices], root, adapter.image_transform())
    workers = _num_workers(config, adapter.device, len(indices), batch_size)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=_as_list,
                        worker_init_fn=_single_thread_worker if workers else None,
                        prefetch_factor=4 if workers else None, persistent_workers=False)
    with model_threads(adapter.device, workers):
        yield from _checked(loader, stage, indices, adapter, config, skipped)


def next_timed(batches: Any, timer: Any) -> Any:
    """The next loaded batch (None at the end); the time spent waiting for it goes to ``timer``."""
    waiting = time.perf_counter()
    loaded = next(batches, None)
    timer.waited(time.perf_counter() - waiting)
    return loaded


def _checked(loader: Any, stage: Stage, indices: list[int], adapter: Any, config: RunConfig,
             skipped: list[tuple[int, dict[str, str]]]) -> Any:
    """The loader's batches without unreadable images (failing or skipping them), collated on the device."""
    for batch in loader:
        chosen, values = [], []
        for position, value, error in batch:
            index = indices[position]
            if error is None:
                chosen.append(index)
                values.append(value)
            elif config.on_error == "fail":
                raise DataError(f"{error} (use --on-error skip to skip unreadable images; they are then listed in the results)")
            else:
                item = stage.items[index]
                skipped.append((index, {"id": str(getattr(item, "id", index)), "image": str(getattr(item, "image", "")), "error": error}))
        if chosen:
            yield chosen, model_batch(stage, values, adapter)


def model_batch(stage: Stage, values: list[Any], adapter: Any) -> Any:
    """What a stage's step receives for loaded items: conversations as a list (the adapter batches
    their images itself), single images collated and moved to the model's device."""
    if stage.kind == "conversations":
        return values
    return to_device(adapter.collate_images(values), adapter.device)


class ImageItems:
    """Map-style dataset: item i -> (i, transformed image or None, error text or None); for a
    conversation item (:class:`mmbench.tasks.base.ConversationItem`) the value is its conversation
    with every image transformed in place.

    Errors are returned, not raised, so the main process can fail with one clean line or skip.
    """

    def __init__(self, items: Sequence[Any], root: Path, transform: Any) -> None:
        self.items = items
        self.root = root
        self.transform = transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[int, Any, str | None]:
        from mmbench.data import open_image

        item = self.items[index]
        try:
            if isinstance(item, ConversationItem):
                images = [self.transform(open_image(image, self.root)) for image in images_in(item.conversation)]
                return index, replace_images(item.conversation, images), None
            return index, self.transform(open_image(item.image, self.root)), None
        except DataError as e:
            return index, None, str(e)
        except Exception as e:  # a transform failing on a strange image is still that image's fault
            return index, None, f"{getattr(item, 'image', index)}: cannot preprocess image ({type(e).__name__}: {e})"


def _as_list(batch: list[Any]) -> list[Any]:
    return batch


def _single_thread_worker(_: int) -> None:
    import torch

    torch.set_num_threads(1)


def _num_workers(config: RunConfig, device: str, n_items: int, batch_size: int) -> int:
    if config.num_workers is not None:
        return max(0, config.num_workers)
    return 0 if n_items <= batch_size else decoding_workers(device)
