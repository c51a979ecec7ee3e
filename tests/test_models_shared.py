"""The parts every model family shares: --model-arg options, the strict loader, the one ViT, the
registry tables (lazy, one line per built-in)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest
import torch
from torch import nn

from mmbench.errors import UserError
from mmbench.models.options import AdapterOptions


@dataclass(frozen=True)
class DemoOptions(AdapterOptions):
    adapter = "demo"
    revision: str | None = None
    max_new_tokens: int | None = field(default=None, metadata={"min": 1})
    temperature: float = 1.0
    pad_to_square: bool | None = None


def test_options_are_typed_from_strings() -> None:
    options = DemoOptions.parse({"max_new_tokens": "7", "temperature": "0.5", "pad_to_square": "Yes", "revision": "main"})
    assert options == DemoOptions(revision="main", max_new_tokens=7, temperature=0.5, pad_to_square=True)
    assert DemoOptions.parse({"pad_to_square": "off"}).pad_to_square is False
    assert DemoOptions.parse({}) == DemoOptions()


@pytest.mark.parametrize("args, message", [
    ({"max_new_token": "3"}, "demo: unknown model argument 'max_new_token'; did you mean 'max_new_tokens'?"),
    ({"max_new_tokens": "many"}, "demo: model argument max_new_tokens='many' is not an integer"),
    ({"max_new_tokens": "0"}, "demo: model argument max_new_tokens='0' must be at least 1"),
    ({"temperature": "hot"}, "demo: model argument temperature='hot' is not a number"),
    ({"pad_to_square": "maybe"}, "demo: model argument pad_to_square='maybe' is not a boolean; use true or false"),
])
def test_bad_options_are_one_line_user_errors(args: dict[str, str], message: str) -> None:
    with pytest.raises(UserError) as error:
        DemoOptions.parse(args)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("kind", ["mock", "clip", "blip", "llava", "hf"])
def test_every_adapter_kind_refuses_unknown_arguments_the_same_way(kind: str) -> None:
    from mmbench.models.spec import load_model

    spec = kind if kind == "mock" else f"{kind}:/nonexistent/checkpoint"
    with pytest.raises(UserError, match=rf"^{kind}: unknown model argument 'temprature'"):
        load_model(spec, device="cpu", temprature="0.7")


class _Tied(nn.Module):
    def __init__(self, width: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(5, width)
        self.head = nn.Linear(width, 5, bias=False)
        self.head.weight = self.embed.weight


def _meta_tied(width: int = 3) -> _Tied:
    with torch.device("meta"):
        return _Tied(width)


def test_load_strict_renames_ignores_and_fills_tied_weights() -> None:
    from mmbench.models.checkpoint import load_strict

    weight = torch.arange(15, dtype=torch.float32).view(5, 3)
    state = {"old.embed.weight": weight, "old.rotary.inv_freq": torch.zeros(2)}
    model = load_strict(_meta_tied(), state, source="ck", rename=lambda k: k.removeprefix("old."),
                        ignore=(".inv_freq",), tied={"head.weight": "embed.weight"})
    assert torch.equal(model.embed.weight, weight) and torch.equal(model.head.weight, weight)


def test_load_strict_lists_missing_unexpected_and_misshapen_keys() -> None:
    from mmbench.models.checkpoint import load_strict

    with pytest.raises(UserError, match=r"ck: checkpoint does not match the model: 1 missing key\(s\): embed.weight; "
                                        r"1 unexpected key\(s\): extra"):
        load_strict(_meta_tied(), {"extra": torch.zeros(1)}, source="ck", tied={"head.weight": "embed.weight"})
    with pytest.raises(UserError, match=r"ck: checkpoint tensors do not fit the config: 1 weight\(s\) have shapes that do not "
                                        r"match config.json: embed.weight \(5, 4\) != \(5, 3\)"):
        load_strict(_meta_tied(), {"embed.weight": torch.zeros(5, 4)}, source="ck", tied={"head.weight": "embed.weight"})


def test_a_config_the_modules_cannot_build_is_a_user_error_at_the_loader() -> None:
    from mmbench.models.builtin.configs import VisionConfig
    from mmbench.models.builtin.vit import VisionTransformer
    from mmbench.models.checkpoint import build_module

    bad = VisionConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ValueError):
        VisionTransformer(bad)  # a module raises ValueError ...
    with pytest.raises(UserError, match="ck/config.json: the config cannot build the model"):
        build_module(lambda: VisionTransformer(bad), "ck/config.json")  # ... the loader reports it


def test_vit_layouts_compute_the_same_function() -> None:
    """The blip layout (packed q/k/v, no pre-LN) equals the clip layout with the same weights rearranged."""
    from dataclasses import replace

    from mmbench.models.builtin.configs import VisionConfig
    from mmbench.models.builtin.vit import VisionTransformer

    config = VisionConfig(hidden_size=16, intermediate_size=24, num_hidden_layers=2, num_attention_heads=2, image_size=8,
                          patch_size=4, hidden_act="gelu")
    torch.manual_seed(0)
    clip = VisionTransformer(config).eval()
    blip = VisionTransformer(replace(config, layout="blip")).eval()
    mine = clip.state_dict()
    converted = {}
    for key, value in blip.state_dict().items():
        if key.endswith("self_attn.qkv.weight") or key.endswith("self_attn.qkv.bias"):
            prefix, kind = key.rsplit(".qkv.", 1)
            converted[key] = torch.cat([mine[f"{prefix}.{p}_proj.{kind}"] for p in "qkv"])
        elif ".projection." in key:
            converted[key] = mine[key.replace(".projection.", ".out_proj.")]
        elif key == "embeddings.class_embedding":
            converted[key] = mine[key].view(1, 1, -1)
        elif key == "embeddings.position_embedding":
            converted[key] = mine["embeddings.position_embedding.weight"].unsqueeze(0)
        elif key == "embeddings.patch_embedding.bias":
            converted[key] = torch.zeros_like(value)
        else:
            converted[key] = mine[key]
    blip.load_state_dict(converted)
    pixels = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        # without its pre-LN the clip layout is the blip layout: compare block outputs on pre-normalised input
        clip_states = clip.post_layernorm(clip.hidden_states(pixels, -1))
        blip.embeddings.forward = lambda p: clip.pre_layrnorm(clip.embeddings(p))  # type: ignore[method-assign]
        assert torch.allclose(blip(pixels), clip_states, atol=1e-5)
        assert torch.allclose(clip.pooled(pixels), clip_states[:, 0], atol=1e-5)


def test_registry_tables_import_nothing_until_used() -> None:
    code = ("import sys\n"
            "from mmbench.registry import models, task_types\n"
            "from mmbench.data.formats import data_formats\n"
            "assert 'shapes-clip' in models and 'vqa' in task_types and 'karpathy' in data_formats\n"
            "loaded = [m for m in ('mmbench.models.builtin.clip.adapter', 'mmbench.tasks.vqa', 'mmbench.data.karpathy') if m in sys.modules]\n"
            "assert not loaded, loaded\n"
            "assert models.get('clip').__name__ == 'ClipAdapter' and task_types.get('vqa').type_name == 'vqa'\n"
            "assert 'torch' not in sys.modules\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_offers_are_derived_from_the_adapter_classes() -> None:
    from mmbench.models.builtin.blip.adapter import BlipAdapter
    from mmbench.models.spec import list_model_entries

    rows = {name: offers for name, _, offers, _ in list_model_entries()}
    assert rows["clip"] == "encode_images, encode_texts"
    assert rows["llava"] == rows["shapes-llava"] == "generate, score_continuations"  # the built-in decoder scores text
    assert rows["shapes-blip-caption"] == "generate"
    assert rows["blip"] == "by head: caption: generate | vqa: generate | itm: encode_images, encode_texts, match"
    assert rows["mock"] == "encode_images, encode_texts, generate, match"

    class CaptionOnly(BlipAdapter):
        def generate(self, conversations, cfg):  # type: ignore[no-untyped-def]
            return []

    assert CaptionOnly.offers() == "generate"
