"""The built-in BLIP equals transformers' three BLIP heads on tiny random checkpoints of several shapes.

Reference: ``transformers.BlipForConditionalGeneration`` / ``BlipForQuestionAnswering`` /
``BlipForImageTextRetrieval`` (5.x, fp32) loaded from the same ``save_pretrained`` directory and run
inside the test: states, embeddings and logits within 1e-5 max absolute difference; generated ids
(greedy and beam search, 20+ tokens) identical to ``model.generate``; the ``blip:`` adapter's
strings identical to the ``hf:`` adapter's on the same checkpoint.
"""

from __future__ import annotations

import os
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from conftest import MmbenchCli  # tests/ is on sys.path (rootdir conftest)
from mmbench.conversation import single_image_conversations
from mmbench.errors import UserError
from mmbench.models.builtin.blip.adapter import (
    BlipCaptionAdapter,
    BlipItmAdapter,
    BlipVqaAdapter,
    create,
)
from mmbench.models.builtin.blip.config import PRESETS, BlipConfig
from mmbench.models.builtin.blip.heads import HEADS, load_blip
from mmbench.types import Capability, GenerationConfig

TOLERANCE = 1e-5
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
WORDS = ["a", "picture", "of", "photo", "the", "red", "blue", "green", "circle", "square", "triangle", "two", "three",
         "what", "color", "is", "how", "many", "are", "there", "shape", "on", "left", "right", "yes", "no", "and", "with"]
QUESTIONS = ["what color is the circle?", "how many squares are there", "is the triangle on the left of the big blue square?",
             "shape?"]
TEXTS = ["a red circle", "two blue squares and a green triangle on the right", "zebra", "a picture of the shape"]

# Several shapes: widths, depths, head counts, patch and image sizes. Captioning and retrieval use a
# text width different from the vision width (the decoder cross-attends to image tokens); VQA's answer
# decoder cross-attends to question states through the same projections, so transformers needs equal widths.
SHAPES: dict[str, dict[str, Any]] = {
    "v32x2h2_t32x2h4": {"vision": {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 2,
                                        "image_size": 32, "patch_size": 8},
                            "text": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}},
    "v48x3h3_t24x1h2_p16": {"vision": {"hidden_size": 48, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 3,
                                            "image_size": 48, "patch_size": 16},
                                "text": {"hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 1, "num_attention_heads": 2}},
    "v24x1h1_t40x3h5_p4": {"vision": {"hidden_size": 24, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 1,
                                           "image_size": 16, "patch_size": 4},
                               "text": {"hidden_size": 40, "intermediate_size": 56, "num_hidden_layers": 3, "num_attention_heads": 5,
                                         "hidden_act": "gelu_new"}},
}
VQA_SHAPES: dict[str, dict[str, Any]] = {
    "v32x2h2_t32x2h4": SHAPES["v32x2h2_t32x2h4"],
    "v48x2h4_t48x3h6": {"vision": {"hidden_size": 48, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                                        "image_size": 24, "patch_size": 8},
                            "text": {"hidden_size": 48, "intermediate_size": 32, "num_hidden_layers": 3, "num_attention_heads": 6}},
}
ARCHITECTURES = {"caption": "BlipForConditionalGeneration", "vqa": "BlipForQuestionAnswering", "itm": "BlipForImageTextRetrieval"}


# ---- tiny checkpoints ---------------------------------------------------------------------------------
def tiny_bert_tokenizer(directory: Path) -> Any:
    """A BERT WordPiece tokenizer over a few words plus single letters (so any text tokenises), BLIP's
    specials included: [DEC] as bos, [ENC] extra, at the end of the vocabulary as in BLIP."""
    from transformers import BertTokenizer

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokens += list(string.ascii_lowercase + string.digits + string.punctuation)
    tokens += ["##" + c for c in string.ascii_lowercase + "s"][:27] + ["[DEC]", "[ENC]"]
    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(dict.fromkeys(tokens)) + "\n", encoding="utf-8")
    return BertTokenizer(str(vocab), bos_token="[DEC]", extra_special_tokens=["[ENC]"])


