"""Every dynamic-resolution chat family through ``hf:`` equals the checkpoint's own reference code.

Reference: the family's transformers processor class, built from the checkpoint's files with its
documented constructor, and its model class's ``generate``, called one sample at a time as the model
cards do: ``processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
return_dict=True, return_tensors="pt")`` with the images inside the user message, greedy, the task's
``max_new_tokens``. mmbench must give the same text at batch 1 and in one batch of six conversations
mixing image sizes, aspect ratios and one or two images (every family here accepts several).

The reference processor is built without its video processor (``video_processor=None``), because
torchvision, which video processors need, cannot be installed beside the test machines' torch;
nothing here calls a video processor.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiny_chat_families  # tests/ is on sys.path (rootdir conftest)
import torch
from PIL import Image

from mmbench.errors import UserError
from mmbench.models.spec import load_model
from mmbench.types import GenerationConfig

MAX_NEW_TOKENS = 6
GEN = GenerationConfig(max_new_tokens=MAX_NEW_TOKENS)
SIZES = [(32, 32), (60, 30), (30, 70), (90, 50), (44, 44), (24, 64), (70, 40), (50, 36)]  # (width, height)
QUESTIONS = ["what color is it?", "how many?", "is there a square in the middle of the picture?", "why",
             "compare the two pictures", "which one is bigger"]
FAMILIES = list(tiny_chat_families.BUILDERS)


def _images() -> list[Image.Image]:
    rng = np.random.RandomState(0)
    return [Image.fromarray((rng.rand(h, w, 3) * 255).astype("uint8")) for w, h in SIZES]


IMAGES = _images()


def conversations() -> list[list[dict[str, Any]]]:
    """Four one-image and two two-image conversations (images first, then the question)."""
    image_sets = [[IMAGES[0]], [IMAGES[1]], [IMAGES[2]], [IMAGES[3]], [IMAGES[4], IMAGES[5]], [IMAGES[6], IMAGES[7]]]
    return [[{"role": "user", "content": [*({"type": "image", "image": im} for im in images), {"type": "text", "text": q}]}]
            for images, q in zip(image_sets, QUESTIONS)]


pytestmark = pytest.mark.usefixtures("single_torch_thread")  # tiny models: one torch thread (conftest)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_chat")
    return {name: build(root / name) for name, build in tiny_chat_families.BUILDERS.items()}


_MODELS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}


def mmbench_model(checkpoints: dict[str, Path], family: str, **model_args: str) -> Any:
    key = (family, tuple(sorted(model_args.items())))
    if key not in _MODELS:
        _MODELS[key] = load_model(f"hf:{checkpoints[family]}", **model_args)
    return _MODELS[key]


# ---- the reference ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def _accepting_no_video_processor() -> Iterator[None]:
    """Let the processor constructor take ``video_processor=None`` (its class check needs torchvision)."""
    from transformers.processing_utils import ProcessorMixin

    original = ProcessorMixin.check_argument_for_proper_class

    def check(self: Any, name: str, argument: Any) -> Any:
        return None if argument is None and "video" in name else original(self, name, argument)

    ProcessorMixin.check_argument_for_proper_class = check
    try:
        yield
    finally:
        ProcessorMixin.check_argument_for_proper_class = original


def reference_processor(directory: Path) -> Any:
    """The checkpoint's processor class, constructed from its saved parts (tokenizer, image processor,
    chat template, processor_config.json) as documented, with no video processor."""
    import transformers

    config = json.loads((directory / "processor_config.json").read_text())
    cls = getattr(transformers, config.pop("processor_class"))
    parts: dict[str, Any] = {"image_processor": transformers.AutoImageProcessor.from_pretrained(directory),
                             "tokenizer": transformers.AutoTokenizer.from_pretrained(directory),
                             "chat_template": (directory / "chat_template.jinja").read_text()}
    if "video_processor" in inspect.signature(cls.__init__).parameters:
        parts["video_processor"] = None
    with _accepting_no_video_processor():
        processor = cls(**parts, **config)
    if "video_processor" in parts:
        # SmolVLM's apply_chat_template reads the video processor's frame defaults on every call
        # (they reach only the unused video arguments); a stand-in holds them
        processor.video_processor = types.SimpleNamespace(num_frames=None, fps=None)
    return processor


_REFERENCES: dict[str, tuple[Any, Any]] = {}


def reference(checkpoints: dict[str, Path], family: str) -> tuple[Any, Any]:
    if family not in _REFERENCES:
        import transformers

        directory = checkpoints[family]
        architecture = json.loads((directory / "config.json").read_text())["architectures"][0]
        model = getattr(transformers, architecture).from_pretrained(directory).eval()
        _REFERENCES[family] = (model, reference_processor(directory))
    return _REFERENCES[family]


def reference_generate(model: Any, processor: Any, messages: list[dict[str, Any]], max_new_tokens: int = MAX_NEW_TOKENS,
                       **processor_kwargs: Any) -> str:
    """The model card's call for one conversation."""
    inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True,
                                           return_tensors="pt", processor_kwargs=processor_kwargs)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return str(processor.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)).strip()


