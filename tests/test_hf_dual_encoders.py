"""SigLIP 2 and the generic dual-encoder path (any model with ``get_image_features`` /
``get_text_features``; here Chinese-CLIP) through ``hf:`` equal the model's own forward.

Reference: the checkpoint's processor called once on all texts and images as the model cards do
(``processor(text=..., images=..., return_tensors="pt")`` with the processor's own defaults:
SigLIP 2 pads texts to ``max_length`` 64 and makes variable-resolution patches with
``pixel_attention_mask`` and ``spatial_shapes``) and ``model(**inputs)``'s ``image_embeds``,
``text_embeds`` and ``logits_per_image``. mmbench preprocesses one image at a time in DataLoader
workers and stacks the inputs, so these tests also check that nothing of the processor's output is
dropped on the way.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny_dual_encoders
import torch
from PIL import Image

from mmbench.cli import main
from mmbench.errors import UserError
from mmbench.models import hf as hf_module
from mmbench.models.spec import load_model

TEXTS = ["a red circle", "Two BLUE squares on a big wooden table", "", "a photo of 3 dogs!"]
SIZES = [(32, 32), (40, 20), (20, 44), (64, 30), (50, 36)]  # (width, height): different SigLIP 2 patch grids


def _images() -> list[Image.Image]:
    rng = np.random.RandomState(1)
    return [Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")) for w, h in SIZES]


IMAGES = _images()


pytestmark = pytest.mark.usefixtures("single_torch_thread")  # tiny models: one torch thread (conftest)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_dual")
    return {name: build(root / name) for name, build in tiny_dual_encoders.BUILDERS.items()}


@pytest.fixture(scope="module")
def models(checkpoints: dict[str, Path]) -> dict[str, Any]:
    return {name: load_model(f"hf:{path}", device="cpu") for name, path in checkpoints.items()}


def batch(model: Any, images: list[Image.Image]) -> Any:
    transform = pickle.loads(pickle.dumps(model.image_transform()))  # as DataLoader workers receive it
    return model.collate_images([transform(image) for image in images])


def reference(name: str, directory: Path) -> tuple[Any, Any]:
    import transformers

    cls = {"siglip2": "Siglip2Model", "chinese_clip": "ChineseCLIPModel"}[name]
    return getattr(transformers, cls).from_pretrained(directory).eval(), transformers.AutoProcessor.from_pretrained(directory)


def test_families_are_chosen_from_config(models: dict[str, Any]) -> None:
    assert type(models["siglip2"]).__name__ == "HFSiglip2Adapter"
    assert models["siglip2"].describe()["family"] == "siglip2"
    assert type(models["chinese_clip"]).__name__ == "HFDualEncoderFromProcessorAdapter"  # no row: the generic path
    assert models["chinese_clip"].describe()["family"] == "dual-encoder"
    assert hf_module.choose_family({"model_type": "align", "architectures": ["AlignModel"]}, "x").name == "dual-encoder"
    with pytest.raises(UserError, match="not a supported hf: family"):  # BertModel has no get_image_features
        hf_module.choose_family({"model_type": "bert", "architectures": ["BertModel"]}, "x")


@pytest.mark.parametrize("name", ["siglip2", "chinese_clip"])
def test_embeddings_and_logits_equal_the_models_forward(checkpoints: dict[str, Path], models: dict[str, Any], name: str) -> None:
    model = models[name]
    ref, processor = reference(name, checkpoints[name])
    # The model cards' call: SigLIP 2's processor pads to max_length itself; Chinese-CLIP's card passes padding=True.
    extra = {} if name == "siglip2" else {"padding": True}
    inputs = processor(text=TEXTS, images=IMAGES[:4], return_tensors="pt", **extra)
    with torch.no_grad():
        out = ref(**inputs)
    images, texts = model.encode_images(batch(model, IMAGES[:4])), model.encode_texts(TEXTS)
    assert images.dtype == torch.float32 and texts.shape == (len(TEXTS), images.shape[1])
    normalize = torch.nn.functional.normalize
    torch.testing.assert_close(images, normalize(out.image_embeds.float(), dim=-1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(texts, normalize(out.text_embeds.float(), dim=-1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.similarity_to_logits(images @ texts.T), out.logits_per_image, atol=1e-4, rtol=1e-5)


def test_siglip2_keeps_the_variable_resolution_inputs(checkpoints: dict[str, Path], models: dict[str, Any]) -> None:
    model = models["siglip2"]
    inputs = batch(model, IMAGES)
    assert set(inputs) == {"pixel_values", "pixel_attention_mask", "spatial_shapes"}
    grids = {tuple(int(x) for x in row) for row in inputs["spatial_shapes"]}
    assert len(grids) == len(IMAGES)  # every aspect ratio its own patch grid: the test covers variable resolution
    assert int(inputs["pixel_attention_mask"][0].sum()) == 16 * 16  # a square image fills the 256 patches
    # Without the mask and the grid (what mmbench passed before) the model sees a different image:
    ref, _ = reference("siglip2", checkpoints["siglip2"])
    with torch.no_grad():
        ungridded = ref.get_image_features(pixel_values=inputs["pixel_values"][1:2],
                                           spatial_shapes=torch.tensor([[16, 16]]),
                                           pixel_attention_mask=torch.ones(1, 256, dtype=torch.long)).pooler_output
    assert not torch.allclose(torch.nn.functional.normalize(ungridded, dim=-1), model.encode_images(inputs[1:2]), atol=1e-3)


def test_siglip2_batches_and_slices_equal_one_image_at_a_time(models: dict[str, Any]) -> None:
    model = models["siglip2"]
    together = model.encode_images(batch(model, IMAGES))
    alone = torch.cat([model.encode_images(batch(model, [image])) for image in IMAGES])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)
    inputs = batch(model, IMAGES)
    assert len(inputs) == len(IMAGES) and len(inputs[1:3]) == 2
    torch.testing.assert_close(model.encode_images(inputs[1:3]), together[1:3], atol=1e-5, rtol=1e-5)
    alone_text = model.encode_texts([TEXTS[1]])  # padded to max_length: independent of the batch
    torch.testing.assert_close(alone_text[0], model.encode_texts(TEXTS)[1], atol=1e-6, rtol=1e-6)
    assert torch.allclose(model.encode_texts(["ABC"]), model.encode_texts(["abc"]))  # SigLIP 2's tokenizer lower-cases


@pytest.mark.parametrize("name, task, metric", [("siglip2", "shapes_retrieval", "i2t_R@1"),
                                                ("chinese_clip", "shapes_zeroshot", "top1")])
def test_runs_retrieval_and_zero_shot_through_the_cli(checkpoints: dict[str, Path], name: str, task: str, metric: str,
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    capsys.readouterr()
    status = main(["run", "--limit", "6", "--num-workers", "0", "--json", "--model", f"hf:{checkpoints[name]}",
                   "--task", task, "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    result = json.loads(out)
    result = result[0] if isinstance(result, list) else result
    assert 0.0 <= result["metrics"][metric] <= 100.0
    assert result["model"]["family"] == ("siglip2" if name == "siglip2" else "dual-encoder")
