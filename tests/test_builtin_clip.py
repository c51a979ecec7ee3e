"""The built-in CLIP equals transformers' CLIPModel on tiny random checkpoints of several shapes.

Reference: ``transformers.CLIPModel`` (5.x, fp32) loaded from the same ``save_pretrained``
directory, run inside the test. Tolerance: 1e-5 max absolute difference on embeddings and logits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from conftest import MmbenchCli  # tests/ is on sys.path (rootdir conftest)
from mmbench.errors import UserError
from mmbench.models.builtin.clip.adapter import create
from mmbench.models.builtin.clip.model import (
    PRESETS,
    ClipConfig,
    ClipModel,
    config_from_openai_state_dict,
    openai_to_hf_state_dict,
)

TOLERANCE = 1e-5
TEXTS = [
    "a photo of the cat",
    "A PHOTO OF A DOG!",
    "the",
    "photo of photos, of the photographed photographer's photograph, with many more words to overflow the context",
    "",
    "3 red circles & 2 blue squares",
]

# Several shapes: widths, depths, patch sizes, head counts, activations, pooling rules.
SHAPES: dict[str, dict[str, Any]] = {
    "w32_p8_quickgelu": {
        "vision": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        "text": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 16},
        "projection_dim": 16},
    "w48_p4_gelu_argmax_eos": {
        "vision": {"hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 3, "num_attention_heads": 3, "image_size": 24, "patch_size": 4,
                    "hidden_act": "gelu"},
        "text": {"hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 12,
                  "hidden_act": "gelu", "eos_token_id": 2},  # old configs: pool at the largest id
        "projection_dim": 20},
    "w64_p16_heads8_deep_text": {
        "vision": {"hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 1, "num_attention_heads": 8, "image_size": 48, "patch_size": 16},
        "text": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3, "num_attention_heads": 1, "max_position_embeddings": 20},
        "projection_dim": 24},
}


def tiny_clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over byte symbols with a few merges; the special tokens take the largest ids, as in CLIP."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPTokenizer

    vocab: dict[str, int] = {}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
        vocab[symbol + "</w>"] = len(vocab)
    merges = [("t", "h"), ("th", "e</w>"), ("p", "h"), ("ph", "o"), ("o", "f</w>"), ("o", "t")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges)


def build_checkpoint(directory: Path, shape: dict[str, Any], seed: int = 0) -> Path:
    """save_pretrained a random CLIPModel with its tokenizer and image processor."""
    from transformers import CLIPConfig, CLIPModel
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    tokenizer = tiny_clip_tokenizer()
    text = {"vocab_size": len(tokenizer), "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id, **shape["text"]}
    config = CLIPConfig(text_config=text, vision_config=shape["vision"], projection_dim=shape["projection_dim"])
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    side = shape["vision"]["image_size"]
    CLIPImageProcessorPil(size={"shortest_edge": side}, crop_size={"height": side, "width": side}).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clip_ckpts")
    return {name: build_checkpoint(root / name, shape, seed=i) for i, (name, shape) in enumerate(SHAPES.items())}


@pytest.fixture(scope="module")
def photos() -> list[Any]:
    import skimage.data
    from PIL import Image

    return [Image.fromarray(skimage.data.chelsea()), Image.fromarray(skimage.data.camera()),
            Image.fromarray(skimage.data.logo()), Image.fromarray(skimage.data.rocket())]


_REFERENCE_CACHE: dict[Path, dict[str, torch.Tensor]] = {}


def _reference_outputs(directory: Path, photos: list[Any]) -> dict[str, torch.Tensor]:
    """transformers' outputs on ``photos`` and ``TEXTS`` (computed once per checkpoint)."""
    if directory not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[directory] = _run_reference(directory, photos)
    return _REFERENCE_CACHE[directory]


