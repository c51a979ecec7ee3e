"""The ``hf:`` adapter equals direct transformers calls on tiny random checkpoints of every family.

Reference: each family's transformers class and processor, loaded from the same ``save_pretrained``
directory and called as the model cards do (one image at a time for generation, so the batched
adapter calls also check that batching does not change greedy outputs).
"""

from __future__ import annotations

import pickle
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny_checkpoints  # tests/ is on sys.path (rootdir conftest)
import torch
from PIL import Image

from mmbench.conversation import single_image_conversations
from mmbench.errors import UserError
from mmbench.models import hf as hf_module
from mmbench.models.spec import load_model
from mmbench.types import Capability, GenerationConfig

TEXTS = ["a red circle", "two blue squares on a big wooden table", "", "A PHOTO OF 3 DOGS!"]
QUESTIONS = ["what color is the circle?", "how many?", "is there a square in the middle of the picture?", "why"]
GEN = GenerationConfig(max_new_tokens=6)


def _images(count: int) -> list[Image.Image]:
    rng = np.random.RandomState(0)
    sizes = [(32, 32), (40, 20), (20, 44), (36, 50), (64, 30)]  # (width, height): LLaVA-NeXT picks different tilings
    return [Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")) for w, h in (sizes[i % len(sizes)] for i in range(count))]


IMAGES = _images(4)


pytestmark = pytest.mark.usefixtures("single_torch_thread")  # tiny models: one torch thread (conftest)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_hf")
    return {name: build(root / name) for name, build in tiny_checkpoints.BUILDERS.items()}


_ADAPTERS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def adapter(checkpoints: dict[str, Path], name: str, **model_args: str) -> Any:
    key = (str(checkpoints[name]), tuple(sorted(model_args.items())))
    if key not in _ADAPTERS:
        _ADAPTERS[key] = load_model(f"hf:{checkpoints[name]}", **model_args)
    return _ADAPTERS[key]


def batch(model: Any, images: list[Image.Image]) -> Any:
    transform = pickle.loads(pickle.dumps(model.image_transform()))  # as DataLoader workers receive it
    return model.collate_images([transform(image) for image in images])


def reference(cls_name: str, directory: Path) -> tuple[Any, Any]:
    import transformers

    model = getattr(transformers, cls_name).from_pretrained(directory).eval()
    return model, transformers.AutoProcessor.from_pretrained(directory)


def normalize(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x.float(), dim=-1)


# ---- family choice ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls, family", [
    ("clip", "HFClipAdapter", "clip"), ("siglip", "HFSiglipAdapter", "siglip"),
    ("blip_caption", "HFBlipCaptionAdapter", "blip-caption"), ("blip_vqa", "HFBlipVqaAdapter", "blip-vqa"),
    ("blip_itm", "HFBlipItmAdapter", "blip-itm"), ("blip2", "HFBlip2Adapter", "blip-2"),
    ("llava", "HFChatAdapter", "llava"), ("llava_next", "HFChatAdapter", "llava-next"),
])
def test_family_from_config(checkpoints: dict[str, Path], name: str, cls: str, family: str) -> None:
    model = adapter(checkpoints, name)
    assert type(model).__name__ == cls
    assert model.describe()["family"] == family
    assert model.adapter_name == "hf"


def test_capabilities_per_family(checkpoints: dict[str, Path]) -> None:
    encode = {Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS}
    assert adapter(checkpoints, "clip").capabilities == encode
    assert adapter(checkpoints, "blip_itm").capabilities == encode | {Capability.MATCH}
    for name in ("blip_caption", "blip_vqa", "blip2"):
        assert adapter(checkpoints, name).capabilities == {Capability.GENERATE}
    for name in ("llava", "llava_next"):  # decoder-only chat families also score continuations (likelihood mode)
        assert adapter(checkpoints, name).capabilities == {Capability.GENERATE, Capability.SCORE_CONTINUATIONS}


