"""PaliGemma, Gemma 3, Mllama, Mistral3 and Aya Vision through ``hf:`` equal the checkpoint's own
reference code (tiny checkpoints: ``tests/tiny_chat_families_b.py``).

Reference, one sample at a time as the model cards do, greedy, the task's ``max_new_tokens``, the
checkpoint's generation_config.json otherwise:
- chat families: ``processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
  return_dict=True, return_tensors="pt")`` with the images inside the user message, then
  ``model.generate(**inputs)``;
- PaliGemma (no chat template): ``processor(images=image, text=prompt, return_tensors="pt")`` (a
  list of images for a two-image sample), no task prefix, then ``model.generate(**inputs)``.
mmbench must give the same text at batch 1 and in one batch of six conversations mixing image sizes,
aspect ratios and one or two images. Where a batched text differs, the failure names the reference's
top-2 logit margins per step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tiny_chat_families_b
import torch
from test_hf_chat_families import (
    GEN,
    MAX_NEW_TOKENS,
    conversations,
    first_difference_margin,
    reference_generate,
)

from mmbench.errors import UserError
from mmbench.models.spec import load_model

FAMILIES = list(tiny_chat_families_b.BUILDERS)


pytestmark = pytest.mark.usefixtures("single_torch_thread")  # tiny models: one torch thread (conftest)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_chat_b")
    return {name: build(root / name) for name, build in tiny_chat_families_b.BUILDERS.items()}


_MODELS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def mmbench_model(checkpoints: dict[str, Path], family: str, **model_args: str) -> Any:
    key = (family, tuple(sorted(model_args.items())))
    if key not in _MODELS:
        _MODELS[key] = load_model(f"hf:{checkpoints[family]}", **model_args)
    return _MODELS[key]


_REFERENCES: dict[str, tuple[Any, Any]] = {}


def reference(checkpoints: dict[str, Path], family: str) -> tuple[Any, Any]:
    """The checkpoint's model class and ``AutoProcessor`` (none of these processors has a video processor;
    Mistral3's ``PixtralProcessor`` is imported from its module, see :mod:`mmbench.models.hf.pixtral`)."""
    if family not in _REFERENCES:
        import json

        import transformers

        directory = checkpoints[family]
        architecture = json.loads((directory / "config.json").read_text())["architectures"][0]
        model = getattr(transformers, architecture).from_pretrained(directory).eval()
        if family == "mistral3":  # transformers.PixtralProcessor is a placeholder without torchvision: the real class
            from mmbench.models.hf.pixtral import pixtral_processor_class

            processor = pixtral_processor_class().from_pretrained(directory)
        else:
            processor = transformers.AutoProcessor.from_pretrained(directory)
        _REFERENCES[family] = (model, processor)
    return _REFERENCES[family]


def paligemma_generate(model: Any, processor: Any, messages: list[dict[str, Any]], max_new_tokens: int = MAX_NEW_TOKENS) -> str:
    """google/paligemma2-3b-mix-224's model card: ``processor(text=prompt, images=image)``, generate, decode the new tokens."""
    content = messages[0]["content"]
    images = [part["image"] for part in content if part["type"] == "image"]
    prompt = "".join(part["text"] for part in content if part["type"] == "text")
    inputs = processor(text=prompt, images=images[0] if len(images) == 1 else [images], return_tensors="pt")
    inputs.pop("labels", None)  # the processor's training labels; generate takes none
    length = inputs["input_ids"].shape[-1]
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return str(processor.decode(out[0][length:], skip_special_tokens=True)).strip()


def chat_generate(model: Any, processor: Any, messages: list[dict[str, Any]], max_new_tokens: int) -> str:
    """The chat model cards' call for one conversation (as ``reference_generate``, any ``max_new_tokens``)."""
    inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True,
                                           return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return str(processor.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)).strip()


_EXPECTED: dict[str, list[str]] = {}