def _run_reference(directory: Path, photos: list[Any]) -> dict[str, torch.Tensor]:
    from transformers import AutoProcessor, CLIPModel

    model = CLIPModel.from_pretrained(directory).eval()
    processor = AutoProcessor.from_pretrained(directory)
    max_length = model.config.text_config.max_position_embeddings
    inputs = processor(text=TEXTS, images=photos, return_tensors="pt", padding=True, truncation=True, max_length=max_length)
    with torch.no_grad():
        out = model(**inputs)
        image = model.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
        text = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).pooler_output
    return {"image": image, "text": text, "logits_per_image": out.logits_per_image,
            "pixel_values": inputs["pixel_values"], "input_ids": inputs["input_ids"]}


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a.float() - b.float()).abs().max())


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_embeddings_and_logits_equal_transformers(name: str, checkpoints: dict[str, Path], photos: list[Any]) -> None:
    ref = _reference_outputs(checkpoints[name], photos)
    model = ClipModel.from_pretrained(checkpoints[name])
    with torch.no_grad():
        image = model.encode_image(ref["pixel_values"])
        text = model.encode_text(ref["input_ids"])
        logits = model(ref["pixel_values"], ref["input_ids"])
    assert _max_diff(image, ref["image"]) <= TOLERANCE
    assert _max_diff(text, ref["text"]) <= TOLERANCE
    assert _max_diff(logits, ref["logits_per_image"]) <= TOLERANCE


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_adapter_end_to_end_equals_transformers(name: str, checkpoints: dict[str, Path], photos: list[Any]) -> None:
    """The adapter's own preprocessing and tokenisation give transformers' normalised embeddings."""
    ref = _reference_outputs(checkpoints[name], photos)
    adapter = create(str(checkpoints[name]))
    batch = adapter.collate_images([adapter.image_transform()(p) for p in photos])
    assert _max_diff(batch, ref["pixel_values"]) <= TOLERANCE
    images, texts = adapter.encode_images(batch), adapter.encode_texts(TEXTS)
    assert images.dtype == torch.float32 and texts.dtype == torch.float32
    assert _max_diff(images, torch.nn.functional.normalize(ref["image"], dim=-1)) <= TOLERANCE
    assert _max_diff(texts, torch.nn.functional.normalize(ref["text"], dim=-1)) <= TOLERANCE
    assert _max_diff(images.norm(dim=-1), torch.ones(len(photos))) <= 1e-5


def test_spec_resolves_to_the_builtin_adapter(checkpoints: dict[str, Path]) -> None:
    from mmbench.models.spec import load_model

    adapter = load_model(f"clip:{checkpoints['w32_p8_quickgelu']}")
    assert adapter.adapter_name == "clip"
    assert {c.value for c in adapter.capabilities} == {"encode_images", "encode_texts"}


def test_vision_hidden_states_equal_transformers_layers(checkpoints: dict[str, Path], photos: list[Any]) -> None:
    """Per-layer token states, indexed as transformers' hidden_states (LLaVA reads layer -2)."""
    from transformers import CLIPModel

    directory = checkpoints["w48_p4_gelu_argmax_eos"]
    pixels = _reference_outputs(directory, photos)["pixel_values"]
    ref = CLIPModel.from_pretrained(directory).eval()
    ours = ClipModel.from_pretrained(directory)
    with torch.no_grad():
        states = ref.vision_model(pixel_values=pixels, output_hidden_states=True).hidden_states
        for layer in (0, 1, -2, -1):
            assert _max_diff(ours.vision_model.hidden_states(pixels, layer), states[layer]) <= TOLERANCE