def test_choose_family_fallbacks() -> None:
    # a model type transformers loads as image-text-to-text that no row names: the generic chat family
    assert hf_module.choose_family({"model_type": "fuyu", "architectures": ["FuyuForCausalLM"]}, "x").name == "image-text-to-text"
    assert hf_module.choose_family({"model_type": "blip", "architectures": ["BlipForQuestionAnswering"]}, "x").name == "blip-vqa"
    with pytest.raises(UserError, match="not a supported hf: family"):
        hf_module.choose_family({"model_type": "bert", "architectures": ["BertModel"]}, "x")
    with pytest.raises(UserError, match="unknown family"):
        hf_module.by_name("blip3")


# ---- dual encoders ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls, padding", [("clip", "CLIPModel", True), ("siglip", "SiglipModel", "max_length")])
def test_dual_encoder_equals_transformers(checkpoints: dict[str, Path], name: str, cls: str, padding: Any) -> None:
    model = adapter(checkpoints, name)
    ref, processor = reference(cls, checkpoints[name])
    inputs = processor(text=TEXTS, images=IMAGES, padding=padding, truncation=True, return_tensors="pt")  # the model card's call
    with torch.no_grad():
        out = ref(**inputs)
    images, texts = model.encode_images(batch(model, IMAGES)), model.encode_texts(TEXTS)
    assert images.dtype == torch.float32 and texts.shape == (len(TEXTS), images.shape[1])
    torch.testing.assert_close(images, normalize(out.image_embeds), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(texts, normalize(out.text_embeds), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.similarity_to_logits(images @ texts.T), out.logits_per_image, atol=1e-4, rtol=1e-5)


def test_siglip_pads_to_max_length(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "siglip")
    alone = model.encode_texts([TEXTS[0]])
    torch.testing.assert_close(alone[0], model.encode_texts(TEXTS)[0], atol=1e-6, rtol=1e-6)  # independent of the batch


# ---- BLIP heads ---------------------------------------------------------------------------------------
def _decode_one(processor: Any, ids: torch.Tensor) -> str:
    return str(processor.decode(ids, skip_special_tokens=True)).strip()


def test_blip_caption_equals_transformers(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "blip_caption")
    ref, processor = reference("BlipForConditionalGeneration", checkpoints["blip_caption"])
    expected = []
    for image in IMAGES:
        with torch.no_grad():
            expected.append(_decode_one(processor, ref.generate(**processor(images=image, return_tensors="pt"), max_new_tokens=6)[0]))
    assert model.generate(single_image_conversations(batch(model, IMAGES), [""] * len(IMAGES)), GEN) == expected
    assert len(set(expected)) > 1  # the tiny model's captions depend on the image


def test_blip_caption_prompt_is_continued_and_stripped(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "blip_caption")
    ref, processor = reference("BlipForConditionalGeneration", checkpoints["blip_caption"])
    prompt = "a picture of"
    expected = []
    for image in IMAGES:
        with torch.no_grad():
            ids = ref.generate(**processor(images=image, text=prompt, return_tensors="pt"), max_new_tokens=6)[0]
        full = _decode_one(processor, ids)
        assert full.startswith(prompt)
        expected.append(full[len(prompt):].strip())
    prompts = [prompt, prompt, "", prompt]  # mixed prompts in one batch
    got = model.generate(single_image_conversations(batch(model, IMAGES), prompts), GEN)
    assert [got[0], got[1], got[3]] == [expected[0], expected[1], expected[3]]
    assert got[2] == model.generate(single_image_conversations(batch(model, IMAGES[2:3]), [""]), GEN)[0]


def test_blip_vqa_batched_equals_one_at_a_time(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "blip_vqa")
    ref, processor = reference("BlipForQuestionAnswering", checkpoints["blip_vqa"])
    expected = []
    for image, question in zip(IMAGES, QUESTIONS):
        with torch.no_grad():
            ids = ref.generate(**processor(images=image, text=question, return_tensors="pt"), max_new_tokens=6)[0]
        expected.append(_decode_one(processor, ids))
    assert model.generate(single_image_conversations(batch(model, IMAGES), QUESTIONS), GEN) == expected
    assert len(set(expected)) > 1


def test_blip_itm_equals_transformers(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "blip_itm")
    ref, processor = reference("BlipForImageTextRetrieval", checkpoints["blip_itm"])
    inputs = processor(images=IMAGES, text=TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        itm = ref(**inputs, use_itm_head=True).itm_score  # (N, 2)
        cosine = ref(**inputs, use_itm_head=False).itm_score  # (N, N) image x text
    pixels = batch(model, IMAGES)
    torch.testing.assert_close(model.match(pixels, TEXTS), itm[:, 1], atol=1e-5, rtol=1e-5)
    similarity = model.encode_images(pixels) @ model.encode_texts(TEXTS).T
    torch.testing.assert_close(similarity, cosine, atol=1e-5, rtol=1e-5)


# ---- decoder-only generators ---------------------------------------------------------------------------
def _chat(processor: Any, prompt: str) -> str:
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    return str(processor.apply_chat_template(messages, add_generation_prompt=True))


def _generate_one(ref: Any, processor: Any, image: Image.Image, text: str) -> str:
    inputs = processor(images=image, text=text, return_tensors="pt")
    with torch.no_grad():
        out = ref.generate(**inputs, max_new_tokens=6, do_sample=False)
    return _decode_one(processor, out[0, inputs["input_ids"].shape[1]:])


def conversation(image: Image.Image, text: str) -> list[dict[str, Any]]:
    """One user turn, the image then the text (the shape tasks build for single-image samples)."""
    return [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": text}]}]


def conversations(model: Any, images: list[Image.Image], texts: list[str]) -> list[list[dict[str, Any]]]:
    transform = pickle.loads(pickle.dumps(model.image_transform()))  # as DataLoader workers receive it
    return [conversation(transform(image), text) for image, text in zip(images, texts)]


CHAT_FAMILIES = [
    ("llava", "LlavaForConditionalGeneration", _chat),
    ("llava_next", "LlavaNextForConditionalGeneration", _chat),
    ("blip2", "Blip2ForConditionalGeneration", lambda processor, q: f"Question: {q} Answer:"),
]


@pytest.mark.parametrize("name, cls, text_of", CHAT_FAMILIES)
def test_generation_batch_of_16_equals_batch_of_1_and_transformers(checkpoints: dict[str, Path], name: str, cls: str,
                                                                   text_of: Any) -> None:
    model = adapter(checkpoints, name)
    ref, processor = reference(cls, checkpoints[name])
    images = _images(16)
    questions = [QUESTIONS[i % len(QUESTIONS)] + " " * (i % 3) + "ok" * (i % 5) for i in range(16)]  # different lengths
    expected = [_generate_one(ref, processor, image, text_of(processor, q)) for image, q in zip(images, questions)]
    assert model.generate(conversations(model, images, questions), GEN) == expected  # BLIP-2 wraps the bare question
    assert len(set(expected)) > 1


def test_rendered_prompt_is_the_chat_template(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "llava")
    assert model.render_prompt(conversation(IMAGES[0], "what?")) == "USER: <image>\nwhat? ASSISTANT:"
    assert adapter(checkpoints, "blip2").render_prompt(conversation(IMAGES[0], "what?")) == "Question: what? Answer:"


def test_single_image_families_refuse_two_images(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "llava")
    two = [{"role": "user", "content": [{"type": "image", "image": IMAGES[0]}, {"type": "image", "image": IMAGES[1]},
                                        {"type": "text", "text": "compare"}]}]
    with pytest.raises(UserError, match="llava family takes one image per conversation"):
        model.generate([two], GEN)


def test_generic_image_text_to_text_fallback(checkpoints: dict[str, Path]) -> None:
    generic = adapter(checkpoints, "llava", family="image-text-to-text")
    assert generic.describe()["family"] == "image-text-to-text"
    llava = adapter(checkpoints, "llava")
    convs = conversations(generic, IMAGES, QUESTIONS)
    assert generic.generate(convs, GEN) == llava.generate(convs, GEN)


def test_prompt_override_and_max_new_tokens(checkpoints: dict[str, Path]) -> None:
    model = adapter(checkpoints, "llava", prompt="Describe: {prompt}", max_new_tokens="3")
    ref, processor = reference("LlavaForConditionalGeneration", checkpoints["llava"])
    inputs = processor(images=IMAGES[0], text=_chat(processor, "Describe: the image"), return_tensors="pt")
    with torch.no_grad():
        out = ref.generate(**inputs, max_new_tokens=3, do_sample=False)
    expected = _decode_one(processor, out[0, inputs["input_ids"].shape[1]:])
    assert model.generate(conversations(model, IMAGES[:1], ["the image"]), GEN) == [expected]


# ---- options, loading, offline ---------------------------------------------------------------------------
def test_options_are_parsed_and_checked(checkpoints: dict[str, Path]) -> None:
    with pytest.raises(UserError, match="unknown model argument"):
        load_model(f"hf:{checkpoints['clip']}", temperature="0.7")
    with pytest.raises(UserError, match="not an integer"):
        load_model(f"hf:{checkpoints['clip']}", max_new_tokens="many")
    with pytest.raises(UserError, match="not a boolean"):
        load_model(f"hf:{checkpoints['clip']}", trust_remote_code="maybe")
    with pytest.raises(UserError, match="unknown dtype"):
        load_model(f"hf:{checkpoints['clip']}", dtype="int3")
    model = adapter(checkpoints, "clip", attn_implementation="eager")
    assert model.options.trust_remote_code is False
    assert model.model.config._attn_implementation == "eager"


def test_bf16_weights_give_float32_embeddings_close_to_fp32(checkpoints: dict[str, Path]) -> None:
    half = load_model(f"hf:{checkpoints['clip']}", dtype="bf16")
    assert next(half.model.parameters()).dtype == torch.bfloat16
    full = adapter(checkpoints, "clip")
    pixels = batch(full, IMAGES)
    got = half.encode_images(pixels)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, full.encode_images(pixels), atol=5e-2, rtol=0)
    assert half.fingerprint != full.fingerprint  # dtype is part of it


def test_uncached_hub_id_fails_offline_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as err:
        load_model("hf:nobody-here/no-such-checkpoint")
    message = str(err.value)
    assert "hf download nobody-here/no-such-checkpoint" in message and "\n" not in message  # huggingface_hub >= 0.34


def test_bad_locations(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no config.json"):
        load_model(f"hf:{tmp_path}")
    with pytest.raises(UserError, match="not a checkpoint directory"):
        load_model(f"hf:{tmp_path / 'missing'}")
    with pytest.raises(UserError, match="needs a checkpoint"):
        load_model("hf:")


def test_image_transform_is_the_checkpoint_processor(checkpoints: dict[str, Path]) -> None:
    from transformers import AutoProcessor

    model = adapter(checkpoints, "blip_itm")
    transform = pickle.loads(pickle.dumps(model.image_transform()))
    expected = AutoProcessor.from_pretrained(checkpoints["blip_itm"])(images=IMAGES[1], return_tensors="pt")["pixel_values"][0]
    torch.testing.assert_close(transform(IMAGES[1]), expected, atol=0, rtol=0)


def test_fingerprint_is_stable_and_tracks_weights(checkpoints: dict[str, Path]) -> None:
    again = load_model(f"hf:{checkpoints['clip']}")
    assert again.fingerprint == adapter(checkpoints, "clip").fingerprint
    assert adapter(checkpoints, "siglip").fingerprint != again.fingerprint
    assert again.count_tokens(["abc"]) == 3  # byte-level symbols, no merges


def test_processor_needing_a_missing_package_is_a_user_error(checkpoints: dict[str, Path], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    def needs_sentencepiece(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("SiglipTokenizer requires the SentencePiece library but it was not found in your environment.")

    monkeypatch.setattr(transformers.AutoProcessor, "from_pretrained", needs_sentencepiece)
    with pytest.raises(UserError, match="pip install sentencepiece"):
        load_model(f"hf:{checkpoints['siglip']}")


def test_the_offline_hint_names_the_hub_cache_hf_home_points_at(tmp_path: Path) -> None:
    """huggingface_hub reads HF_HOME when it is imported: a fresh process with HF_HOME set."""
    import subprocess
    import sys

    code = ("from mmbench.errors import UserError\nfrom mmbench.models.checkpoint import resolve_checkpoint\n"
            "try:\n    resolve_checkpoint('nobody-here/no-such-checkpoint')\nexcept UserError as e:\n    print(e)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert f"copy the cache ({tmp_path / 'hf-home' / 'hub'}) here" in out.stdout, out.stdout + out.stderr
    assert "~/.cache/huggingface" not in out.stdout