def randomise(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Spread weights (std 0.15; LayerNorm gains near 1) so outputs depend visibly on inputs."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            is_gain = name.endswith("weight") and ("LayerNorm" in name or "layer_norm" in name or "layernorm" in name)
            p.copy_(1 + 0.1 * noise if is_gain else 0.15 * noise)
    return model


def build_checkpoint(directory: Path, head: str, shape: dict[str, Any], seed: int) -> Path:
    import transformers
    from transformers import BlipConfig as HFBlipConfig
    from transformers import BlipImageProcessorPil, BlipProcessor

    tokenizer = tiny_bert_tokenizer(directory / "_vocab")
    text = dict(shape["text"], vocab_size=len(tokenizer), max_position_embeddings=64, pad_token_id=0, sep_token_id=3,
                eos_token_id=3, bos_token_id=tokenizer.convert_tokens_to_ids("[DEC]"))
    config = HFBlipConfig(text_config=text, vision_config=shape["vision"], image_text_hidden_size=16)
    torch.manual_seed(seed)
    model = randomise(getattr(transformers, ARCHITECTURES[head])(config).eval(), seed)
    size = shape["vision"]["image_size"]
    images = BlipImageProcessorPil(size={"height": size, "width": size}, image_mean=MEAN, image_std=STD)
    model.save_pretrained(directory)
    BlipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(directory)
    shutil.rmtree(directory / "_vocab")
    return directory


class Pair:
    """A checkpoint directory, transformers' model on it, the built-in model on it, and sample inputs."""

    def __init__(self, directory: Path, head: str) -> None:
        import transformers
        from transformers import AutoProcessor

        self.directory = directory
        self.hf = getattr(transformers, ARCHITECTURES[head]).from_pretrained(directory).eval()
        self.mine = load_blip(directory)
        self.processor = AutoProcessor.from_pretrained(directory)
        self.pixels = self.processor(images=sample_images(), return_tensors="pt")["pixel_values"]  # (4, 3, S, S)

    def text(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.processor.tokenizer(texts, padding=True, return_tensors="pt")
        return out["input_ids"], out["attention_mask"]


def sample_images() -> list[Any]:
    """Four small RGB photos-like arrays of odd sizes (seeded noise over gradients)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    images = []
    for h, w in [(37, 53), (64, 64), (29, 17), (80, 41)]:
        ramp = np.linspace(0, 255, w)[None, :, None] * np.ones((h, 1, 3))
        pixels = np.clip(ramp * 0.5 + rng.integers(0, 128, (h, w, 3)), 0, 255).astype("uint8")
        images.append(Image.fromarray(pixels))
    return images


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Any:
    """Tiny models on a shared machine: one intra-op thread avoids oversubscription (5x faster here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Pair]:
    root = tmp_path_factory.mktemp("blip")
    built: dict[tuple[str, str], Pair] = {}
    for seed, (head, shapes) in enumerate([("caption", SHAPES), ("vqa", VQA_SHAPES), ("itm", SHAPES)]):
        for i, (name, shape) in enumerate(shapes.items()):
            built[head, name] = Pair(build_checkpoint(root / f"{head}-{name}", head, shape, 10 * seed + i), head)
    return built


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a.float() - b.float()).abs().max())


CAPTION = [("caption", name) for name in SHAPES]
VQA = [("vqa", name) for name in VQA_SHAPES]
ITM = [("itm", name) for name in SHAPES]


# ---- states, embeddings, logits ---------------------------------------------------------------------
@pytest.mark.parametrize("key", CAPTION + VQA + ITM, ids="-".join)
def test_image_states_match(pairs: dict, key: tuple[str, str]) -> None:
    pair = pairs[key]
    with torch.no_grad():
        expected = pair.hf.vision_model(pixel_values=pair.pixels).last_hidden_state
        assert max_diff(pair.mine.image_states(pair.pixels), expected) < TOLERANCE


@pytest.mark.parametrize("key", CAPTION, ids="-".join)
def test_caption_logits_match(pairs: dict, key: tuple[str, str]) -> None:
    pair = pairs[key]
    ids, mask = pair.text(TEXTS)
    ids[:, 0] = pair.mine.cfg.text.bos_token_id
    with torch.no_grad():
        expected = pair.hf(pixel_values=pair.pixels, input_ids=ids, attention_mask=mask).logits
        got = pair.mine.logits(pair.pixels, ids, mask)
    assert max_diff(got, expected) < TOLERANCE
    assert float(expected.std()) > 0.3  # the check is not vacuous


