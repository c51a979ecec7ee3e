"""Training ``shapes-llava-multi``: a tiny LLaVA (CLIP tower + projector + Llama) for conversations
with one or two images, answering the shapes counterparts of the multiple-choice, yes/no and chart
benchmarks (:mod:`mmbench.data.shapes_scenes`).

``shapes-llava`` (a transformers ``LlavaForConditionalGeneration``: CLIP tower from
``shapes-clip-stage1``, frozen; projector; 2-layer Llama; its tokenizer) fine-tuned on a mixture
of the new kinds of question. Its chat template renders one user turn as
``USER: <image>\\n[<image>\\n]{text} ASSISTANT:``: every image first, then the turn's text parts
joined and stripped, so a question whose images were interleaved (``<image 1> <image 2> Which ...``
split around the images) reads the same as one whose images came first. Training examples are drawn
on the fly from the scene generators with seeds of their own (``shapes-bench-train``, never the
benchmark files' ``shapes-bench-test`` seeds), in the prompts the benchmarks' reference code sends
(LLaVA-1.5 / lmms-eval) and a few close variants (options after a blank line, the bare question,
"Please answer yes or no."), so the model does not hang on one exact wording. The loss covers the
answer tokens and ``</s>``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mmbench.data import shapes_scenes as scenes
from mmbench.data.shapes_spec import captions
from mmbench.training.corpus import MEAN, STD, normalise
from mmbench.training.llava import IMAGE_TOKEN
from mmbench.training.loop import Schedule, seed_everything, train

#: the chat template: role, every image of the turn, then its text parts joined and stripped.
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<image>\n' }}{% endif %}{% endfor %}"
    "{% set ns = namespace(text='') %}{% for content in message['content'] %}{% if content['type'] == 'text' %}"
    "{% set ns.text = ns.text + content['text'] + ' ' %}{% endif %}{% endfor %}{{ ns.text | trim + ' ' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
MC_SUFFIX = "Answer with the option's letter from the given choices directly."
SHORT_SUFFIX = "Answer the question using a single word or phrase."
YES_NO_SUFFIXES = ("\n" + SHORT_SUFFIX, " Please answer yes or no.", "\nPlease answer yes or no.", "")
CHART_SUFFIXES = ("\n" + SHORT_SUFFIX, "\nAnswer the question with a single word.", "")
DESCRIBE_PROMPT = "Describe the image."
#: share of each kind of example in a batch; ``describe`` (a full description of a scene, two-shape
#: image or chart: many target tokens per image) grounds the answers, which are one token each.
MIXTURE = (("mc", 0.25), ("pair", 0.2), ("yes_no", 0.2), ("chart", 0.2), ("describe", 0.15))


@dataclass(frozen=True)
class LlavaMultiRecipe:
    batch: int = 32
    steps: int = 900
    lr: float = 5e-4
    init_from: str | None = None  # shapes-llava: weights and tokenizer
    seed: int = 0
    train_tower: bool = False  # also train shapes-llava's CLIP tower (else it stays frozen)
    mixture: tuple[tuple[str, float], ...] = MIXTURE  # share of each kind of example in a batch
    reasoned_yes_no: str = ""  # yes/no targets: "" the word; "chain" the asked shape, each shape shown with
    # same/other, then the word ("red star? blue cross other, red star same, yes")


@dataclass(frozen=True)
class Example:
    images: tuple[np.ndarray, ...]  # (64, 64, 3) uint8 each
    text: str  # the user turn's text, as the task sends it (no image markers)
    answer: str
    kind: str


def chat_prompt(n_images: int, text: str) -> str:
    """What CHAT_TEMPLATE renders for one user turn with ``n_images`` images and ``text``."""
    return "USER: " + f"{IMAGE_TOKEN}\n" * n_images + text.strip() + " ASSISTANT:"


def mc_text(question: str, options: tuple[str, ...], style: str = "lmms-eval") -> str:
    """LLaVA-1.5 / lmms-eval multiple-choice prompt (``lmms-eval``), its MMMU form (``mmmu``: a blank
    line before the instruction) or the question and options alone (``plain``)."""
    body = f"{question}\n{scenes.option_lines(options)}"
    return {"lmms-eval": f"{body}\n{MC_SUFFIX}", "mmmu": f"{body}\n\n{MC_SUFFIX}", "plain": body}[style]


def draw_example(kind: str, rng: random.Random, reasoned_yes_no: str = "") -> Example:
    """One training (or validation) example of ``kind`` in a random prompt variant. Multiple-choice
    targets are the right option's text, not its letter: the benchmarks' rule chain reads a unique
    option text (VLMEvalKit's exact matching), and a 2-layer model does not learn the letter lookup
    in the step budget (two recipes that answered with letters stayed at chance)."""
    if kind == "mc":
        item = scenes.mc_item(rng)
        return Example((item.pixels,), mc_text(item.question, item.options, rng.choice(("lmms-eval", "mmmu", "plain"))),
                       item.options[scenes.LETTERS.index(item.answer)], kind)
    if kind == "pair":
        pair = scenes.pair_item(rng)
        question = pair.question if rng.random() < 0.5 else pair.question.replace("<image 1> <image 2> ", "")
        return Example((pair.first, pair.second), mc_text(question, pair.options, rng.choice(("lmms-eval", "mmmu", "plain"))),
                       pair.options[scenes.LETTERS.index(pair.answer)], kind)
    if kind == "yes_no":
        image = scenes.pope_image(rng)
        probe = rng.choice(scenes.pope_questions(image, rng))
        answer = probe.label
        if reasoned_yes_no == "chain":
            asked_colour, asked = probe.text.removesuffix(" in the image?").split(" ")[-2:]
            verdicts = [f"{colour} {shape} {'same' if (colour, shape) == (asked_colour, asked) else 'other'}"
                        for colour, shape in image.objects]
            answer = f"{asked_colour} {asked}? " + ", ".join(verdicts) + f", {probe.label}"
        return Example((image.pixels,), probe.text + rng.choice(YES_NO_SUFFIXES), answer, kind)
    if kind == "chart":
        chart = scenes.chart_item(rng)
        question, answer, _ = rng.choice(chart.questions)
        return Example((chart.pixels,), question + rng.choice(CHART_SUFFIXES), answer, kind)
    pixels, description = describe(rng, "pope" if kind == "describe_pope" else None)
    return Example((pixels,), DESCRIBE_PROMPT, description, kind)


def describe(rng: random.Random, what: str | None = None) -> tuple[np.ndarray, str]:
    """A scene, a two-shape image or a chart (``what``; random when None), and its description
    (every attribute the questions ask about)."""
    what = what or rng.choice(("scene", "pope", "chart"))
    if what == "scene":
        a = scenes.random_attributes(rng)
        return scenes.scene(a, rng), captions(a)[0]
    if what == "pope":
        image = scenes.pope_image(rng)
        (colour_a, kind_a), (colour_b, kind_b) = image.objects
        return image.pixels, f"a {colour_a} {kind_a} on the left and a {colour_b} {kind_b} on the right."
    chart = scenes.chart_item(rng)
    return chart.pixels, "bars: " + ", ".join(f"{colour} {value}" for colour, value in chart.bars) + "."


def draw_batch(rng: random.Random, size: int, mixture: tuple[tuple[str, float], ...] = MIXTURE,
               reasoned_yes_no: str = "") -> list[Example]:
    kinds = [k for k, _ in mixture]
    weights = [w for _, w in mixture]
    return [draw_example(rng.choices(kinds, weights)[0], rng, reasoned_yes_no) for _ in range(size)]


def processor_for(tokenizer: Any) -> Any:
    from transformers import CLIPImageProcessor, LlavaProcessor

    images = CLIPImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64},
                                image_mean=list(MEAN), image_std=list(STD))
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=16,
                          vision_feature_select_strategy="default", num_additional_image_tokens=1,
                          chat_template=CHAT_TEMPLATE)


IMAGE_TOKENS = (64 // 16) ** 2


class Encoder:
    """Token ids of examples: the prompt with each ``<image>`` expanded to its 16 patch features."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.image_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
        self.cache: dict[str, list[int]] = {}

    def prompt(self, example: Example) -> list[int]:
        text = chat_prompt(len(example.images), example.text)
        if text not in self.cache:
            ids: list[int] = []
            for token in self.tokenizer(text)["input_ids"]:
                ids += [self.image_id] * IMAGE_TOKENS if token == self.image_id else [token]
            self.cache[text] = ids
        return self.cache[text]

    def answer(self, example: Example) -> list[int]:
        return self.tokenizer(" " + example.answer, add_special_tokens=False)["input_ids"] + [self.tokenizer.eos_token_id]


def pixels_of(batch: list[Example]) -> torch.Tensor:
    return normalise(np.stack([image for example in batch for image in example.images]))


def batch_loss(model: Any, encoder: Encoder, batch: list[Example]) -> torch.Tensor:
    """Mean cross-entropy over the answer tokens of the batch; one forward pass per kind of example
    (prompt lengths differ by kind, so this pads far less than one pass over the whole batch)."""
    total = torch.zeros(())
    count = 0
    for kind in dict.fromkeys(e.kind for e in batch):
        group = [e for e in batch if e.kind == kind]
        rows = [(encoder.prompt(e), encoder.answer(e)) for e in group]
        width = max(len(p) + len(a) for p, a in rows)
        input_ids = torch.full((len(group), width), encoder.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(input_ids)
        targets = torch.full_like(input_ids, -100)
        for row, (prompt, answer) in enumerate(rows):
            ids = prompt + answer
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
            targets[row, len(prompt): len(ids)] = torch.tensor(answer)
        logits = model(input_ids=input_ids, attention_mask=mask, pixel_values=pixels_of(group)).logits
        total = total + F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), targets[:, 1:].reshape(-1),
                                        ignore_index=-100, reduction="sum")
        count += sum(len(a) for _, a in rows)
    return total / count


