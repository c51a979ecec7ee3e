"""Parity of the built-in LLaVA (``llava:``) with transformers' LlavaForConditionalGeneration.

Tiny random checkpoints of several shapes (widths, depths, head counts, GQA ratios 1/2/4, patch
sizes, feature layers, CLS handling, tied embeddings, rope scaling) are written with
``save_pretrained`` together with a small word-level tokenizer and a LlavaProcessor. Expected
values always come from transformers run inside the test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import pytest
import torch

transformers = pytest.importorskip("transformers")

from mmbench.conversation import single_image_conversations
from mmbench.errors import UserError
from mmbench.models.builtin.llava import adapter as llava_adapter
from mmbench.models.builtin.llava.config import PRESETS, VisionConfig
from mmbench.models.builtin.decoding import DecodeSettings
from mmbench.models.builtin.llava.model import Llava, load_llava
from mmbench.types import GenerationConfig

VOCAB = 100
IMAGE_TOKEN_ID = 4
SPECIALS = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
WORDS = ["USER", "ASSISTANT", ":", "?", ".", "what", "colour", "is", "the", "shape", "how", "many", "a", "red", "circle",
         "color", "are", "shapes", "kind", "of", "these", "there", "where", "size", "green", "blue", "triangle", "square",
         "answer", "question", "using", "single", "word", "or", "phrase", "yes", "no", "one", "two", "three", "small", "large"]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'].upper() + ': ' }}"
    "{% for c in message['content'] %}{% if c['type'] == 'image' %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] + ' ' }}{% endif %}{% endfor %}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
PROMPTS = ["what colour is the shape?", "how many shapes", "is the shape a red circle? what colour is it?"]


@dataclass(frozen=True)
class Shape:
    name: str
    vision: dict[str, Any]
    text: dict[str, Any]
    llava: dict[str, Any] = field(default_factory=dict)


SHAPES = [
    Shape("mha-patch7-default",
          vision={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4, "image_size": 28, "patch_size": 7},
          text={"hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4}),
    Shape("gqa2-patch6-full-tied",
          vision={"hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 30, "patch_size": 6,
                      "hidden_act": "gelu"},
          text={"hidden_size": 64, "intermediate_size": 80, "num_hidden_layers": 3, "num_attention_heads": 8, "num_key_value_heads": 4,
                    "rope_theta": 500.0, "tie_word_embeddings": True},
          llava={"vision_feature_layer": -1, "vision_feature_select_strategy": "full", "tie_word_embeddings": True}),
    Shape("gqa4-patch14-multilayer-linear-rope",
          vision={"hidden_size": 40, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 5, "image_size": 28, "patch_size": 14},
          text={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 8, "num_key_value_heads": 2,
                    "head_dim": 8, "rms_norm_eps": 1e-5, "rope_parameters": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}},
          llava={"vision_feature_layer": [-2, 0], "multimodal_projector_bias": False, "projector_hidden_act": "gelu_pytorch_tanh"}),
]


# ---- fixtures: tiny checkpoints written by transformers ---------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Any:
    """Tiny models gain nothing from threads, and on a shared CPU idle OpenMP threads spin (10x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    fillers = [f"w{i}" for i in range(VOCAB - len(SPECIALS) - len(WORDS))]
    vocab = {token: i for i, token in enumerate(SPECIALS + WORDS + fillers)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"}, chat_template=CHAT_TEMPLATE)


def hf_config(shape: Shape) -> Any:
    vision = transformers.CLIPVisionConfig(**shape.vision)
    text = transformers.LlamaConfig(vocab_size=VOCAB, bos_token_id=1, eos_token_id=2, pad_token_id=3, **shape.text)
    return transformers.LlavaConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN_ID, **shape.llava)


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Weights large enough that logits are far from uniform (HF's init gives near-ties)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            p.copy_(1.0 + 0.1 * noise if name.endswith("norm.weight") or "layer_norm" in name or "layrnorm" in name
                    else 0.3 * noise)


def write_checkpoint(directory: Path, shape: Shape, seed: int = 0) -> Any:
    model = transformers.LlavaForConditionalGeneration(hf_config(shape)).eval()
    randomise(model, seed)
    model.save_pretrained(directory)
    side = shape.vision["image_size"]
    image_processor = transformers.LlavaImageProcessorPil(size={"shortest_edge": side}, crop_size={"height": side, "width": side},
                                                          do_pad=True)
    strategy = shape.llava.get("vision_feature_select_strategy", "default")
    processor = transformers.LlavaProcessor(image_processor=image_processor, tokenizer=make_tokenizer(), chat_template=CHAT_TEMPLATE,
                                            patch_size=shape.vision["patch_size"], vision_feature_select_strategy=strategy,
                                            num_additional_image_tokens=1)
    processor.save_pretrained(directory)
    return model


@dataclass
class Checkpoint:
    shape: Shape
    path: Path
    reference: Any  # transformers LlavaForConditionalGeneration
    processor: Any


@pytest.fixture(scope="module", params=SHAPES, ids=[s.name for s in SHAPES])
def checkpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Checkpoint:
    shape: Shape = request.param
    path = tmp_path_factory.mktemp(shape.name)
    reference = write_checkpoint(path, shape, seed=SHAPES.index(shape))
    return Checkpoint(shape, path, reference, transformers.AutoProcessor.from_pretrained(path))


@pytest.fixture(scope="module")
def images() -> list[Any]:
    """Photos of odd sizes and modes (a wide RGB, a tall greyscale, a square RGBA)."""
    from PIL import Image

    generator = torch.Generator().manual_seed(7)
    wide = Image.fromarray(torch.randint(0, 256, (23, 41, 3), generator=generator, dtype=torch.uint8).numpy())
    tall = Image.fromarray(torch.randint(0, 256, (50, 19), generator=generator, dtype=torch.uint8).numpy(), mode="L")
    square = Image.fromarray(torch.randint(0, 256, (32, 32, 4), generator=generator, dtype=torch.uint8).numpy(), mode="RGBA")
    return [wide, tall, square]


def reference_inputs(ck: Checkpoint, images: list[Any], prompts: list[str]) -> dict[str, torch.Tensor]:
    """What transformers' own pipeline feeds the model: chat template, processor, left padding."""
    messages = [[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": p}]}] for p in prompts]
    texts = [ck.processor.apply_chat_template(m, add_generation_prompt=True, tokenize=False) for m in messages]
    ck.processor.tokenizer.padding_side = "left"
    return dict(ck.processor(images=list(images), text=texts, padding=True, return_tensors="pt"))


# ---- parity -------------------------------------------------------------------------------------------
def test_image_features_match_transformers(checkpoint: Checkpoint, images: list[Any]) -> None:
    ours = load_llava(checkpoint.path)
    pixels = reference_inputs(checkpoint, images, PROMPTS)["pixel_values"]
    with torch.no_grad():
        expected = torch.stack(list(checkpoint.reference.get_image_features(pixel_values=pixels).pooler_output))
        got = ours.image_features(pixels)
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() < 1e-5


def test_logits_match_transformers_with_left_padding(checkpoint: Checkpoint, images: list[Any]) -> None:
    ours = load_llava(checkpoint.path)
    inputs = reference_inputs(checkpoint, images, PROMPTS)
    mask = inputs["attention_mask"]
    assert not bool(mask.all()), "the prompts should need padding"
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)  # as transformers' generate derives them
    with torch.no_grad():
        expected = checkpoint.reference(**inputs, position_ids=positions).logits
        got = ours(inputs["input_ids"], inputs["pixel_values"], mask)
    real = mask.bool()
    assert (got[real] - expected[real]).abs().max().item() < 1e-5


def test_logits_match_transformers_without_padding(checkpoint: Checkpoint, images: list[Any]) -> None:
    ours = load_llava(checkpoint.path)
    inputs = reference_inputs(checkpoint, images[:1], PROMPTS[:1])
    with torch.no_grad():
        expected = checkpoint.reference(input_ids=inputs["input_ids"], pixel_values=inputs["pixel_values"]).logits
        got = ours(inputs["input_ids"], inputs["pixel_values"])
    assert (got - expected).abs().max().item() < 1e-5


def test_greedy_tokens_match_transformers_generate(checkpoint: Checkpoint, images: list[Any]) -> None:
    """24 forced new tokens (min_new_tokens blocks EOS) per row of a left-padded batch."""
    ours = load_llava(checkpoint.path)
    inputs = reference_inputs(checkpoint, images, PROMPTS)
    with torch.no_grad():
        output = checkpoint.reference.generate(**inputs, max_new_tokens=24, min_new_tokens=24, do_sample=False, pad_token_id=3)
    expected = output[:, inputs["input_ids"].shape[1]:].tolist()
    got = ours.generate(inputs["input_ids"], inputs["pixel_values"], inputs["attention_mask"],
                        DecodeSettings(max_new_tokens=24, min_new_tokens=24, eos_token_ids=(2,)))
    assert got == expected
    assert all(len(row) == 24 for row in got)


def test_repetition_penalty_matches_transformers(checkpoint: Checkpoint, images: list[Any]) -> None:
    ours = load_llava(checkpoint.path)
    inputs = reference_inputs(checkpoint, images[:2], PROMPTS[:2])
    with torch.no_grad():
        output = checkpoint.reference.generate(**inputs, max_new_tokens=20, min_new_tokens=20, do_sample=False,
                                               repetition_penalty=1.7, pad_token_id=3)
    got = ours.generate(inputs["input_ids"], inputs["pixel_values"], inputs["attention_mask"],
                        DecodeSettings(max_new_tokens=20, min_new_tokens=20, repetition_penalty=1.7, eos_token_ids=(2,)))
    assert got == output[:, inputs["input_ids"].shape[1]:].tolist()


# ---- the adapter: prompts, preprocessing, batching ------------------------------------------------------
@pytest.fixture(scope="module")
def adapter(checkpoint: Checkpoint) -> llava_adapter.LlavaAdapter:
    return llava_adapter.create(str(checkpoint.path))


def test_adapter_inputs_equal_the_processors(adapter: llava_adapter.LlavaAdapter, checkpoint: Checkpoint, images: list[Any]) -> None:
    expected = reference_inputs(checkpoint, images, PROMPTS)
    input_ids, mask = adapter.encode_prompts(PROMPTS)
    assert torch.equal(input_ids[mask.bool()], expected["input_ids"][expected["attention_mask"].bool()])
    assert torch.equal(mask, expected["attention_mask"])
    transform = adapter.image_transform()
    pixels = torch.stack([transform(im) for im in images])
    assert (pixels - expected["pixel_values"]).abs().max().item() < 1e-5


def test_adapter_generate_equals_transformers_pipeline(adapter: llava_adapter.LlavaAdapter, checkpoint: Checkpoint,
                                                       images: list[Any]) -> None:
    """End to end with EOS allowed: text decoded from transformers' generate on the processor's inputs."""
    inputs = reference_inputs(checkpoint, images, PROMPTS)
    with torch.no_grad():
        output = checkpoint.reference.generate(**inputs, max_new_tokens=22, do_sample=False, pad_token_id=3)
    expected = [t.strip() for t in checkpoint.processor.tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:],
                                                                               skip_special_tokens=True)]
    batch = adapter.collate_images([adapter.image_transform()(im) for im in images])
    assert adapter.generate(single_image_conversations(batch, PROMPTS), GenerationConfig(max_new_tokens=22)) == expected