def expected(checkpoints: dict[str, Path], family: str) -> list[str]:
    if family not in _EXPECTED:
        model, processor = reference(checkpoints, family)
        call = paligemma_generate if family == "paligemma" else reference_generate
        _EXPECTED[family] = [call(model, processor, conversation) for conversation in conversations()]
    return _EXPECTED[family]


@pytest.mark.parametrize("family", FAMILIES)
def test_family_is_chosen_from_config(checkpoints: dict[str, Path], family: str) -> None:
    model = mmbench_model(checkpoints, family)
    assert model.describe()["family"] == family


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_of_one_equals_the_model_card(checkpoints: dict[str, Path], family: str) -> None:
    model = mmbench_model(checkpoints, family)
    want = expected(checkpoints, family)
    got = [model.generate([conversation], GEN)[0] for conversation in conversations()]
    assert got == want
    assert len(set(want)) > 1  # the tiny model's answers depend on the input


@pytest.mark.parametrize("family", FAMILIES)
def test_mixed_batch_with_two_image_samples_equals_the_model_card(checkpoints: dict[str, Path], family: str) -> None:
    model = mmbench_model(checkpoints, family)
    want = expected(checkpoints, family)
    got = model.generate(conversations(), GEN)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"sample {i}: " + first_difference_margin(model, conversations()[i], g, w)


def test_gemma3_template_bos_is_not_doubled(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "gemma3")
    ids = model.model_inputs(conversations()[:1])["input_ids"][0]
    bos = model.tokenizer.bos_token_id
    assert int(ids[0]) == bos and int((ids == bos).sum()) == 1
    assert model.render_prompt(conversations()[0]).startswith("<bos><start_of_turn>user\n<start_of_image>")


def test_paligemma_prefix_prompt_has_no_template_and_no_task_prefix(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "paligemma")
    conversation = conversations()[0]
    assert model.render_prompt(conversation) == "<image>what color is it?"
    ids = model.model_inputs([conversation])["input_ids"][0].tolist()
    tokenizer = model.tokenizer
    # 16 image tokens, BOS, the prompt's bytes, "\n": nothing else (no "answer en" prefix)
    assert ids[:16] == [tokenizer.convert_tokens_to_ids("<image>")] * 16 and ids[16] == tokenizer.bos_token_id
    assert tokenizer.decode(ids[17:]) == "what color is it?\n"
    prefixed = mmbench_model(checkpoints, "paligemma", prompt="answer en {prompt}")
    assert prefixed.render_prompt(conversation) == "<image>answer en what color is it?"
    with pytest.raises(UserError, match="no place for a system prompt"):
        load_model(f"hf:{checkpoints['paligemma']}", system_prompt="be brief")


@pytest.mark.parametrize("family", ["mistral3", "aya-vision"])
def test_image_token_count_predicts_the_input_length(checkpoints: dict[str, Path], family: str) -> None:
    """Bucketing reads the image-token count (Pixtral's rows, Aya Vision's tiles) from the image size
    alone: input length minus the count is the same for every image size (same text)."""
    from test_hf_chat_families import IMAGES, input_length

    model = mmbench_model(checkpoints, family)
    _, processor = reference(checkpoints, family)
    lengths = [input_length(processor, image) for image in IMAGES]
    counts = [model.image_token_count(*image.size) for image in IMAGES]
    assert len(set(lengths)) > 1 and model.image_tokens_vary
    assert len({length - count for length, count in zip(lengths, counts)}) == 1



@pytest.mark.parametrize("family", ["mistral3", "aya-vision"])
def test_measured_count_is_measured_once_per_tiling(checkpoints: dict[str, Path], family: str) -> None:
    """Sizes with the same tiling (Pixtral's resized size, Aya Vision's tile count) share one
    measurement, and it equals measuring each size itself."""
    from test_hf_chat_families import IMAGES

    sizes = sorted({image.size for image in IMAGES} | {(1200, 800), (800, 1200), (3000, 2000)})
    keyed = load_model(f"hf:{checkpoints[family]}")
    per_size = load_model(f"hf:{checkpoints[family]}")
    per_size.image_count_key = lambda width, height: ("size", width, height)  # measure every size
    assert [keyed.image_token_count(*size) for size in sizes] == [per_size.image_token_count(*size) for size in sizes]
    assert len(keyed._measured_counts) < len(per_size._measured_counts) == len(sizes)