def test_missing_and_unexpected_keys_are_listed(checkpoints: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    source = checkpoints["w32_p8_quickgelu"]
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    state = load_file(str(source / "model.safetensors"))
    del state["text_model.encoder.layers.1.mlp.fc2.bias"]
    state["vision_model.head.weight"] = torch.zeros(2)
    save_file(state, str(broken / "model.safetensors"))
    with pytest.raises(UserError) as error:
        ClipModel.from_pretrained(broken)
    message = str(error.value)
    assert "1 missing key(s): text_model.encoder.layers.1.mlp.fc2.bias" in message
    assert "1 unexpected key(s): vision_model.head.weight" in message


def test_wrong_shapes_fail_with_a_user_error(checkpoints: dict[str, Path]) -> None:
    from dataclasses import replace

    from mmbench.models.checkpoint import load_state_dict, read_config

    directory = checkpoints["w32_p8_quickgelu"]
    state = load_state_dict(directory)
    config = ClipConfig.from_hf_dict(read_config(directory))
    config = replace(config, vision=replace(config.vision, intermediate_size=72))
    with pytest.raises(UserError, match="do not fit the config"):
        ClipModel.from_state_dict(config, state)


def test_logit_scale_is_clamped_at_100(checkpoints: dict[str, Path]) -> None:
    model = ClipModel.from_pretrained(checkpoints["w32_p8_quickgelu"])
    with torch.no_grad():
        model.logit_scale.fill_(5.0)  # exp(5) = 148 > 100
        pixels = torch.randn(2, 3, 32, 32)
        ids = torch.tensor([[5, 3, model.config.text.eos_token_id]])
        image = torch.nn.functional.normalize(model.encode_image(pixels), dim=-1)
        text = torch.nn.functional.normalize(model.encode_text(ids), dim=-1)
        assert _max_diff(model(pixels, ids), 100.0 * image @ text.T) <= 1e-5


def test_presets_have_the_release_shapes() -> None:
    with torch.device("meta"):
        b32 = ClipModel(PRESETS["ViT-B/32"])
        l14_336 = ClipModel(PRESETS["ViT-L/14-336"])
    from transformers import CLIPConfig, CLIPModel

    with torch.device("meta"):
        reference = CLIPModel(CLIPConfig())  # transformers' defaults are ViT-B/32
    assert {k: v.shape for k, v in b32.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    assert tuple(l14_336.vision_model.embeddings.position_embedding.weight.shape) == (577, 1024)  # (336/14)^2 + 1
    assert PRESETS["ViT-B/16"].vision.num_patches == 196


# ---- OpenAI / open_clip layout -----------------------------------------------------------------

OPENAI_SHAPE = {  # OpenAI's layout implies 64-wide heads and a 4x MLP
    "vision": {"hidden_size": 128, "intermediate_size": 512, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
    "text": {"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 1, "max_position_embeddings": 16},
    "projection_dim": 32}


def _to_openai_layout(hf_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An OpenAI CLIP state dict (model.py of openai/CLIP): packed in_proj, x @ proj projections."""
    out: dict[str, torch.Tensor] = {}
    for tower, prefix in (("vision_model", "visual."), ("text_model", "")):
        layer_ids = {int(k.split(".")[3]) for k in hf_state if k.startswith(f"{tower}.encoder.layers.")}
        for i in layer_ids:
            src, dst = f"{tower}.encoder.layers.{i}.", f"{prefix}transformer.resblocks.{i}."
            for kind in ("weight", "bias"):
                out[dst + f"attn.in_proj_{kind}"] = torch.cat([hf_state[src + f"self_attn.{p}_proj.{kind}"] for p in "qkv"])
                out[dst + f"attn.out_proj.{kind}"] = hf_state[src + f"self_attn.out_proj.{kind}"]
                out[dst + f"ln_1.{kind}"] = hf_state[src + f"layer_norm1.{kind}"]
                out[dst + f"ln_2.{kind}"] = hf_state[src + f"layer_norm2.{kind}"]
                out[dst + f"mlp.c_fc.{kind}"] = hf_state[src + f"mlp.fc1.{kind}"]
                out[dst + f"mlp.c_proj.{kind}"] = hf_state[src + f"mlp.fc2.{kind}"]
    out["visual.class_embedding"] = hf_state["vision_model.embeddings.class_embedding"]
    out["visual.positional_embedding"] = hf_state["vision_model.embeddings.position_embedding.weight"]
    out["visual.conv1.weight"] = hf_state["vision_model.embeddings.patch_embedding.weight"]
    for kind in ("weight", "bias"):
        out[f"visual.ln_pre.{kind}"] = hf_state[f"vision_model.pre_layrnorm.{kind}"]
        out[f"visual.ln_post.{kind}"] = hf_state[f"vision_model.post_layernorm.{kind}"]
        out[f"ln_final.{kind}"] = hf_state[f"text_model.final_layer_norm.{kind}"]
    out["visual.proj"] = hf_state["visual_projection.weight"].T.contiguous()
    out["text_projection"] = hf_state["text_projection.weight"].T.contiguous()
    out["token_embedding.weight"] = hf_state["text_model.embeddings.token_embedding.weight"]
    out["positional_embedding"] = hf_state["text_model.embeddings.position_embedding.weight"]
    out["logit_scale"] = hf_state["logit_scale"]
    out["attn_mask"] = torch.full((16, 16), float("-inf")).triu(1)  # old open_clip saved the causal mask
    return out


@pytest.fixture(scope="module")
def openai_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    directory = build_checkpoint(tmp_path_factory.mktemp("openai_hf"), OPENAI_SHAPE, seed=7)
    from mmbench.models.checkpoint import load_state_dict

    return directory, _to_openai_layout(load_state_dict(directory))


def test_openai_packing_matches_torch_multihead_attention(openai_checkpoint: tuple[Path, dict[str, torch.Tensor]]) -> None:
    """Check of the test's own layout: torch's MultiheadAttention reads the packed weights as HF's block does."""
    from transformers import CLIPModel

    directory, openai_state = openai_checkpoint
    hf_attention = CLIPModel.from_pretrained(directory).eval().vision_model.encoder.layers[0].self_attn
    mha = torch.nn.MultiheadAttention(128, 2, batch_first=True)
    mha.load_state_dict({k.split("attn.")[1]: v for k, v in openai_state.items() if k.startswith("visual.transformer.resblocks.0.attn.")})
    x = torch.randn(2, 5, 128)
    with torch.no_grad():
        assert _max_diff(mha(x, x, x, need_weights=False)[0], hf_attention(x)[0]) <= TOLERANCE


def test_openai_layout_loads_and_equals_transformers(openai_checkpoint: tuple[Path, dict[str, torch.Tensor]], photos: list[Any]) -> None:
    directory, openai_state = openai_checkpoint
    config = config_from_openai_state_dict(openai_state)
    assert config.vision.num_attention_heads == 2 and config.text.num_attention_heads == 1
    assert config.vision.image_size == 32 and config.text.max_position_embeddings == 16 and config.projection_dim == 32
    model = ClipModel.from_state_dict(config, openai_to_hf_state_dict(openai_state))
    ref = _reference_outputs(directory, photos)
    with torch.no_grad():
        assert _max_diff(model.encode_image(ref["pixel_values"]), ref["image"]) <= TOLERANCE
        assert _max_diff(model.encode_text(ref["input_ids"]), ref["text"]) <= TOLERANCE


def test_open_clip_directory_through_create(openai_checkpoint: tuple[Path, dict[str, torch.Tensor]], photos: list[Any],
                                            tmp_path: Path) -> None:
    from safetensors.torch import save_file

    directory, openai_state = openai_checkpoint
    save_file(openai_state, str(tmp_path / "open_clip_model.safetensors"))
    (tmp_path / "open_clip_config.json").write_text('{"model_cfg": {"quick_gelu": true}}')
    adapter = create(str(tmp_path), tokenizer=str(directory))
    ref = _reference_outputs(directory, photos)
    texts = adapter.encode_texts(TEXTS)
    assert _max_diff(texts, torch.nn.functional.normalize(ref["text"], dim=-1)) <= TOLERANCE
    with pytest.raises(UserError, match="no usable tokenizer"):
        create(str(tmp_path))


def test_unknown_model_arg_is_a_user_error(checkpoints: dict[str, Path]) -> None:
    with pytest.raises(UserError, match="unknown model argument"):
        create(str(checkpoints["w32_p8_quickgelu"]), attn="sdpa")


# ---- through the CLI ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real 77-token context, so that no two shapes captions truncate to the same tokens: exact
    score ties would be broken by float rounding, differently in the two implementations."""
    shape = {**SHAPES["w32_p8_quickgelu"], "text": {**SHAPES["w32_p8_quickgelu"]["text"], "max_position_embeddings": 77}}
    return build_checkpoint(tmp_path_factory.mktemp("clip_cli"), shape)


@pytest.mark.slow
def test_cli_metrics_equal_the_hf_adapter(cli_checkpoint: Path, tmp_path: Path, mmbench_cli: MmbenchCli) -> None:
    """`mmbench run` with clip:DIR and hf:DIR (transformers) gives the same metrics and zero-shot predictions."""
    import json

    directory = cli_checkpoint
    outputs: dict[str, dict[str, Any]] = {}
    for adapter in ("clip", "hf"):
        out_dir = tmp_path / adapter
        run = mmbench_cli("run", "--task", "shapes_zeroshot", "--task", "shapes_retrieval", "--model", f"{adapter}:{directory}",
                          "--limit", "40", "--batch-size", "16", "--no-progress", "--output-dir", str(out_dir))
        assert run.returncode == 0, run.stderr
        for task in ("shapes_zeroshot", "shapes_retrieval"):
            result = json.loads(next(out_dir.glob(f"{task}__*[0-9].json")).read_text())
            samples = [json.loads(line) for line in next(out_dir.glob(f"{task}__*.samples.jsonl")).read_text().splitlines()]
            outputs[f"{adapter}/{task}"] = {"metrics": result["metrics"], "predictions": [s.get("prediction") for s in samples]}
    for task in ("shapes_zeroshot", "shapes_retrieval"):
        assert outputs[f"clip/{task}"]["metrics"] == outputs[f"hf/{task}"]["metrics"]
    assert outputs["clip/shapes_zeroshot"]["predictions"] == outputs["hf/shapes_zeroshot"]["predictions"]
    assert outputs["clip/shapes_retrieval"]["metrics"]["i2t_R@10"] > 0  # a non-trivial comparison