@pytest.mark.parametrize("key", VQA, ids="-".join)
def test_vqa_question_states_and_answer_logits_match(pairs: dict, key: tuple[str, str]) -> None:
    pair = pairs[key]
    ids, mask = pair.text(QUESTIONS)
    answers, _ = pair.text(["two", "red and blue", "yes", "a big square"])
    answers[:, 0] = pair.mine.cfg.text.bos_token_id
    with torch.no_grad():
        image = pair.hf.vision_model(pixel_values=pair.pixels).last_hidden_state
        question = pair.hf.text_encoder(input_ids=ids, attention_mask=mask, encoder_hidden_states=image).last_hidden_state
        expected = pair.hf.text_decoder(input_ids=answers, encoder_hidden_states=question).logits
        assert max_diff(pair.mine.question_states(pair.pixels, ids, mask), question) < TOLERANCE
        assert max_diff(pair.mine.answer_logits(pair.pixels, ids, mask, answers), expected) < TOLERANCE


@pytest.mark.parametrize("key", ITM, ids="-".join)
def test_retrieval_embeddings_and_itm_logits_match(pairs: dict, key: tuple[str, str]) -> None:
    pair = pairs[key]
    ids, mask = pair.text(TEXTS)
    hf = pair.hf
    with torch.no_grad():
        image = hf.vision_model(pixel_values=pair.pixels).last_hidden_state
        image_embeds = torch.nn.functional.normalize(hf.vision_proj(image[:, 0]), dim=-1)
        text = hf.text_encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        text_embeds = torch.nn.functional.normalize(hf.text_proj(text[:, 0]), dim=-1)
        similarity = hf(input_ids=ids, pixel_values=pair.pixels, attention_mask=mask, use_itm_head=False).itm_score
        itm = hf(input_ids=ids, pixel_values=pair.pixels, attention_mask=mask).itm_score  # (4, 2)
        mine = pair.mine
        assert max_diff(mine.image_embeds(pair.pixels), image_embeds) < TOLERANCE
        assert max_diff(mine.text_embeds(ids, mask), text_embeds) < TOLERANCE
        assert max_diff(mine.image_embeds(pair.pixels) @ mine.text_embeds(ids, mask).T, similarity) < TOLERANCE
        assert max_diff(mine.itm_logits(pair.pixels, ids, mask), itm) < TOLERANCE


# ---- generation ------------------------------------------------------------------------------------
GREEDY_AND_BEAMS = [
    {"max_new_tokens": 24, "min_new_tokens": 21},
    {"max_new_tokens": 24},
    {"max_new_tokens": 22, "min_new_tokens": 20, "num_beams": 3},
    {"max_new_tokens": 12, "num_beams": 2, "repetition_penalty": 1.5, "length_penalty": 0.5},
]


def until_end(ids: torch.Tensor, prompt_length: int, eos: int) -> list[list[int]]:
    """Each row's tokens up to and including its first end token after the prompt (beam outputs pad differently)."""
    rows = []
    for row in ids.tolist():
        new = row[prompt_length:]
        rows.append(row[:prompt_length] + (new[: new.index(eos) + 1] if eos in new else new))
    return rows


GENERATION_CASES = [  # (shape, batch size, settings)
    *[(CAPTION[0], 4, options) for options in GREEDY_AND_BEAMS],
    (CAPTION[0], 1, GREEDY_AND_BEAMS[0]),
    (CAPTION[0], 1, GREEDY_AND_BEAMS[2]),
    (CAPTION[1], 4, GREEDY_AND_BEAMS[0]),
    (CAPTION[2], 3, GREEDY_AND_BEAMS[2]),
]


def _case_id(case: tuple) -> str:
    (_, shape), batch, options = case
    return f"{shape}-batch{batch}-" + "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("case", GENERATION_CASES, ids=[_case_id(c) for c in GENERATION_CASES])
def test_caption_generation_matches(pairs: dict, case: tuple) -> None:
    key, batch, options = case
    pair = pairs[key]
    pixels = pair.pixels[:batch]
    prompt, _ = pair.text(["a picture of"] * batch)
    with torch.no_grad():
        expected = pair.hf.generate(pixel_values=pixels, input_ids=prompt, **options)
    start = torch.cat([torch.full((batch, 1), pair.mine.cfg.text.bos_token_id), prompt[:, 1:-1]], dim=1)
    got = pair.mine.generate(pixels, start, pair.mine.settings(**options))
    if options.get("num_beams", 1) == 1:
        assert torch.equal(got, expected)
    else:
        eos = pair.mine.cfg.text.sep_token_id
        assert until_end(got, start.shape[1], eos) == until_end(expected, start.shape[1], eos)
    if "min_new_tokens" in options:
        assert got.shape[1] - start.shape[1] >= 20