_EXPECTED: dict[str, list[str]] = {}


def expected(checkpoints: dict[str, Path], family: str) -> list[str]:
    if family not in _EXPECTED:
        model, processor = reference(checkpoints, family)
        _EXPECTED[family] = [reference_generate(model, processor, conversation) for conversation in conversations()]
    return _EXPECTED[family]


def first_difference_margin(model: Any, conversation: list[dict[str, Any]], got: str, want: str) -> str:
    """For a report: the reference's top-2 logit margin at the first token where ``got`` leaves ``want``."""
    inputs = model.model_inputs([conversation])
    with torch.no_grad():
        out = model.model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, output_scores=True,
                                   return_dict_in_generate=True, pad_token_id=model.tokenizer.pad_token_id)
    margins = [float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in out.scores]
    return f"got {got!r}, reference {want!r}; top-2 logit margins per step of the reference: {margins}"


# ---- the tests ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
def test_family_is_chosen_from_config_and_records_its_processor(checkpoints: dict[str, Path], family: str) -> None:
    model = mmbench_model(checkpoints, family)
    described = model.describe()
    assert described["family"] == family
    from transformers import AutoImageProcessor

    # the one AutoImageProcessor picks: the PIL one without torchvision, the fast one with it
    assert described["image_processor"] == type(AutoImageProcessor.from_pretrained(checkpoints[family])).__name__
    assert model.image_tokens_vary


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


def input_length(processor: Any, image: Image.Image, **processor_kwargs: Any) -> int:
    messages = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": "x"}]}]
    return len(processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True,
                                             processor_kwargs=processor_kwargs)["input_ids"][0])


#: families whose count is exact up to a constant: the processor's own where the placeholder expands
#: to image tokens only, the measured one (image_count="measured") for Idefics3 and SmolVLM
EXACT_COUNT = ("qwen2-vl", "qwen2.5-vl", "qwen3-vl", "internvl", "llava-onevision", "idefics3", "smolvlm")


@pytest.mark.parametrize("family", FAMILIES)
def test_image_token_count_orders_inputs_by_length(checkpoints: dict[str, Path], family: str) -> None:
    """Bucketing reads the count from the image size alone; batches of equal counts must hold inputs
    of (nearly) equal length: equal lengths give equal counts and a smaller count a shorter input.
    Where the count is exact (every family here), input length minus count is the same for every
    image size (same text). (Idefics3 and SmolVLM add row, column and newline tokens that
    transformers 5.24's processor count includes and 5.25's leaves out, so mmbench measures theirs.)"""
    model = mmbench_model(checkpoints, family)
    _, processor = reference(checkpoints, family)
    lengths = [input_length(processor, image) for image in IMAGES]
    counts = [model.image_token_count(*image.size) for image in IMAGES]
    assert len(set(lengths)) > 1  # the sizes give different expansions
    for length_a, count_a in zip(lengths, counts):
        for length_b, count_b in zip(lengths, counts):
            assert length_a != length_b or count_a == count_b
            assert count_a >= count_b or length_a < length_b
    if family in EXACT_COUNT:
        assert len({length - count for length, count in zip(lengths, counts)}) == 1


def test_idefics3_template_bos_is_not_doubled(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "idefics3")
    inputs = model.model_inputs(conversations()[:1])
    bos = model.tokenizer.bos_token_id
    assert int(inputs["input_ids"][0, 0]) == bos and int(inputs["input_ids"][0, 1]) != bos
    assert model.render_prompt(conversations()[0]).startswith("<|begin_of_text|>User:<fake_token_around_image>") is False
    assert model.render_prompt(conversations()[0]).startswith("<|begin_of_text|>User:<image>")


def test_qwen_pixel_options_equal_the_processor_kwargs(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "qwen2-vl", max_pixels=str(28 * 28 * 4))
    ref, processor = reference(checkpoints, "qwen2-vl")
    conversation = conversations()[3]  # 90x50: fewer tokens at the smaller maximum
    default = mmbench_model(checkpoints, "qwen2-vl")
    assert model.image_token_count(90, 50) < default.image_token_count(90, 50)
    assert (input_length(processor, IMAGES[3], max_pixels=28 * 28 * 4) - model.image_token_count(90, 50)
            == input_length(processor, IMAGES[3]) - default.image_token_count(90, 50))
    want = reference_generate(ref, processor, conversation, max_pixels=28 * 28 * 4)
    assert model.generate([conversation], GEN) == [want]