def test_batch_equals_one_at_a_time(adapter: llava_adapter.LlavaAdapter, images: list[Any]) -> None:
    transform = adapter.image_transform()
    cfg = GenerationConfig(max_new_tokens=24, min_new_tokens=24)
    many_images = [images[i % 3] for i in range(16)]
    many_prompts = [PROMPTS[(i * 2) % 3] + " " + "the " * (i % 5) for i in range(16)]
    batched = adapter.generate(single_image_conversations(adapter.collate_images([transform(im) for im in many_images]), many_prompts), cfg)
    single = [adapter.generate(single_image_conversations(adapter.collate_images([transform(im)]), [p]), cfg)[0] for im, p in zip(many_images, many_prompts)]
    assert batched == single
    assert len(set(batched)) > 1


def test_prompt_and_length_options(checkpoint: Checkpoint, images: list[Any]) -> None:
    """``prompt`` wraps the task's prompt, ``max_new_tokens`` caps generation (string values, as from the CLI)."""
    model = llava_adapter.create(str(checkpoint.path), prompt="{prompt} answer using a single word", max_new_tokens="3")
    inputs = reference_inputs(checkpoint, images[:2], [p + " answer using a single word" for p in PROMPTS[:2]])
    with torch.no_grad():
        output = checkpoint.reference.generate(**inputs, max_new_tokens=3, do_sample=False, pad_token_id=3)
    expected = [t.strip() for t in checkpoint.processor.tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:],
                                                                               skip_special_tokens=True)]
    batch = model.collate_images([model.image_transform()(im) for im in images[:2]])
    assert model.generate(single_image_conversations(batch, PROMPTS[:2]), GenerationConfig(max_new_tokens=30)) == expected


