"""Caption-metric speed: mmbench's score_captions against pycocoevalcap 1.2, same input, one run.

Generates N images x 5 references of deterministic synthetic captions (a realistic COCO-like
vocabulary, casing, punctuation, numbers), then times, in this process, pairs of:
  * pycocoevalcap: PTBTokenizer on references and predictions, then Bleu(4), Meteor(), Rouge(),
    Cider() called one by one (what COCOEvalCap.evaluate does, without SPICE);
  * mmbench.metrics.captioning.score_captions on the same input (SPICE excluded).
The order alternates from pair to pair (pycocoevalcap first in pairs 1, 3, ...; mmbench first in
pairs 2, 4, ...), so neither side always gets the warm file cache or the quieter moment. Checks
the values agree (BLEU/ROUGE-L/CIDEr to 1e-9, METEOR to 1e-6), prints each pair's times and
ratio, then the median ratio over the pairs.
Usage: python benchmarks/caption_metrics.py [--images 5000] [--pairs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import statistics
import time

SUBJECTS = "man woman person boy girl child dog cat horse cow sheep bird elephant giraffe zebra bear train bus truck car motorcycle bicycle airplane boat surfer skier skateboarder player pizza sandwich cake plate bowl vase clock laptop kitchen bathroom bedroom table couch bed toilet sink refrigerator umbrella kite frisbee".split()
ADJECTIVES = "red blue green yellow white black brown large small young old tall little wooden empty busy open snowy sunny grassy crowded colorful metal".split()
VERBS = "sitting standing riding holding eating walking playing flying looking carrying parked laying jumping driving watching throwing".split()
PLACES = "on a table|in a field|on the beach|at the park|down a street|in the snow|near a building|on a plate|in a kitchen|on the grass|in the water|next to a fence|under a tree|on a track|at an airport|in front of a store".split("|")
EXTRAS = ["", "", "", " with two friends", " at 3:45 p.m.", " -- it's sunny", " (outside)", " & a dog", ", isn't it?", " in the U.S.", " near caf\u00e9 No. 5", " on 1,000 acres"]
ARTICLES = ["a", "the", "one", "two", "some", "an old"]


def _caption(rng: random.Random, subject: str, place: str) -> str:
    adjective = rng.choice(ADJECTIVES)
    other = rng.choice(SUBJECTS) if rng.random() < 0.3 else ""
    text = f"{rng.choice(ARTICLES)} {adjective} {subject} {rng.choice(VERBS)} {place}"
    if other:
        text += f" with a {other}"
    text += rng.choice(EXTRAS)
    text = text[0].upper() + text[1:] if rng.random() < 0.7 else text
    return text + rng.choice([".", ".", "", "!", " ."])


def synthetic_set(num_images: int, refs_per_image: int = 5, seed: int = 0) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Deterministic (predictions, references) keyed by string image id."""
    rng = random.Random(seed)
    predictions: dict[str, str] = {}
    references: dict[str, list[str]] = {}
    for index in range(num_images):
        image_id = str(100000 + index * 7)
        subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
        references[image_id] = [_caption(rng, subject, place) for _ in range(refs_per_image)]
        predictions[image_id] = _caption(rng, subject if rng.random() < 0.8 else rng.choice(SUBJECTS), place)
    return predictions, references


def run_pycocoevalcap(predictions: dict[str, str], references: dict[str, list[str]]) -> dict[str, float]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize({i: [{"caption": c} for c in refs] for i, refs in references.items()})
    res = tokenizer.tokenize({i: [{"caption": predictions[i]}] for i in references})
    values: dict[str, float] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        bleu, _ = Bleu(4).compute_score(gts, res)
    values.update({f"Bleu_{k + 1}": v for k, v in enumerate(bleu)})
    meteor = Meteor()
    values["METEOR"], _ = meteor.compute_score(gts, res)
    del meteor
    values["ROUGE_L"], _ = Rouge().compute_score(gts, res)
    values["CIDEr"], _ = Cider().compute_score(gts, res)
    return {k: float(v) for k, v in values.items()}


def run_mmbench(predictions: dict[str, str], references: dict[str, list[str]]) -> dict[str, float]:
    from mmbench.metrics.captioning import score_captions

    names = ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"]
    return score_captions(predictions, references, metrics=names).metrics


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Java processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function, *args):  # type: ignore[no-untyped-def]
    """(result, wall seconds, CPU seconds including child processes)."""
    start, start_cpu = time.perf_counter(), _cpu_seconds()
    result = function(*args)
    return result, time.perf_counter() - start, _cpu_seconds() - start_cpu


def check_equal(expected: dict[str, float], actual: dict[str, float]) -> float:
    """Largest |difference|; fails when a value differs beyond its tolerance."""
    for name, value in expected.items():
        tolerance = 1e-6 if name == "METEOR" else 1e-9
        assert abs(actual[name] - value) <= tolerance, f"{name}: mmbench {actual[name]!r} vs pycocoevalcap {value!r}"
    return max(abs(actual[n] - v) for n, v in expected.items())


def timed_pair(predictions: dict[str, str], references: dict[str, list[str]], mmbench_first: bool) -> dict[str, float]:
    """Both implementations once, in the given order: wall and CPU seconds, worst difference."""
    order = [("mmbench", run_mmbench), ("pycocoevalcap", run_pycocoevalcap)]
    if not mmbench_first:
        order.reverse()
    outcome: dict[str, object] = {}
    for name, function in order:
        outcome[name] = timed(function, predictions, references)
    (expected, reference_s, reference_cpu) = outcome["pycocoevalcap"]  # type: ignore[misc]
    (actual, mmbench_s, mmbench_cpu) = outcome["mmbench"]  # type: ignore[misc]
    return {"pycocoevalcap_s": reference_s, "mmbench_s": mmbench_s, "ratio": mmbench_s / reference_s,
            "pycocoevalcap_cpu_s": reference_cpu, "mmbench_cpu_s": mmbench_cpu,
            "max_diff": check_equal(expected, actual), "metrics": actual}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=3, help="timed pairs, alternating which side runs first (default: 3)")
    args = parser.parse_args()
    predictions, references = synthetic_set(args.images)
    print(f"{args.images} images x 5 references, {sum(map(len, references.values()))} reference captions")
    ratios = []
    for index in range(args.pairs):
        mmbench_first = index % 2 == 1
        pair = timed_pair(predictions, references, mmbench_first)
        ratios.append(pair["ratio"])
        first = "mmbench" if mmbench_first else "pycocoevalcap"
        print(f"pair {index + 1} ({first} first): pycocoevalcap {pair['pycocoevalcap_s']:.2f} s, mmbench {pair['mmbench_s']:.2f} s, "
              f"ratio {pair['ratio']:.3f}  (values equal, max |diff| {pair['max_diff']:.1e}); "
              f"CPU incl. Java: {pair['pycocoevalcap_cpu_s']:.1f} s vs {pair['mmbench_cpu_s']:.1f} s; "
              f"load average {os.getloadavg()[0]:.1f}")
    print("  " + "  ".join(f"{k}={v:.6f}" for k, v in pair["metrics"].items()))  # type: ignore[union-attr]
    print(f"median ratio mmbench / pycocoevalcap over {len(ratios)} alternating pairs: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
