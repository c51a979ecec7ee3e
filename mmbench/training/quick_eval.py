"""Quick in-memory scores used while training (the official numbers come from ``mmbench run``).

- CLIP: zero-shot top-1 and top-5 over the 30 colour-kind classes on the large-shape images, with
  the task's templates (per-template embeddings
  normalised, averaged, re-normalised), and text-to-image R@1 with every caption as a query.
- Generators: exact-match rate of greedy captions against any reference, and VQA accuracy
  (mean over leave-one-out subsets of min(1, matches / 3), answers lower-cased and stripped).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from mmbench.data.shapes_spec import TEMPLATES, ZEROSHOT_CLASSES, ZEROSHOT_SIZE, zeroshot_classname
from mmbench.training.corpus import ShapesSplit, normalise


def _texts(model: Any, tokenizer: Any, texts: list[str]) -> torch.Tensor:
    inputs = tokenizer(texts, padding=True, return_tensors="pt")
    features = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    features = features if hasattr(features, "dim") else features.pooler_output
    return F.normalize(features, dim=-1)


@torch.inference_mode()
def clip_scores(model: Any, tokenizer: Any, split: ShapesSplit) -> dict[str, float]:
    features = model.get_image_features(pixel_values=normalise(split.pixels))
    images = F.normalize(features if hasattr(features, "dim") else features.pooler_output, dim=-1)  # (N, D)
    names = [zeroshot_classname(kind, colour) for kind, colour in ZEROSHOT_CLASSES]
    class_embeds = torch.stack([F.normalize(_texts(model, tokenizer, [t.format(c=c) for t in TEMPLATES]).mean(0), dim=0)
                                for c in names])  # (C, D)
    rows = [i for i, a in enumerate(split.attributes) if a["size"] == ZEROSHOT_SIZE]
    labels = torch.tensor([ZEROSHOT_CLASSES.index((split.attributes[i]["kind"], split.attributes[i]["colour"])) for i in rows])
    ranked = (images[rows] @ class_embeds.t()).topk(5, dim=1).indices  # (N, 5)
    top1 = ranked[:, 0].eq(labels).float().mean().item()
    top5 = ranked.eq(labels[:, None]).any(dim=1).float().mean().item()
    queries = [c for captions in split.captions for c in captions]
    owners = torch.tensor([i for i, captions in enumerate(split.captions) for _ in captions])
    text_embeds = torch.cat([_texts(model, tokenizer, queries[k:k + 256]) for k in range(0, len(queries), 256)])
    r1 = (text_embeds @ images.t()).argmax(dim=1).eq(owners).float().mean().item()
    return {"zeroshot_top1": top1, "zeroshot_top5": top5, "t2i_R@1": r1}


def vqa_accuracy(prediction: str, answers: list[str]) -> float:
    prediction = prediction.strip().lower()
    hits = [a.strip().lower() == prediction for a in answers]
    return sum(min(1.0, (sum(hits) - hit) / 3) for hit in hits) / len(hits)


def caption_exact(captions: list[str], split: ShapesSplit) -> float:
    def norm(text: str) -> str:
        return " ".join(text.lower().replace(".", " ").split())

    return sum(norm(c) in {norm(r) for r in refs} for c, refs in zip(captions, split.captions)) / len(captions)


@torch.inference_mode()
def blip_caption_scores(model: Any, tokenizer: Any, split: ShapesSplit) -> dict[str, float]:
    out = model.generate(pixel_values=normalise(split.pixels), max_new_tokens=20, num_beams=1, do_sample=False)
    captions = [t.strip() for t in tokenizer.batch_decode(out[:, 1:], skip_special_tokens=True)]
    return {"caption_exact": caption_exact(captions, split), "example": captions[0]}  # type: ignore[dict-item]


@torch.inference_mode()
def blip_vqa_scores(model: Any, tokenizer: Any, split: ShapesSplit, limit: int = 600) -> dict[str, float]:
    rows = split.questions[:limit]
    pixels = normalise(split.pixels)
    scores = []
    for start in range(0, len(rows), 100):
        chunk = rows[start:start + 100]
        q = tokenizer([r[1] for r in chunk], padding=True, return_tensors="pt")
        states = model.vision_model(pixel_values=pixels[[r[0] for r in chunk]]).last_hidden_state
        question_states = model.text_encoder(input_ids=q["input_ids"], attention_mask=q["attention_mask"],
                                             encoder_hidden_states=states).last_hidden_state
        start_ids = torch.full((len(chunk), 1), model.decoder_start_token_id)
        cfg = model.config.text_config
        out = model.text_decoder.generate(input_ids=start_ids, eos_token_id=cfg.sep_token_id, pad_token_id=cfg.pad_token_id,
                                          encoder_hidden_states=question_states, encoder_attention_mask=q["attention_mask"],
                                          max_new_tokens=5, do_sample=False)
        answers = tokenizer.batch_decode(out, skip_special_tokens=True)
        scores += [vqa_accuracy(a, r[2]) for a, r in zip(answers, chunk)]
    return {"vqa_accuracy": sum(scores) / len(scores)}


@torch.inference_mode()
def llava_scores(model: Any, processor: Any, split: ShapesSplit, caption_prompt: str, vqa_prompt: str,
                 limit: int = 300) -> dict[str, float]:
    from mmbench.training.llava import chat_prompt

    tokenizer = processor.tokenizer
    tokenizer.padding_side = "left"
    pixels = normalise(split.pixels)

    def generate(index: list[int], prompts: list[str], max_new: int) -> list[str]:
        texts = [chat_prompt(p) for p in prompts]
        patches = (model.config.vision_config.image_size // model.config.vision_config.patch_size) ** 2
        expanded = [t.replace("<image>", "<image>" * patches) for t in texts]  # as the processor expands it
        enc = tokenizer(expanded, padding=True, return_tensors="pt")
        out = model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], pixel_values=pixels[index],
                             max_new_tokens=max_new, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        return [t.strip() for t in tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)]

    images = list(range(min(limit, len(split.captions))))
    captions = []
    for k in range(0, len(images), 50):
        captions += generate(images[k:k + 50], [caption_prompt] * len(images[k:k + 50]), 20)
    sub = ShapesSplit(split.image_ids[: len(images)], split.pixels[: len(images)], split.attributes[: len(images)],
                      split.captions[: len(images)], [])
    rows = split.questions[:limit]
    answers = []
    for k in range(0, len(rows), 50):
        chunk = rows[k:k + 50]
        answers += generate([r[0] for r in chunk], [vqa_prompt.format(question=r[1]) for r in chunk], 5)
    return {"caption_exact": caption_exact(captions, sub),
            "vqa_accuracy": sum(vqa_accuracy(a, r[2]) for a, r in zip(answers, rows)) / len(rows)}