def test_pad_to_square_can_be_turned_off(checkpoint: Checkpoint, images: list[Any]) -> None:
    model = llava_adapter.create(str(checkpoint.path), pad_to_square="false")
    side = checkpoint.shape.vision["image_size"]
    reference = transformers.LlavaImageProcessorPil(size={"shortest_edge": side}, crop_size={"height": side, "width": side},
                                                    do_pad=False)
    for image in images:
        expected = reference(images=[image], return_tensors="pt")["pixel_values"][0]
        assert (model.image_transform()(image) - expected).abs().max().item() < 1e-5


def test_clip_image_processor_checkpoints_are_not_padded_unless_asked(checkpoint: Checkpoint, tmp_path: Path,
                                                                      images: list[Any]) -> None:
    """llava-hf releases ship a CLIPImageProcessor (no padding); pad_to_square=true gives LLaVA-1.5's padding."""
    import json
    import shutil

    shutil.copytree(checkpoint.path, tmp_path / "ck")
    config_path = tmp_path / "ck" / "processor_config.json"
    config = json.loads(config_path.read_text())
    config["image_processor"].pop("do_pad")
    config["image_processor"]["image_processor_type"] = "CLIPImageProcessor"
    config_path.write_text(json.dumps(config))
    side = checkpoint.shape.vision["image_size"]
    sizes = {"size": {"shortest_edge": side}, "crop_size": {"height": side, "width": side}}
    for pad, reference in [(None, transformers.CLIPImageProcessorPil(**sizes)),
                           ("true", transformers.LlavaImageProcessorPil(do_pad=True, **sizes))]:
        model = llava_adapter.create(str(tmp_path / "ck"), **({"pad_to_square": pad} if pad else {}))
        for image in images:
            expected = reference(images=[image], return_tensors="pt")["pixel_values"][0]
            assert (model.image_transform()(image) - expected).abs().max().item() < 1e-5