def tokenizer_corpus(seed: int, size: int = 3000) -> list[str]:
    rng = random.Random(f"shapes-bench-tokenizer-{seed}")
    texts = []
    for _ in range(size):
        example = draw_example(rng.choice([k for k, _ in MIXTURE]), rng)
        texts.append(chat_prompt(0, example.text) + " " + example.answer)
    return texts


def train_llava_multi(train_split: Any, recipe: LlavaMultiRecipe, out: Path | None = None,
                      stop_after: int | None = None) -> tuple[Any, Any, dict]:
    """Fine-tune ``shapes-llava`` (``recipe.init_from``) on the mixture; save the checkpoint and the
    processor (its tokenizer, this module's chat template) to ``out`` when given.

    ``train_split`` (the suite's train split, the other trainers' input) is not used: the examples
    are drawn from the scene generators (seeds ``shapes-bench-train-<seed>``)."""
    from transformers import AutoTokenizer, LlavaForConditionalGeneration

    if not recipe.init_from:
        raise ValueError("shapes-llava-multi starts from shapes-llava: set init_from")
    seed_everything(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(recipe.init_from)
    model = LlavaForConditionalGeneration.from_pretrained(recipe.init_from).train()
    if not recipe.train_tower:
        for parameter in model.model.vision_tower.parameters():
            parameter.requires_grad_(False)  # the CLIP tower of shapes-llava (shapes-clip-stage1's) stays frozen
    encoder = Encoder(tokenizer)
    rng = random.Random(f"shapes-bench-train-{recipe.seed}")

    def step_loss(step: int, progress: float) -> tuple[torch.Tensor, dict[str, float]]:
        return batch_loss(model, encoder, draw_batch(rng, recipe.batch, recipe.mixture, recipe.reasoned_yes_no)), {}

    parameters = [p for p in model.parameters() if p.requires_grad]
    info = train(parameters, step_loss, Schedule(recipe.steps, recipe.lr), "llava-multi", stop_after)
    processor = processor_for(tokenizer)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        model.eval().save_pretrained(out)
        processor.save_pretrained(out)
    return model.eval(), processor, info


def validation_set(size_per_kind: int = 100, seed: str = "val") -> list[Example]:
    """Examples of every kind in the reference prompt (seeds of their own: ``shapes-bench-<seed>``)."""
    rng = random.Random(f"shapes-bench-{seed}")
    examples = []
    for kind, _ in MIXTURE:
        if kind == "describe":
            continue
        for _ in range(size_per_kind):
            example = draw_example(kind, rng)
            examples.append(example)
    return examples


@torch.inference_mode()
def greedy_answers(model: Any, tokenizer: Any, examples: list[Example], max_new_tokens: int = 28,
                   batch: int = 50) -> list[str]:
    """Greedy answers, left-padded batches (the quick in-training evaluation; official: ``mmbench run``)."""
    encoder = Encoder(tokenizer)
    answers: list[str] = []
    for start in range(0, len(examples), batch):
        chunk = examples[start: start + batch]
        prompts = [encoder.prompt(e) for e in chunk]
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(chunk), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(input_ids)
        for row, ids in enumerate(prompts):
            input_ids[row, width - len(ids):] = torch.tensor(ids)
            mask[row, width - len(ids):] = 1
        output = model.generate(input_ids=input_ids, attention_mask=mask, pixel_values=pixels_of(chunk),
                                max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        answers += [t.strip() for t in tokenizer.batch_decode(output[:, width:], skip_special_tokens=True)]
    return answers


def quick_scores(model: Any, tokenizer: Any, examples: list[Example]) -> dict[str, float]:
    """Exact-match rate per kind (option texts for mc and pair, chart values and colours; yes/no as POPE reads it)."""
    from mmbench.metrics.yes_no import pope_reading

    answers = greedy_answers(model, tokenizer, examples)
    scores: dict[str, list[float]] = {}
    for example, answer in zip(examples, answers):
        if example.kind == "yes_no":  # read as POPE's evaluate.py reads an answer
            right = pope_reading(answer) == pope_reading(example.answer)
        else:
            right = answer.strip().lower() == example.answer.lower()
        scores.setdefault(example.kind, []).append(float(right))
    return {f"{kind}_exact": sum(v) / len(v) for kind, v in scores.items()}