def test_mllama_takes_no_tile_option(checkpoints: dict[str, Path]) -> None:
    """The processor's max_image_tiles below the config's max_num_tiles breaks Mllama's cross-attention
    reshape (transformers 5.24: "shape '[1, 16, 32]' is invalid"), so the family declares no tile option."""
    with pytest.raises(UserError, match="max_num_tiles is not an option of the mllama family"):
        load_model(f"hf:{checkpoints['mllama']}", max_num_tiles="1")


def test_aya_vision_max_num_tiles_is_the_processors_max_patches(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "aya-vision", max_num_tiles="1")
    ref, processor = reference(checkpoints, "aya-vision")
    conversation = conversations()[3]  # 90x50: several tiles by default, the global view alone with max_patches=1
    assert len(model.model_inputs([conversation])["input_ids"][0]) < \
        len(mmbench_model(checkpoints, "aya-vision").model_inputs([conversation])["input_ids"][0])
    assert model.image_token_count(90, 50) < mmbench_model(checkpoints, "aya-vision").image_token_count(90, 50)
    assert model.generate([conversation], GEN) == [reference_generate(ref, processor, conversation, max_patches=1)]



@pytest.mark.parametrize("family", ["paligemma", "mistral3"])
def test_shapes_vqa_through_the_cli_at_batch_4_equals_the_model_card(checkpoints: dict[str, Path], family: str, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """``mmbench run --task shapes_vqa --batch-size 4``: every prediction equals the model card's call on
    that sample's image and the task's instruction prompt, one sample at a time."""
    import json

    from mmbench.cli import main
    from mmbench.data import load_split, open_image
    from mmbench.results import read_samples
    from mmbench.tasks.spec import load_task_spec

    capsys.readouterr()
    status = main(["run", "--model", f"hf:{checkpoints[family]}", "--task", "shapes_vqa", "--limit", "6", "--batch-size", "4",
                   "--num-workers", "0", "--json", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    result = json.loads(out)
    result = result[0] if isinstance(result, list) else result
    records = {r["id"]: r for r in read_samples(tmp_path / Path(result["samples_file"]).name.replace(".samples.jsonl", ".json"))}
    spec = load_task_spec("shapes_vqa")
    split = load_split(spec.data, None)
    model, processor = reference(checkpoints, family)
    call = paligemma_generate if family == "paligemma" else chat_generate
    for sample in split.samples[:6]:
        question = spec.prompt["instruction"].format(question=sample.meta["question"])
        image = open_image(sample.image, split.root).convert("RGB")
        messages = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": question}]}]
        assert records[sample.id]["prediction"] == call(model, processor, messages, spec.generation["max_new_tokens"])
    if family == "paligemma":
        assert records[split.samples[0].id]["prompt"].startswith("<image>")  # the prefix, no chat template


def test_mllama_refuses_a_system_message_with_images_in_one_line(checkpoints: dict[str, Path]) -> None:
    """Upstream's template raises for images plus a system message; mmbench says so before processing."""
    with pytest.raises(UserError, match="does not take a system message with images"):
        load_model(f"hf:{checkpoints['mllama']}", system_prompt="be brief")
    model = mmbench_model(checkpoints, "mllama")
    conversation = [{"role": "system", "content": [{"type": "text", "text": "be brief"}]}, *conversations()[0]]
    with pytest.raises(UserError, match="this conversation has both"):
        model.generate([conversation], GEN)
    _, processor = reference(checkpoints, "mllama")
    with pytest.raises(Exception, match="incompatible with system messages"):  # the template's own rule
        processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