def test_image_splitting_option(checkpoints: dict[str, Path]) -> None:
    split = mmbench_model(checkpoints, "smolvlm")
    whole = mmbench_model(checkpoints, "smolvlm", do_image_splitting="false")
    ref, processor = reference(checkpoints, "smolvlm")
    conversation = conversations()[3]
    assert len(whole.model_inputs([conversation])["input_ids"][0]) < len(split.model_inputs([conversation])["input_ids"][0])
    assert whole.generate([conversation], GEN) == [reference_generate(ref, processor, conversation, do_image_splitting=False)]


def test_system_prompt_is_a_system_turn(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "qwen3-vl", system_prompt="Answer briefly.")
    ref, processor = reference(checkpoints, "qwen3-vl")
    conversation = conversations()[0]
    assert model.render_prompt(conversation).startswith("<|im_start|>system\nAnswer briefly.<|im_end|>\n<|im_start|>user\n")
    with_system = [{"role": "system", "content": [{"type": "text", "text": "Answer briefly."}]}, *conversation]
    assert model.generate([conversation], GEN) == [reference_generate(ref, processor, with_system)]


def test_options_a_family_does_not_take_are_refused_before_loading(checkpoints: dict[str, Path]) -> None:
    with pytest.raises(UserError, match="min_pixels is not an option of the smolvlm family.*qwen2-vl"):
        load_model(f"hf:{checkpoints['smolvlm']}", min_pixels="100")
    with pytest.raises(UserError, match="min_pixels must not exceed max_pixels"):
        load_model(f"hf:{checkpoints['qwen2-vl']}", min_pixels="1000", max_pixels="10")
    with pytest.raises(UserError, match="not an integer"):
        load_model(f"hf:{checkpoints['qwen2-vl']}", max_pixels="lots")


def test_readme_family_table_is_generated_from_the_registry() -> None:
    from mmbench.models.hf.families import FAMILIES, family_table_markdown

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- hf-families:start -->\n", 1)[1].split("\n<!-- hf-families:end -->", 1)[0]
    assert shown == family_table_markdown(), ("README's hf family table is stale: replace it with "
                                              "mmbench.models.hf.families.family_table_markdown()")
    for family in FAMILIES:  # every verifying test named exists
        assert (Path(__file__).resolve().parents[1] / family.test).is_file(), family.test


def test_unsupported_model_type_lists_the_families() -> None:
    from mmbench.models import hf

    with pytest.raises(UserError) as err:
        hf.choose_family({"model_type": "bert", "architectures": ["BertModel"]}, "ckpt")
    message = str(err.value)
    assert "\n" not in message and "qwen2-vl" in message and "smolvlm" in message and "--model-arg family=NAME" in message


def test_list_models_shows_the_families(mmbench_cli: Any) -> None:
    out = mmbench_cli("list", "models", forbid_imports=("torch", "transformers"))
    assert out.returncode == 0, out.stderr
    for name in tiny_chat_families.BUILDERS:
        assert f"family={name} " in out.stdout


def test_internvl_tile_option_equals_the_processor_kwarg(checkpoints: dict[str, Path]) -> None:
    model = mmbench_model(checkpoints, "internvl", max_num_tiles="1")
    default = mmbench_model(checkpoints, "internvl")
    ref, processor = reference(checkpoints, "internvl")
    conversation = conversations()[3]  # 90x50: two tiles and a thumbnail by default
    assert len(model.model_inputs([conversation])["input_ids"][0]) < len(default.model_inputs([conversation])["input_ids"][0])
    assert model.generate([conversation], GEN) == [reference_generate(ref, processor, conversation, max_patches=1)]


# ---- loading without a video processor ------------------------------------------------------------------
def test_a_hub_layout_with_a_video_processor_config_loads_without_torchvision(checkpoints: dict[str, Path],
                                                                               tmp_path: Path) -> None:
    """Hub checkpoints of these families ship video_preprocessor_config.json; mmbench never reads it."""
    import shutil

    from mmbench.models.hf.processors import load_processor

    copy = Path(shutil.copytree(checkpoints["qwen2-vl"], tmp_path / "qwen2-vl"))
    video = {"video_processor_type": "Qwen2VLVideoProcessor", "processor_class": "Qwen2VLProcessor", "patch_size": 14,
             "merge_size": 2, "temporal_patch_size": 2}
    (copy / "video_preprocessor_config.json").write_text(json.dumps(video))
    processor = load_processor(copy, "qwen2_vl")
    assert type(processor).__name__ == "Qwen2VLProcessor"
    assert "video_processor" not in processor.get_attributes()
    with pytest.raises(UserError, match="images only"):
        processor.video_processor([])
    assert mmbench_model(checkpoints, "qwen2-vl").render_prompt(conversations()[4]) == processor.apply_chat_template(
        conversations()[4], add_generation_prompt=True, tokenize=False)