VQA_CASES = [(VQA[0], {"max_new_tokens": 25, "min_new_tokens": 20, "repetition_penalty": 1.3}), (VQA[0], GREEDY_AND_BEAMS[2]),
             (VQA[1], GREEDY_AND_BEAMS[0]), (VQA[1], GREEDY_AND_BEAMS[3])]


@pytest.mark.parametrize("case", VQA_CASES, ids=[f"{k[1]}-" + "-".join(f"{a}={b}" for a, b in o.items()) for k, o in VQA_CASES])
def test_vqa_generation_matches_transformers_batched(pairs: dict, case: tuple) -> None:
    """Unmasked question padding: transformers' ``BlipForQuestionAnswering.generate`` on a padded batch."""
    key, options = case
    pair = pairs[key]
    ids, mask = pair.text(QUESTIONS)
    with torch.no_grad():
        expected = pair.hf.generate(input_ids=ids, pixel_values=pair.pixels, attention_mask=mask, **options)
    got = pair.mine.generate(pair.pixels, ids, mask, pair.mine.settings(**options), mask_question_padding=False)
    if options.get("num_beams", 1) == 1:
        assert torch.equal(got, expected)
    else:
        eos = pair.mine.cfg.text.sep_token_id
        assert until_end(got, 1, eos) == until_end(expected, 1, eos)


@pytest.mark.parametrize("options", [GREEDY_AND_BEAMS[0], GREEDY_AND_BEAMS[3]], ids=["greedy", "beams"])
def test_vqa_generation_with_masked_padding_matches_one_question_at_a_time(pairs: dict, options: dict) -> None:
    """Masked question padding (the default): each answer equals transformers' generate on its question alone."""
    pair = pairs[VQA[0]]
    ids, mask = pair.text(QUESTIONS)
    got = pair.mine.generate(pair.pixels, ids, mask, pair.mine.settings(**options))
    eos = pair.mine.cfg.text.sep_token_id
    for row, question in enumerate(QUESTIONS):
        alone, alone_mask = pair.text([question])
        with torch.no_grad():
            expected = pair.hf.generate(input_ids=alone, pixel_values=pair.pixels[row:row + 1], attention_mask=alone_mask, **options)
        assert until_end(got[row:row + 1], 1, eos) == until_end(expected, 1, eos)
    assert int(mask.sum(dim=1).min()) < ids.shape[1]  # some questions are padded


def test_unconditional_caption_matches(pairs: dict) -> None:
    pair = pairs["caption", "v32x2h2_t32x2h4"]
    with torch.no_grad():
        expected = pair.hf.generate(pixel_values=pair.pixels, max_new_tokens=23, min_new_tokens=20)
    start = torch.full((4, 1), pair.mine.cfg.text.bos_token_id)
    assert torch.equal(pair.mine.generate(pair.pixels, start, pair.mine.settings(23, min_new_tokens=20)), expected)


# ---- the adapter -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def adapters(pairs: dict) -> dict[str, tuple[Any, Any]]:
    """(blip: adapter, hf: adapter) on the first checkpoint of each head."""
    from mmbench.models.spec import load_model

    first = {"caption": CAPTION[0], "vqa": VQA[0], "itm": ITM[0]}
    return {head: (load_model(f"blip:{pairs[key].directory}"), load_model(f"hf:{pairs[key].directory}"))
            for head, key in first.items()}


def test_adapter_kinds_and_capabilities(adapters: dict) -> None:
    caption, vqa, itm = adapters["caption"][0], adapters["vqa"][0], adapters["itm"][0]
    assert isinstance(caption, BlipCaptionAdapter) and isinstance(vqa, BlipVqaAdapter) and isinstance(itm, BlipItmAdapter)
    assert caption.capabilities == vqa.capabilities == frozenset({Capability.GENERATE})
    assert itm.capabilities == frozenset({Capability.ENCODE_IMAGES, Capability.ENCODE_TEXTS, Capability.MATCH})
    assert caption.adapter_name == "blip" and caption.describe()["capabilities"] == ["generate"]


