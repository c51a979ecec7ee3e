"""The conversation contract (issue: inputs as conversations, images interleaved).

Unit level: the message shape the helpers build, MMMU-style interleaving, image replacement and
the digest the prediction store keys conversations by. Run level: a two-image conversation goes
through the runner (images opened and transformed in a DataLoader worker, in order), records keep
the prompt and generation settings, the store re-uses only unchanged conversations, and an
adapter written against the former ``generate(images, prompts, cfg)`` keeps working through the
shim, or stops with one line on a conversation it cannot take.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from mmbench.conversation import (
    check_conversation,
    conversation_digest,
    images_in,
    interleave,
    joined_text,
    prompt_text,
    replace_images,
    user_turn,
)


def test_user_turn_is_one_user_message_images_first_then_the_text() -> None:
    assert user_turn(["a", "b"], "which?") == [
        {"role": "user", "content": [{"type": "image", "image": "a"}, {"type": "image", "image": "b"},
                                     {"type": "text", "text": "which?"}]}]
    with_system = user_turn(["a"], "q", system="be brief")
    assert with_system[0] == {"role": "system", "content": [{"type": "text", "text": "be brief"}]}
    assert [m["role"] for m in with_system] == ["system", "user"]
    assert user_turn([], "no image") == [{"role": "user", "content": [{"type": "text", "text": "no image"}]}]


def test_interleave_places_each_named_image_where_the_text_names_it() -> None:
    parts = interleave("Compare <image 2> with <image 1>. Which is larger? <image 2>", ["first", "second"])
    assert parts == [
        {"type": "text", "text": "Compare "}, {"type": "image", "image": "second"},
        {"type": "text", "text": " with "}, {"type": "image", "image": "first"},
        {"type": "text", "text": ". Which is larger? "}, {"type": "image", "image": "second"}]
    assert interleave("<image 1>", ["x"]) == [{"type": "image", "image": "x"}]  # no empty text parts
    with pytest.raises(ValueError, match="names image 3, but there are 2"):
        interleave("see <image 3>", ["a", "b"])


def test_replace_images_swaps_values_in_order_and_keeps_the_texts() -> None:
    conversation = user_turn(["a", "b"], "q", system="s")
    replaced = replace_images(conversation, [1, 2])
    assert images_in(replaced) == [1, 2] and images_in(conversation) == ["a", "b"]
    assert joined_text(replaced) == "sq"
    with pytest.raises(ValueError, match="more images"):
        replace_images(conversation, [1, 2, 3])


def test_prompt_text_marks_images_and_names_roles_of_several_messages() -> None:
    assert prompt_text(user_turn(["a"], "What colour?")) == "<image>What colour?"
    assert prompt_text(user_turn(["a", "b"], "q", system="s")) == "system: s\nuser: <image><image>q"


def test_check_conversation_names_what_is_wrong() -> None:
    check_conversation(user_turn(["a"], "q"), "sample 1")
    with pytest.raises(ValueError, match="sample 1: each message"):
        check_conversation([{"role": "robot", "content": []}], "sample 1")
    with pytest.raises(ValueError, match="each part"):
        check_conversation([{"role": "user", "content": [{"type": "audio"}]}], "x")
    with pytest.raises(ValueError, match="non-empty list"):
        check_conversation([], "x")


def test_the_digest_covers_every_text_and_every_image_in_order() -> None:
    base = conversation_digest(user_turn(["a", "b"], "q"), str)
    assert conversation_digest(user_turn(["a", "b"], "q"), str) == base
    assert conversation_digest(user_turn(["b", "a"], "q"), str) != base  # order matters
    assert conversation_digest(user_turn(["a", "c"], "q"), str) != base  # the second image
    assert conversation_digest(user_turn(["a", "b"], "q?"), str) != base  # the text
    assert conversation_digest(user_turn(["a", "b"], "q", system="s"), str) != base  # a system message


def test_stage_keys_differ_when_only_the_second_image_differs() -> None:
    from mmbench.data.images import ImageFile
    from mmbench.tasks.base import ConversationItem, Stage

    def keys(second: str) -> list[str]:
        item = ConversationItem("7", user_turn([ImageFile("a.png"), ImageFile(second)], "q"))
        return Stage("answers", "conversations", [item], lambda *a: []).item_keys()

    assert keys("b.png") == keys("b.png")
    assert keys("b.png") != keys("c.png")
    assert keys("b.png")[0].startswith("id:7:")


# ---- through the runner -------------------------------------------------------------------------

class ConversationRecorder:
    """Wraps the mock model: records, per conversation, what generate() received."""

    def __init__(self) -> None:
        from mmbench.models.mock import MockAdapter

        class Recording(MockAdapter):
            seen: list[tuple[int, str, list[Any]]] = []

            def generate(self, conversations: list[Any], cfg: Any) -> list[str]:
                for conversation in conversations:
                    images = images_in(conversation)
                    self.seen.append((len(images), joined_text(conversation), images))
                return super().generate(conversations, cfg)

        self.model = Recording.create(None)
        self.seen = Recording.seen


def _two_image_vqa(limit: int) -> tuple[Any, Any]:
    """shapes_vqa's first questions, each sample holding its own image and then the next sample's."""
    from mmbench.runner import load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    spec = load_task_spec("shapes_vqa")
    data = load_task_data(spec, RunConfig(limit=60))  # shapes_vqa asks several questions per image
    samples = data.split.samples
    distinct = list(dict.fromkeys(s.image for s in samples))
    paired = [dataclasses.replace(s, images=(s.image, distinct[(distinct.index(s.image) + 1) % len(distinct)]))
              for s in samples[:limit]]
    return spec, dataclasses.replace(data, split=dataclasses.replace(data.split, samples=paired))


def test_a_two_image_conversation_reaches_the_model_with_both_images_transformed_in_order(tmp_path: Path) -> None:
    import torch

    import mmbench
    from mmbench.data import open_image
    from mmbench.models.mock import MockTransform

    spec, data = _two_image_vqa(6)
    recorder = ConversationRecorder()
    result = mmbench.evaluate(spec, recorder.model, output_dir=None, batch_size=4, data=data, num_workers=1,
                              store=tmp_path / "store.sqlite")
    assert sorted(n for n, _, _ in recorder.seen) == [2] * 6
    by_text = {text: images for _, text, images in recorder.seen}
    transform = MockTransform()
    for sample in data.split.samples:  # each image part holds the transform of the right image, in order
        question = sample.meta["question"]
        texts = [t for t in by_text if t.startswith(question)]
        assert texts, question
        expected = [transform(open_image(image, data.split.root)) for image in sample.images]
        assert any(all(torch.equal(a, b) for a, b in zip(by_text[t], expected)) for t in texts)
    record = result.samples[0]
    assert record["prompt"].startswith("<image><image>") and sample_prompt_tail(spec) in record["prompt"]
    assert record["generation"] == {"max_new_tokens": spec.generation.get("max_new_tokens", 30), "num_beams": 1,
                                    "min_new_tokens": 0, "repetition_penalty": 1.0, "length_penalty": 1.0}


def sample_prompt_tail(spec: Any) -> str:
    """The fixed instruction the shapes_vqa prompt template ends with (read from the task file)."""
    template = spec.prompt["instruction"] if isinstance(spec.prompt, dict) else spec.prompt
    return template.split("}")[-1]


def test_the_store_recomputes_only_conversations_whose_images_changed(tmp_path: Path) -> None:
    import mmbench

    spec, data = _two_image_vqa(6)
    store = tmp_path / "store.sqlite"
    first = mmbench.evaluate(spec, ConversationRecorder().model, output_dir=None, batch_size=4, data=data, num_workers=0, store=store)
    assert first.timing["from_store"] == 0
    again = mmbench.evaluate(spec, ConversationRecorder().model, output_dir=None, batch_size=4, data=data, num_workers=0, store=store)
    assert again.timing["from_store"] == 6
    samples = list(data.split.samples)
    other = next(image for s in _two_image_vqa(60)[1].split.samples for image in s.images if image not in samples[0].images)
    samples[0] = dataclasses.replace(samples[0], images=(samples[0].images[0], other))  # a new second image
    changed = dataclasses.replace(data, split=dataclasses.replace(data.split, samples=samples))
    recorder = ConversationRecorder()
    third = mmbench.evaluate(spec, recorder.model, output_dir=None, batch_size=4, data=changed, num_workers=0, store=store)
    assert third.timing["from_store"] == 5 and len(recorder.seen) == 1


class OldStyleAdapter:
    """An adapter as plugins wrote them before conversations: generate(images, prompts, cfg)."""

    @staticmethod
    def build() -> Any:
        from mmbench.models.mock import MockAdapter, MockTransform

        from mmbench.models.base import ModelAdapter

        class Legacy(ModelAdapter):
            adapter_name = "legacy-plugin"

            def image_transform(self) -> Any:
                return MockTransform()

            def generate(self, images: Any, prompts: list[str], cfg: Any) -> list[str]:
                # (N, 3, 16, 16) collated on the device, N prompt strings
                colours = MockAdapter().dominant_colours(images)
                return [f"{colour} / {prompt}" for colour, prompt in zip(colours, prompts)]

        return Legacy()


def test_an_old_style_adapter_runs_single_image_tasks_through_the_shim() -> None:
    import mmbench
    from mmbench.runner import load_task_data
    from mmbench.tasks.spec import load_task_spec
    from mmbench.types import RunConfig

    spec = load_task_spec("shapes_vqa")
    data = load_task_data(spec, RunConfig(limit=5))
    legacy = mmbench.evaluate(spec, OldStyleAdapter.build(), output_dir=None, batch_size=2, data=data, num_workers=0)
    from mmbench.data import open_image
    from mmbench.models.mock import MockAdapter, MockTransform
    from mmbench.tasks.base import TaskType

    task = TaskType(spec, data.split)
    for record, sample in zip(legacy.samples, data.split.samples):
        colour = MockAdapter().dominant_colours(MockTransform()(open_image(sample.image, data.split.root))[None])[0]
        assert record["prediction"] == f"{colour} / {task.prompt_for(sample, 'instruction')}"  # its image, the task's prompt


def test_an_old_style_adapter_stops_with_one_line_on_a_two_image_task() -> None:
    import mmbench
    from mmbench.errors import UserError

    spec, data = _two_image_vqa(3)
    with pytest.raises(UserError) as caught:
        mmbench.evaluate(spec, OldStyleAdapter.build(), output_dir=None, batch_size=2, data=data, num_workers=0)
    message = str(caught.value)
    assert "\n" not in message and "2 image(s)" in message and "generate(conversations, cfg)" in message
    assert message.startswith(f"sample {data.split.samples[0].id}: ")