# ---- loading ---------------------------------------------------------------------------------------------
def _rewrite_weights(source: Path, target: Path, edit: Any) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target)
    state = load_file(str(source / "model.safetensors"))
    save_file(edit(state), str(target / "model.safetensors"))


def test_missing_and_unexpected_keys_are_listed(checkpoint: Checkpoint, tmp_path: Path) -> None:
    def edit(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        state = dict(state)
        del state["multi_modal_projector.linear_2.weight"]
        state["language_model.model.layers.0.mlp.extra.weight"] = torch.zeros(2)
        return state

    _rewrite_weights(checkpoint.path, tmp_path / "broken", edit)
    with pytest.raises(UserError) as error:
        load_llava(tmp_path / "broken")
    message = str(error.value)
    assert "1 missing key(s): model.multi_modal_projector.linear_2.weight" in message
    assert "1 unexpected key(s): model.language_model.layers.0.mlp.extra.weight" in message


@pytest.mark.parametrize("layout", ["transformers-4-legacy", "transformers-5-in-memory"])
def test_other_key_layouts_load(checkpoint: Checkpoint, tmp_path: Path, layout: str, images: list[Any]) -> None:
    """llava-hf hub files say ``vision_tower.vision_model.``; a raw 5.x state_dict says ``model.vision_tower.``."""
    if layout == "transformers-4-legacy":
        def edit(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            return {k.replace("vision_tower.", "vision_tower.vision_model.", 1): v for k, v in state.items()}
    else:
        def edit(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            return {k: v.clone() for k, v in checkpoint.reference.state_dict().items()
                    if not (checkpoint.reference.config.tie_word_embeddings and k == "lm_head.weight")}
    _rewrite_weights(checkpoint.path, tmp_path / layout, edit)
    inputs = reference_inputs(checkpoint, images[:1], PROMPTS[:1])
    with torch.no_grad():
        expected = checkpoint.reference(input_ids=inputs["input_ids"], pixel_values=inputs["pixel_values"]).logits
        got = load_llava(tmp_path / layout)(inputs["input_ids"], inputs["pixel_values"])
    assert (got - expected).abs().max().item() < 1e-5


def test_shape_mismatch_is_a_user_error(tmp_path: Path) -> None:
    shape = SHAPES[0]
    write_checkpoint(tmp_path / "ck", shape)
    config = (tmp_path / "ck" / "config.json").read_text().replace('"intermediate_size": 96', '"intermediate_size": 95')
    (tmp_path / "ck" / "config.json").write_text(config)
    with pytest.raises(UserError, match="shapes that do not match"):
        load_llava(tmp_path / "ck")


def test_bad_model_arguments_are_user_errors(checkpoint: Checkpoint, adapter: llava_adapter.LlavaAdapter) -> None:
    with pytest.raises(UserError, match="unknown model argument"):
        llava_adapter.create(str(checkpoint.path), temperature="0.7")
    with pytest.raises(UserError, match="beam search"):
        adapter.generate(single_image_conversations(torch.zeros(1, 3, 28, 28), ["x"]), GenerationConfig(num_beams=3))


# ---- presets: the released architectures ----------------------------------------------------------------
def _llava_hf_config(text: dict[str, Any]) -> Any:
    """The llava-hf/llava-1.5-*-hf config.json values (the fields those files set), via transformers' defaults."""
    vision = transformers.CLIPVisionConfig(hidden_size=1024, image_size=336, intermediate_size=4096, num_attention_heads=16,
                                           num_hidden_layers=24, patch_size=14, projection_dim=768)
    text_config = transformers.LlamaConfig(max_position_embeddings=4096, rms_norm_eps=1e-5, vocab_size=32064, pad_token_id=32001, **text)
    return transformers.LlavaConfig(vision_config=vision, text_config=text_config, image_token_index=32000)


@pytest.mark.parametrize(("name", "text"), [
    ("llava-1.5-7b", {}),
    ("llava-1.5-13b", {"hidden_size": 5120, "intermediate_size": 13824, "num_hidden_layers": 40, "num_attention_heads": 40}),
])
def test_presets_have_the_released_architecture(name: str, text: dict[str, Any]) -> None:
    with torch.device("meta"):
        ours = Llava(PRESETS[name])
        reference = transformers.LlavaForConditionalGeneration(_llava_hf_config(text))
    expected = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == expected
    assert PRESETS[name].image_seq_length == 576
    assert isinstance(PRESETS[name].vision, VisionConfig)


# ---- through the CLI: llava: equals hf: on the same checkpoint ---------------------------------------------
@pytest.fixture(scope="module")
def cli_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-checkpoint")
    write_checkpoint(path, SHAPES[0], seed=11)
    return path


def _cli_run(spec: str, output: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, float], list[str]]:
    import json

    from mmbench.cli import main

    code = main(["run", "--task", "shapes_vqa", "--model", spec, "--limit", "24", "--batch-size", "8", "--num-workers", "0",
                 "--no-progress", "--json", "--output-dir", str(output)])
    assert code == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)[0]
    rows = [json.loads(line) for line in (output / result["samples_file"]).read_text().splitlines()]
    return result["metrics"], [row["prediction"] for row in rows]


def test_cli_shapes_vqa_llava_equals_hf(cli_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours = _cli_run(f"llava:{cli_checkpoint}", tmp_path / "llava", capsys)
    reference = _cli_run(f"hf:{cli_checkpoint}", tmp_path / "hf", capsys)
    assert ours == reference
    assert any(prediction for prediction in ours[1])


@pytest.mark.parametrize("rope_scaling", [None, {"type": "linear", "factor": 3.0}])
def test_transformers_4_style_config_loads(tmp_path: Path, images: list[Any], rope_scaling: dict[str, Any] | None) -> None:
    """config.json as transformers 4.x wrote it: top-level rope_theta and rope_scaling, image_token_index."""
    import json

    write_checkpoint(tmp_path, SHAPES[0], seed=5)
    config = json.loads((tmp_path / "config.json").read_text())
    text = config["text_config"]
    del text["rope_parameters"]
    text.update(rope_theta=2500.0, rope_scaling=rope_scaling)
    (tmp_path / "config.json").write_text(json.dumps(config))
    reference = transformers.LlavaForConditionalGeneration.from_pretrained(tmp_path).eval()
    assert reference.config.text_config.rope_parameters["rope_theta"] == 2500.0
    processor = transformers.AutoProcessor.from_pretrained(tmp_path)
    inputs = reference_inputs(Checkpoint(SHAPES[0], tmp_path, reference, processor), images[:1], PROMPTS[:1])
    with torch.no_grad():
        expected = reference(input_ids=inputs["input_ids"], pixel_values=inputs["pixel_values"]).logits
        got = load_llava(tmp_path)(inputs["input_ids"], inputs["pixel_values"])
    assert (got - expected).abs().max().item() < 1e-5


def test_unsupported_rope_type_is_a_user_error(tmp_path: Path) -> None:
    import json

    write_checkpoint(tmp_path, SHAPES[0])
    config = json.loads((tmp_path / "config.json").read_text())
    config["text_config"]["rope_parameters"] = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="rope type 'yarn'"):
        load_llava(tmp_path)
