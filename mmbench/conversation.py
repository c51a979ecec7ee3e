"""The input contract of generative models: a conversation, OpenAI's chat shape with images as objects.

A conversation is a list of messages ``{"role": "system" | "user" | "assistant", "content": [parts]}``,
each part ``{"type": "text", "text": str}`` or ``{"type": "image", "image": <image>}``. A task builds
one conversation per sample whose image parts hold the sample's image references
(:class:`mmbench.data.images.ImageSource`); the runner opens each image and applies the model's
``image_transform`` in DataLoader workers, and the model's ``generate(conversations, cfg)`` receives
the same conversations with the transformed images in their place (:func:`replace_images`).

A single-image task's conversation is one user turn ``[image, text]`` (:func:`user_turn`); MMMU-style
questions place their images where the text names them (:func:`interleave`). No torch import here.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Callable, Literal, Sequence, TypedDict, Union


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImagePart(TypedDict):
    type: Literal["image"]
    image: Any


Part = Union[TextPart, ImagePart]


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: list[Part]


Conversation = list[Message]

ROLES = ("system", "user", "assistant")
#: how an image stands in the text of :func:`prompt_text` (the per-sample record's view)
IMAGE_MARKER = "<image>"


def text_part(text: str) -> TextPart:
    return {"type": "text", "text": text}


def image_part(image: Any) -> ImagePart:
    return {"type": "image", "image": image}


def user_turn(images: Sequence[Any], text: str, system: str | None = None) -> Conversation:
    """``[system?] + [user: every image (in order), then the text]``: the conversation of a
    single-question task (the model cards' own message shape)."""
    content: list[Part] = [image_part(image) for image in images]
    content.append(text_part(text))
    conversation: Conversation = [{"role": "system", "content": [text_part(system)]}] if system else []
    conversation.append({"role": "user", "content": content})
    return conversation


def single_image_conversations(images: Any, prompts: Sequence[str]) -> list[Conversation]:
    """One :func:`user_turn` per image and prompt: what a caller holding a batch of images (a list,
    or a tensor whose rows are the images) and their prompts hands to ``generate`` directly."""
    rows = list(images)
    if len(rows) != len(prompts):
        raise ValueError(f"{len(rows)} images for {len(prompts)} prompts")
    return [user_turn([image], prompt) for image, prompt in zip(rows, prompts)]


def interleave(text: str, images: Sequence[Any], pattern: str = r"<image (\d+)>") -> list[Part]:
    """Parts of ``text`` with image ``n`` (1-based) placed where the text names it (``<image 2>``).

    Every occurrence of a name becomes an image part (MMMU repeats a name when its question does);
    a name beyond ``len(images)`` raises ValueError; images the text never names are not added
    (the caller decides). Empty text pieces between images are dropped."""
    parts: list[Part] = []
    position = 0
    for match in re.finditer(pattern, text):
        number = int(match.group(1))
        if not 1 <= number <= len(images):
            raise ValueError(f"{match.group(0)!r} names image {number}, but there are {len(images)}")
        if text[position:match.start()]:
            parts.append(text_part(text[position:match.start()]))
        parts.append(image_part(images[number - 1]))
        position = match.end()
    if text[position:]:
        parts.append(text_part(text[position:]))
    return parts


def images_in(conversation: Conversation) -> list[Any]:
    """The image values of every image part, in order."""
    return [part["image"] for message in conversation for part in message["content"] if part["type"] == "image"]


def replace_images(conversation: Conversation, images: Sequence[Any]) -> Conversation:
    """A copy of ``conversation`` whose image parts hold ``images`` (in order); texts are unchanged."""
    supply = iter(images)
    out: Conversation = []
    for message in conversation:
        content: list[Part] = [image_part(next(supply)) if part["type"] == "image" else part for part in message["content"]]
        out.append({"role": message["role"], "content": content})
    if next(supply, None) is not None:
        raise ValueError("replace_images: more images than image parts")
    return out


def joined_text(conversation: Conversation) -> str:
    """Every text part of the conversation, joined without separators (a single-image task's prompt)."""
    return "".join(part["text"] for message in conversation for part in message["content"] if part["type"] == "text")


def prompt_text(conversation: Conversation) -> str:
    """The conversation as one text: each message's parts joined, images as ``<image>``,
    messages on their own lines prefixed by their role when there is more than one."""
    rendered = ["".join(IMAGE_MARKER if part["type"] == "image" else part["text"] for part in m["content"])
                for m in conversation]
    if len(conversation) == 1:
        return rendered[0]
    return "\n".join(f"{m['role']}: {text}" for m, text in zip(conversation, rendered))


def check_conversation(conversation: Any, where: str) -> None:
    """ValueError naming ``where`` unless ``conversation`` has the contract's shape."""
    if not isinstance(conversation, list) or not conversation:
        raise ValueError(f"{where}: a conversation is a non-empty list of messages")
    for message in conversation:
        if not isinstance(message, dict) or message.get("role") not in ROLES or not isinstance(message.get("content"), list):
            raise ValueError(f"{where}: each message is {{'role': one of {ROLES}, 'content': [parts]}}")
        for part in message["content"]:
            if not isinstance(part, dict) or part.get("type") not in ("text", "image"):
                raise ValueError(f"{where}: each part is {{'type': 'text', 'text': ...}} or {{'type': 'image', 'image': ...}}")
            if part["type"] == "text" and not isinstance(part.get("text"), str):
                raise ValueError(f"{where}: a text part's 'text' must be a string")


def conversation_digest(conversation: Conversation, image_identity: Callable[[Any], str]) -> str:
    """A stable digest of the whole conversation: roles, texts and each image's identity (in order).
    The prediction store keys a conversation stage's outputs by it, beside the sample id."""
    canonical = [{"role": m["role"],
                  "content": [{"image": image_identity(p["image"])} if p["type"] == "image" else {"text": p["text"]}
                              for p in m["content"]]}
                 for m in conversation]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]