def test_adapter_image_transform_matches_processor(adapters: dict, pairs: dict) -> None:
    import pickle

    transform = pickle.loads(pickle.dumps(adapters["itm"][0].image_transform()))
    pixels = torch.stack([transform(image) for image in sample_images()])
    assert max_diff(pixels, pairs[ITM[0]].pixels) < TOLERANCE


@pytest.mark.parametrize("cfg", [GenerationConfig(max_new_tokens=20, min_new_tokens=20), GenerationConfig(max_new_tokens=8, num_beams=3)],
                         ids=["greedy", "beams"])
@pytest.mark.parametrize("prompts", [["a picture of "] * 4, ["", "a picture of", "", "the"]], ids=["same", "mixed"])
def test_caption_adapter_equals_hf_adapter(adapters: dict, pairs: dict, cfg: GenerationConfig, prompts: list[str]) -> None:
    mine, hf = adapters["caption"]
    pixels = pairs[CAPTION[0]].pixels
    captions = mine.generate(single_image_conversations(pixels, prompts), cfg)
    assert captions == hf.generate(single_image_conversations(pixels, prompts), cfg)
    assert all(len(c.split()) >= 3 for c in captions) and mine.count_tokens(captions) >= 4 * cfg.min_new_tokens


def test_caption_prompt_argument_is_stripped(pairs: dict) -> None:
    directory = pairs[CAPTION[0]].directory
    with_prompt = create(str(directory), prompt="a picture of")
    without = create(str(directory))
    cfg = GenerationConfig(max_new_tokens=10, min_new_tokens=10)
    pixels = pairs[CAPTION[0]].pixels
    assert with_prompt.generate(single_image_conversations(pixels, [""] * 4), cfg) == without.generate(single_image_conversations(pixels, ["a picture of"] * 4), cfg)
    assert with_prompt.generate(single_image_conversations(pixels, [""] * 4), cfg) != without.generate(single_image_conversations(pixels, [""] * 4), cfg)


@pytest.mark.parametrize("cfg", [GenerationConfig(max_new_tokens=21, min_new_tokens=20), GenerationConfig(max_new_tokens=6, num_beams=2)],
                         ids=["greedy", "beams"])
def test_vqa_adapter_equals_hf_adapter(adapters: dict, pairs: dict, cfg: GenerationConfig) -> None:
    mine, hf = adapters["vqa"]
    pixels = pairs[VQA[0]].pixels
    assert mine.generate(single_image_conversations(pixels, QUESTIONS), cfg) == hf.generate(single_image_conversations(pixels, QUESTIONS), cfg)


def test_itm_adapter_equals_hf_adapter(adapters: dict, pairs: dict) -> None:
    mine, hf = adapters["itm"]
    pixels = pairs[ITM[0]].pixels
    assert max_diff(mine.encode_images(pixels), hf.encode_images(pixels)) < TOLERANCE
    assert max_diff(mine.encode_texts(TEXTS), hf.encode_texts(TEXTS)) < TOLERANCE
    scores = mine.match(pixels, TEXTS)
    assert scores.shape == (4,) and scores.dtype == torch.float32
    assert max_diff(scores, hf.match(pixels, TEXTS)) < TOLERANCE
    norms = mine.encode_images(pixels).norm(dim=-1)
    assert torch.allclose(norms, torch.ones(4), atol=1e-6)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_adapters_track_float32(adapters: dict, pairs: dict, dtype: str) -> None:
    """Low-precision weights: ITM scores and embeddings stay close to fp32, generation runs."""
    mine = adapters["itm"][0]
    half = create(str(pairs[ITM[0]].directory), dtype=dtype)
    pixels = pairs[ITM[0]].pixels
    assert half.model.dtype == getattr(torch, dtype)
    assert max_diff(half.encode_images(pixels), mine.encode_images(pixels)) < 0.05
    assert max_diff(half.match(pixels, TEXTS), mine.match(pixels, TEXTS)) < 0.1
    captions = create(str(pairs[CAPTION[0]].directory), dtype=dtype).generate(single_image_conversations(pixels, [""] * 4), GenerationConfig(max_new_tokens=5, min_new_tokens=5))
    assert len(captions) == 4 and all(captions)