def test_a_missing_package_is_named_in_one_whole_sentence(checkpoints: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from mmbench.models.hf import processors

    def needs_num2words(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("Package `num2words` is required to run SmolVLM processor. Install it with `pip install num2words`.")

    monkeypatch.setattr(processors, "build_image_only", needs_num2words)
    with pytest.raises(UserError) as err:
        load_model(f"hf:{checkpoints['smolvlm']}")
    message = str(err.value)
    assert "\n" not in message and message.endswith("; pip install num2words")
    assert "(ImportError: Package `num2words` is required to run SmolVLM processor)" in message
    assert "sentencepiece" not in message


def test_a_wrapped_transformers_message_keeps_its_first_sentence() -> None:
    from mmbench.models.hf.processors import missing_package_message

    error = ImportError("\nFooVideoProcessor requires the Torchvision library but it was not found in your environment. "
                        "Check out the instructions on the\ninstallation page: https://pytorch.org/")
    message = missing_package_message("ckpt", error)
    assert message == ("ckpt: the checkpoint's processor needs a package that is not installed (ImportError: "
                       "FooVideoProcessor requires the Torchvision library but it was not found in your environment); "
                       "pip install torchvision")


# ---- through the runner ------------------------------------------------------------------------------------
def test_qwen2_vl_run_at_batch_4_equals_the_model_card(checkpoints: dict[str, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``mmbench run --batch-size 4`` (DataLoader worker, image-token buckets) on shapes_vqa: every
    prediction and recorded prompt equals the reference's for that sample's image and prompt."""
    from mmbench.cli import main
    from mmbench.data import load_split, open_image
    from mmbench.results import read_samples
    from mmbench.tasks.spec import load_task_spec

    limit = 8
    status = main(["run", "--model", f"hf:{checkpoints['qwen2-vl']}", "--task", "shapes_vqa", "--limit", str(limit),
                   "--batch-size", "4", "--num-workers", "1", "--json", "--output-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    result = json.loads(out)
    result = result[0] if isinstance(result, list) else result
    records = {r["id"]: r for r in read_samples(tmp_path / Path(result["samples_file"]).name.replace(".samples.jsonl", ".json"))}
    assert result["model"]["family"] == "qwen2-vl"

    spec = load_task_spec("shapes_vqa")
    split = load_split(spec.data, None)
    model, processor = reference(checkpoints, "qwen2-vl")
    for sample in split.samples[:limit]:
        question = spec.prompt["instruction"].format(question=sample.meta["question"])
        image = open_image(sample.images[0], split.root)
        messages = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": question}]}]
        want = reference_generate(model, processor, messages, max_new_tokens=spec.generation["max_new_tokens"])
        assert records[sample.id]["prediction"] == want
        assert records[sample.id]["prompt"] == processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def test_preflight_refuses_a_processor_option_of_another_family(checkpoints: dict[str, Path], mmbench_cli: Any,
                                                                 tmp_path: Path) -> None:
    """Before any data or weights load (and without importing torch): one line, exit 2."""
    out = mmbench_cli("run", "--task", "shapes_vqa", "--model", f"hf:{checkpoints['idefics3']}", "--model-arg",
                      "max_pixels=1000", "--output-dir", str(tmp_path), cache=tmp_path / "cache",
                      forbid_imports=("torch", "transformers"))
    assert out.returncode == 2, out.stderr
    assert "max_pixels is not an option of the idefics3 family (it is one of: qwen2-vl, qwen2.5-vl, qwen3-vl)" in out.stderr
    assert "Traceback" not in out.stderr


def test_runner_buckets_conversations_by_their_images_token_sum(checkpoints: dict[str, Path], tmp_path: Path) -> None:
    """A conversation's bucket is the sum of its images' counts (two-image samples included), read
    from the files' headers; batches then follow those sums."""
    from mmbench.data.images import ImageFile
    from mmbench.engine.execution import batch_order, bucket_keys

    model = mmbench_model(checkpoints, "qwen2-vl")
    for i, image in enumerate(IMAGES):
        image.save(tmp_path / f"{i}.png")
    image_sets = [(3,), (0, 1), (2,), (4, 5), (0,), (6, 7)]
    items = [types.SimpleNamespace(id=str(n), images=tuple(ImageFile(f"{i}.png") for i in chosen), conversation=[])
             for n, chosen in enumerate(image_sets)]
    stage = types.SimpleNamespace(kind="conversations", generative=True, bucket_key=None, items=items)
    sums = [sum(model.image_token_count(*IMAGES[i].size) for i in chosen) for chosen in image_sets]
    assert [key[0] for key in bucket_keys(stage, model, tmp_path)] == sums
    assert len(set(sums)) > 2
    assert [sums[i] for i in batch_order(stage, model, tmp_path)] == sorted(sums)
