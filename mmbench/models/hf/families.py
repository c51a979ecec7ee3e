"""The ``hf:`` families: one data row per family, the README's family table generated from it.

A row says which config.json values select the family (``architectures`` first, then
``model_type``), which adapter class serves it (lazily, ``"module:Class"``), and, for the chat
families served by the one generic path in :mod:`mmbench.models.hf.chat`, the small declared
differences: the transformers model class, how its input is built (``prompt``: ``"chat"`` through
the checkpoint's chat template, ``"question"`` for BLIP-2's bare-question wrapper), whether a
conversation may hold several images, whether its image-token count depends on the image size (then
batches are bucketed by the processor's own count), which ``--model-arg`` processor options it
takes (``processor_options``: option name -> the processor's keyword), the pip packages its
processor needs, a note on batching and the test that proves it equal to the checkpoint's reference
code. This module imports neither torch nor transformers (``mmbench list models``, preflight).
"""

from __future__ import annotations

from dataclasses import dataclass

#: the processor options users may pass as ``--model-arg`` (each family declares those it takes)
PROCESSOR_OPTIONS = ("min_pixels", "max_pixels", "do_image_splitting", "max_num_tiles")
CHAT_ADAPTER = "mmbench.models.hf.chat:HFChatAdapter"
_TESTS = "tests/test_hf_chat_families.py"
_TESTS_B = "tests/test_hf_chat_families_b.py"


@dataclass(frozen=True)
class Family:
    """One supported checkpoint family: which adapter class serves which configs, and how."""

    name: str
    adapter: str  # "module:Class"
    architectures: tuple[str, ...] = ()
    model_types: tuple[str, ...] = ()
    example: str = ""
    #: transformers class loaded with from_pretrained ("" : the adapter class's own)
    model_class: str = ""
    #: how a conversation becomes the model's input: "chat" (chat template), "question" (BLIP-2),
    #: "prefix" (PaliGemma: the bare prompt after the image tokens, no template)
    prompt: str = "chat"
    #: several images in one conversation
    multi_image: bool = False
    #: the image-token count depends on the image size: batches group equal counts (processor's count)
    image_tokens_vary: bool = False
    #: how that count is read: "processor" (the processor's own count from the image size, exact up to
    #: a constant in every supported transformers version) or "measured" (the input length the
    #: processor gives a blank image of that size minus the text alone, once per size: for families
    #: whose processor count left out the marker tokens around the image in some supported version;
    #: transformers 5.25 counts only the feature placeholders of Pixtral, Aya Vision, Idefics3, SmolVLM)
    image_count: str = "processor"
    #: ``--model-arg`` name -> the processor keyword it sets (pairs, as the row is frozen)
    processor_options: tuple[tuple[str, str], ...] = ()
    #: pip packages the family's processor needs beyond mmbench's own dependencies
    requires: tuple[str, ...] = ()
    batching: str = "left-padded batches; equal to one at a time"
    #: the test that proves the family equal to its reference code
    test: str = ""

    def option_keyword(self, option: str) -> str | None:
        return dict(self.processor_options).get(option)


_QWEN_OPTIONS = (("min_pixels", "min_pixels"), ("max_pixels", "max_pixels"))
_SPLIT_OPTIONS = (("do_image_splitting", "do_image_splitting"),)
_BUCKETED = "batched by image-token count (the processor's, from the image size); equal to one at a time"
_MEASURED = "batched by image-token count (measured on a blank image of each size); equal to one at a time"

GENERIC = Family("image-text-to-text", CHAT_ADAPTER, example="any AutoModelForImageTextToText checkpoint with a chat template",
                 model_class="AutoModelForImageTextToText", multi_image=True,
                 batching="left-padded batches (a family without a row: not verified)", test="tests/test_hf_models.py")

#: the fallback for a model type without a row whose AutoModel class embeds both images and texts
DUAL_ENCODER = Family("dual-encoder", "mmbench.models.hf.clip:HFDualEncoderFromProcessorAdapter",
                      example="any AutoModel checkpoint with get_image_features and get_text_features (e.g. kakaobrain/align-base)",
                      batching="any batch (texts padded as its processor says)", test="tests/test_hf_dual_encoders.py")