# ---- loading ----------------------------------------------------------------------------------------
def test_missing_and_unexpected_keys_are_listed(pairs: dict, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    source = pairs[ITM[0]].directory
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    state = load_file(str(broken / "model.safetensors"))
    del state["itm_head.weight"]
    state["text_encoder.pooler.dense.weight"] = torch.zeros(2, 2)
    save_file(state, str(broken / "model.safetensors"))
    with pytest.raises(UserError) as error:
        load_blip(broken)
    message = str(error.value)
    assert "1 missing key(s): itm_head.weight" in message
    assert "1 unexpected key(s): text_encoder.pooler.dense.weight" in message


def test_config_without_a_blip_head_is_refused(pairs: dict, tmp_path: Path) -> None:
    import json

    broken = tmp_path / "model"
    shutil.copytree(pairs[ITM[0]].directory, broken)
    config = json.loads((broken / "config.json").read_text())
    config["architectures"] = ["BlipModel"]
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="BlipModel"):
        create(str(broken))


def test_unknown_model_argument_is_refused(pairs: dict) -> None:
    with pytest.raises(UserError, match="unknown model argument"):
        create(str(pairs[ITM[0]].directory), temperature="0.7")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_have_the_parameter_counts_of_transformers(preset: str) -> None:
    """BLIP base (ViT-B/16, 384 px) and large (ViT-L/16) with a BERT-base text tower: the same number of
    parameters as transformers' models of the published configs (tied LM head counted once)."""
    from transformers import BlipConfig as HFBlipConfig
    from transformers import BlipForConditionalGeneration, BlipForImageTextRetrieval

    cfg = PRESETS[preset]
    v, t = cfg.vision, cfg.text
    hf_config = HFBlipConfig(
        vision_config={"hidden_size": v.hidden_size, "intermediate_size": v.intermediate_size, "num_hidden_layers": v.num_hidden_layers,
                           "num_attention_heads": v.num_attention_heads, "image_size": v.image_size, "patch_size": v.patch_size},
        text_config={"num_attention_heads": t.num_attention_heads})
    with torch.device("meta"):
        for head, hf_class in [("caption", BlipForConditionalGeneration), ("itm", BlipForImageTextRetrieval)]:
            ours = sum(p.numel() for p in HEADS[head](cfg).parameters())
            assert ours == sum(p.numel() for p in hf_class(hf_config).parameters())
    assert cfg.vision.num_positions == 577


def test_config_defaults_follow_transformers() -> None:
    from transformers import BlipConfig as HFBlipConfig

    hf = HFBlipConfig()
    ours = BlipConfig.from_hf_dict({})
    assert (ours.vision.hidden_size, ours.vision.image_size, ours.vision.patch_size) == (
        hf.vision_config.hidden_size, hf.vision_config.image_size, hf.vision_config.patch_size)
    assert (ours.text.vocab_size, ours.text.num_attention_heads, ours.text.bos_token_id, ours.text.sep_token_id) == (
        hf.text_config.vocab_size, hf.text_config.num_attention_heads, hf.text_config.bos_token_id, hf.text_config.sep_token_id)
    assert ours.text.layer_norm_eps == hf.text_config.layer_norm_eps and ours.vision.layer_norm_eps == hf.vision_config.layer_norm_eps


# ---- through the CLI ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("task, key", [("shapes_caption", CAPTION[0]), ("shapes_retrieval", ITM[0])], ids=["caption", "retrieval"])
def test_cli_metrics_equal_the_hf_adapter(pairs: dict, tmp_path: Path, task: str, key: tuple[str, str], mmbench_cli: MmbenchCli) -> None:
    """`mmbench run --model blip:DIR` gives the metrics and predictions of `--model hf:DIR` (transformers)."""
    import json

    outputs: dict[str, dict[str, Any]] = {}
    for adapter in ("blip", "hf"):
        out_dir = tmp_path / adapter
        run = mmbench_cli("run", "--task", task, "--model", f"{adapter}:{pairs[key].directory}", "--limit", "24",
                          "--batch-size", "8", "--no-progress", "--output-dir", str(out_dir), env={"OMP_NUM_THREADS": "1"})
        assert run.returncode == 0, run.stderr
        result = json.loads(next(out_dir.glob(f"{task}__*[0-9].json")).read_text())
        samples = [json.loads(line) for line in next(out_dir.glob(f"{task}__*.samples.jsonl")).read_text().splitlines()]
        outputs[adapter] = {"metrics": result["metrics"], "predictions": [s.get("prediction", s.get("rank")) for s in samples]}
    assert outputs["blip"] == outputs["hf"]
    assert any(value > 0 for value in outputs["blip"]["metrics"].values())  # a non-trivial comparison