FAMILIES: tuple[Family, ...] = (
    Family("clip", "mmbench.models.hf.clip:HFClipAdapter", ("CLIPModel",), ("clip",), "openai/clip-vit-base-patch32",
           batching="any batch", test="tests/test_hf_models.py"),
    Family("siglip", "mmbench.models.hf.clip:HFSiglipAdapter", ("SiglipModel",), ("siglip",), "google/siglip-base-patch16-224",
           requires=("sentencepiece",), batching="any batch (texts padded to max_length)", test="tests/test_hf_models.py"),
    Family("siglip2", "mmbench.models.hf.clip:HFSiglip2Adapter", ("Siglip2Model",), ("siglip2",), "google/siglip2-base-patch16-naflex",
           batching="any batch (variable-resolution patches with their mask and grid; texts padded to max_length)",
           test="tests/test_hf_dual_encoders.py"),
    Family("blip-caption", "mmbench.models.hf.blip:HFBlipCaptionAdapter", ("BlipForConditionalGeneration",), (),
           "Salesforce/blip-image-captioning-base", batching="any batch", test="tests/test_hf_models.py"),
    Family("blip-vqa", "mmbench.models.hf.blip:HFBlipVqaAdapter", ("BlipForQuestionAnswering",), (), "Salesforce/blip-vqa-base",
           batching="any batch", test="tests/test_hf_models.py"),
    Family("blip-itm", "mmbench.models.hf.blip:HFBlipItmAdapter", ("BlipForImageTextRetrieval",), (),
           "Salesforce/blip-itm-base-coco", batching="any batch", test="tests/test_hf_models.py"),
    Family("blip-2", "mmbench.models.hf.chat:HFBlip2Adapter", ("Blip2ForConditionalGeneration",), (), "Salesforce/blip2-opt-2.7b",
           model_class="Blip2ForConditionalGeneration", prompt="question", test="tests/test_hf_models.py"),
    Family("llava", CHAT_ADAPTER, ("LlavaForConditionalGeneration",), ("llava",), "llava-hf/llava-1.5-7b-hf",
           model_class="LlavaForConditionalGeneration", test="tests/test_hf_models.py"),
    Family("llava-next", CHAT_ADAPTER, ("LlavaNextForConditionalGeneration",), ("llava_next",),
           "llava-hf/llava-v1.6-mistral-7b-hf", model_class="LlavaNextForConditionalGeneration",
           image_tokens_vary=True, batching=_BUCKETED, test="tests/test_hf_models.py"),
    Family("qwen2-vl", CHAT_ADAPTER, ("Qwen2VLForConditionalGeneration",), ("qwen2_vl",), "Qwen/Qwen2-VL-2B-Instruct",
           model_class="Qwen2VLForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           processor_options=_QWEN_OPTIONS, batching=_BUCKETED, test=_TESTS),
    Family("qwen2.5-vl", CHAT_ADAPTER, ("Qwen2_5_VLForConditionalGeneration",), ("qwen2_5_vl",), "Qwen/Qwen2.5-VL-3B-Instruct",
           model_class="Qwen2_5_VLForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           processor_options=_QWEN_OPTIONS, batching=_BUCKETED, test=_TESTS),
    Family("qwen3-vl", CHAT_ADAPTER, ("Qwen3VLForConditionalGeneration",), ("qwen3_vl",), "Qwen/Qwen3-VL-2B-Instruct",
           model_class="Qwen3VLForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           processor_options=_QWEN_OPTIONS, batching=_BUCKETED, test=_TESTS),
    Family("internvl", CHAT_ADAPTER, ("InternVLForConditionalGeneration",), ("internvl",), "OpenGVLab/InternVL3-1B-hf",
           model_class="InternVLForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           processor_options=(("max_num_tiles", "max_patches"),), batching=_BUCKETED, test=_TESTS),
    Family("idefics3", CHAT_ADAPTER, ("Idefics3ForConditionalGeneration",), ("idefics3",), "HuggingFaceM4/Idefics3-8B-Llama3",
           model_class="Idefics3ForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           image_count="measured", processor_options=_SPLIT_OPTIONS, batching=_MEASURED, test=_TESTS),
    Family("smolvlm", CHAT_ADAPTER, ("SmolVLMForConditionalGeneration",), ("smolvlm",), "HuggingFaceTB/SmolVLM-256M-Instruct",
           model_class="SmolVLMForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           image_count="measured", processor_options=_SPLIT_OPTIONS, requires=("num2words",), batching=_MEASURED, test=_TESTS),
    Family("llava-onevision", CHAT_ADAPTER, ("LlavaOnevisionForConditionalGeneration",), ("llava_onevision",),
           "llava-hf/llava-onevision-qwen2-0.5b-ov-hf", model_class="LlavaOnevisionForConditionalGeneration",
           multi_image=True, image_tokens_vary=True, batching=_BUCKETED, test=_TESTS),
    Family("paligemma", "mmbench.models.hf.paligemma:HFPaliGemmaAdapter", ("PaliGemmaForConditionalGeneration",), ("paligemma",),
           "google/paligemma2-3b-mix-224", model_class="PaliGemmaForConditionalGeneration", prompt="prefix", multi_image=True,
           batching="left-padded batches of prefix prompts (no chat template); equal to one at a time", test=_TESTS_B),
    Family("gemma3", CHAT_ADAPTER, ("Gemma3ForConditionalGeneration",), ("gemma3",), "google/gemma-3-4b-it",
           model_class="Gemma3ForConditionalGeneration", multi_image=True, test=_TESTS_B),
    Family("mistral3", "mmbench.models.hf.pixtral:HFMistral3Adapter", ("Mistral3ForConditionalGeneration",), ("mistral3",),
           "mistralai/Mistral-Small-3.1-24B-Instruct-2503", model_class="Mistral3ForConditionalGeneration", multi_image=True,
           image_tokens_vary=True, image_count="measured", batching=_MEASURED, test=_TESTS_B),
    Family("mllama", "mmbench.models.hf.mllama:HFMllamaAdapter", ("MllamaForConditionalGeneration",), ("mllama",), "meta-llama/Llama-3.2-11B-Vision-Instruct",
           model_class="MllamaForConditionalGeneration", multi_image=True,
           batching="left-padded batches (one <|image|> token per image; tiles padded across the batch); equal to one at a time",
           test=_TESTS_B),
    Family("aya-vision", CHAT_ADAPTER, ("AyaVisionForConditionalGeneration",), ("aya_vision",), "CohereLabs/aya-vision-8b",
           model_class="AyaVisionForConditionalGeneration", multi_image=True, image_tokens_vary=True,
           image_count="measured", processor_options=(("max_num_tiles", "max_patches"),), batching=_MEASURED, test=_TESTS_B),
    GENERIC,
    DUAL_ENCODER,
)


def family_names() -> list[str]:
    return [f.name for f in FAMILIES]


def find(name: str) -> Family | None:
    return next((f for f in FAMILIES if f.name == name), None)


def known_family(config: dict) -> Family | None:
    """The family a config.json names by architecture or model type, else None."""
    by_architecture = {arch: f for f in FAMILIES for arch in f.architectures}
    by_model_type = {model_type: f for f in FAMILIES for model_type in f.model_types}
    for architecture in config.get("architectures") or []:
        if architecture in by_architecture:
            return by_architecture[architecture]
    return by_model_type.get(str(config.get("model_type", "")))


def offers(family: Family) -> str:
    """What the family's adapter can do (its capabilities), as ``mmbench list models`` shows them."""
    from mmbench.registry import resolve

    return str(resolve(family.adapter).offers())


def list_rows() -> list[tuple[str, str, str, str]]:
    """(name, type, offers, description) rows of ``mmbench list models``, one per family."""
    return [(f"family={f.name}", "hf family", offers(f),
             f"{'e.g. hf:' if ' ' not in f.example else ''}{f.example}; multi-image: {'yes' if f.multi_image else 'no'}")
            for f in FAMILIES]


def family_table_markdown() -> str:
    """The README's family table, one row per family, between its ``hf-families`` markers."""
    lines = ["| family | example checkpoint | can do | multi-image | batching | verified by |",
             "|---|---|---|---|---|---|"]
    for f in FAMILIES:
        extra = f" (needs {', '.join(f.requires)})" if f.requires else ""
        options = ", ".join(f"`{name}`" for name, _ in f.processor_options)
        lines.append(f"| `{f.name}` | {f.example}{extra} | {offers(f)}{'; options ' + options if options else ''} | "
                     f"{'yes' if f.multi_image else 'no'} | {f.batching} | `{f.test}` |")
    return "\n".join(lines)

