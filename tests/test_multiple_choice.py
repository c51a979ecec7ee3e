"""The multiple-choice benchmarks end to end: miniature copies in their official layouts
(tests/mc_fixtures.py), one `mmbench run` of the mc_core group with the mock model, and
`mmbench score --task` with hand-written prediction files in every answer form. Every expected
value below is computed by hand from the fixture rows and the reference rules
(docs/protocols.md "Multiple choice"), never read off the code's output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from mc_fixtures import MMMU_COLUMNS, write_mc_data, write_mc_hub
from mmbench.cli import main

MC_TASKS = ("mmbench_en_dev", "mmstar", "mmmu_val", "scienceqa_img", "seedbench_img", "ai2d_test", "realworldqa")


@pytest.fixture(scope="module")
def mc_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_mc_data(tmp_path_factory.mktemp("mc_data"))
    write_mc_hub(root)
    return root


# ---- mmbench run, mock model ----------------------------------------------------------------------
# The mock answers colour questions with the square's colour, "how many" with "1", questions that
# start with "is" with "yes", anything else "a <colour> shape" (tests/mc_fixtures.py, mmbench/models/mock.py).
MOCK_EXPECTED = {
    # q1 red: "red" = option text of every copy (right); q2 green, options red/blue: read by no rule
    # (2 rows failed); q3 yellow: "a yellow shape" = an option's text (right); q4 red (right)
    "mmbench_en_dev": {"accuracy_circular": 3 / 4, "accuracy": 3 / 4, "extraction_failed": 2 / 9,
                       "accuracy_color_recognition": 1 / 2, "accuracy_object_localization": 1.0,
                       "accuracy_image_emotion": 1.0, "accuracy_coarse_perception": 2 / 3,
                       "accuracy_fine_grained_perception_single_instance": 1.0,
                       "accuracy_circular_color_recognition": 1 / 2, "accuracy_circular_coarse_perception": 2 / 3},
    # blue (inline options, right); "1" (right); "Is the shape red?" -> "yes" = option A, gold B
    "mmstar": {"accuracy": 2 / 3, "extraction_failed": 0.0, "accuracy_attribute_recognition": 0.0},
    # MMMU's parser: "yes" and "red" are one word: no letter, too short for option text -> unread;
    # the open question: "1" parses to 1.0 = gold "1"
    "mmmu_val": {"accuracy": 1 / 3, "extraction_failed": 2 / 3, "accuracy_accounting": 0.0, "accuracy_art": 1 / 2,
                 "accuracy_business": 0.0, "accuracy_art_design": 1 / 2},
    # p2 (no image) and p3 (train) are left out; p1 "red" (right), p4 "a blue shape" (unread)
    "scienceqa_img": {"accuracy": 1 / 2, "extraction_failed": 1 / 2, "accuracy_natural_science": 1.0},
    # the video question is left out; 101 "green" = C (right); 103 "1" = option A, gold B
    "seedbench_img": {"accuracy": 1 / 2, "extraction_failed": 0.0, "accuracy_scene_understanding": 1.0,
                      "accuracy_instance_counting": 0.0},
    "ai2d_test": {"accuracy": 1 / 2, "extraction_failed": 1 / 2},
    # "blue" -> B (right); free-form "1" = "1" (right); "a white shape" != "circle"
    "realworldqa": {"accuracy": 2 / 3, "extraction_failed": 0.0},
}


@pytest.fixture(scope="module")
def mock_run(mc_root: Path, tmp_path_factory: pytest.TempPathFactory, mmbench_cli) -> tuple[list[dict], Path]:
    out = tmp_path_factory.mktemp("mc_results")
    proc = mmbench_cli("run", "--task", "mc_core", "--model", "mock", "--data-dir", mc_root, "--output-dir", out,
                       "--no-cache", "--json", cache=out / "cache")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), out


def test_mock_run_scores_every_benchmark(mock_run: tuple[list[dict], Path]) -> None:
    results = {r["task"]["name"]: r for r in mock_run[0]}
    for task, expected in MOCK_EXPECTED.items():
        metrics = results[task]["metrics"]
        for name, value in expected.items():
            assert metrics[name] == pytest.approx(value), (task, name)
    mains = [3 / 4, 2 / 3, 1 / 3, 1 / 2, 1 / 2, 1 / 2, 2 / 3]  # accuracy_circular for MMBench, accuracy otherwise
    assert results["mc_core"]["metrics"]["mean"] == pytest.approx(sum(mains) / 7)


def test_mock_run_records_name_the_rule(mock_run: tuple[list[dict], Path]) -> None:
    out = mock_run[1]
    records = [json.loads(line) for line in next(out.glob("mmbench_en_dev__*.samples.jsonl")).read_text().splitlines()]
    by_id = {r["id"]: r for r in records}
    assert [r["id"] for r in records] == ["1", "1000001", "2000001", "2", "1000002", "3", "1000003", "4", "1000004"]
    assert by_id["1000001"]["choice"] == "A" and by_id["1000001"]["extraction_rule"] == "option_text"
    assert by_id["2"]["extraction_rule"] is None and by_id["2"]["extraction_failed"] is True
    assert by_id["1000002"]["circular_group"] == "2"
    mmmu = [json.loads(line) for line in next(out.glob("mmmu_val__*.samples.jsonl")).read_text().splitlines()]
    assert [r["id"] for r in mmmu] == ["validation_Accounting_1", "validation_Art_1", "validation_Art_2"]  # subject order
    assert mmmu[2]["extraction_rule"] == "open"


# ---- mmbench score --task: hand-written predictions in every answer form ------------------------------

def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


MMBENCH_PREDICTIONS = [
    {"id": 1, "prediction": "B"},                                    # letter: right
    {"id": "1000001", "prediction": "(A)"},                          # letter: right (string id)
    {"id": 2000001, "prediction": "The answer is C"},                # letter_token: right
    {"id": 2, "prediction": "Answer: A"},                            # letter_token: right
    {"id": 1000002, "prediction": "<think>It could be A</think>red"},  # think removed, option text "red" = B: right
    {"id": 3, "prediction": "The correct answer is **B**. The yellow shape is in the centre of the image, clearly visible."},
    # answer_is: B (the lone B is too early for the letter rule): right
    {"id": 1000003, "prediction": "The answer is about the yellow shape I think, but I am unsure"},
    # VLMEvalKit's case-insensitive pattern reads "about" as A (the gold here); corrected: unread, wrong
    {"id": 4, "prediction": "Cannot determine the answer"},          # refusal -> Z: wrong
    {"id": 1000004, "prediction": "Z"},                              # letter_z: wrong
]


def score_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, dict]:
    code = main(["score", *map(str, args), "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else {"stderr": captured.err})


def test_score_mmbench_every_answer_form(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", MMBENCH_PREDICTIONS)
    code, metrics = score_json(capsys, "--task", "mmbench_en_dev", "--predictions", predictions, "--data-dir", mc_root)
    assert code == 0, metrics
    # originals 1, 2, 3 right, 4 wrong; groups 1 and 2 wholly right, 3 and 4 not; 1 of 9 rows unread
    assert metrics["accuracy"] == pytest.approx(3 / 4)
    assert metrics["accuracy_circular"] == pytest.approx(2 / 4)
    assert metrics["extraction_failed"] == pytest.approx(1 / 9)
    assert metrics["accuracy_color_recognition"] == 1.0 and metrics["accuracy_image_emotion"] == 0.0
    assert metrics["accuracy_circular_object_localization"] == 0.0 and metrics["accuracy_object_localization"] == 1.0


def test_score_from_the_hub_copies(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--data hf: the hub rows are decoded by the official readers: same ids, options and scores."""
    predictions = write_jsonl(tmp_path / "p.jsonl", MMBENCH_PREDICTIONS)
    code, metrics = score_json(capsys, "--task", "mmbench_en_dev", "--predictions", predictions, "--data-dir", mc_root,
                               "--data", "hf")
    assert code == 0, metrics
    assert metrics["accuracy_circular"] == pytest.approx(2 / 4) and metrics["extraction_failed"] == pytest.approx(1 / 9)
    ai2d = write_jsonl(tmp_path / "a.jsonl", [{"id": 0, "prediction": "D"}, {"id": 1, "prediction": "label 2"}])
    code, metrics = score_json(capsys, "--task", "ai2d_test@hf", "--predictions", ai2d, "--data-dir", mc_root)
    assert code == 0 and metrics == pytest.approx({"accuracy": 1 / 2, "extraction_failed": 0.0})


def test_mmmu_hub_copy_keeps_every_image_in_place(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """MMMU/MMMU as its repository holds it (<Subject>/validation-00000-of-00001.parquet written by
    ``datasets``, image_1 .. image_7 Image columns, null where a question has fewer images):
    ``mmmu_val@hf`` gives the official reader's ids, subjects, options and images in order (the
    two-image open question keeps both, <image 1> first), and scores the same predictions alike."""
    import datasets
    import pandas as pd

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    text = datasets.Value("string")
    features = datasets.Features({**{c: text for c in MMMU_COLUMNS}, **{f"image_{n}": datasets.Image() for n in range(1, 8)}})
    for subject in ("Accounting", "Art"):  # the subjects the miniature fills (the others are empty files)
        table = pd.read_parquet(mc_root / "mmmu" / subject / "validation-00000-of-00001.parquet")
        rows = {c: list(table[c]) for c in MMMU_COLUMNS}
        shard = tmp_path / "hub" / "MMMU" / "MMMU" / subject / "validation-00000-of-00001.parquet"
        shard.parent.mkdir(parents=True)
        datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))

    official = load_split(load_task_spec("mmmu_val").data, mc_root)
    hub = load_split(load_task_spec("mmmu_val@hf").data, tmp_path)
    assert [(s.id, s.texts, s.meta["subject"], s.meta["domain"], s.meta["options"]) for s in hub.samples] == \
        [(s.id, s.texts, s.meta["subject"], s.meta["domain"], s.meta["options"]) for s in official.samples]
    assert [len(s.images) for s in hub.samples] == [1, 1, 2]
    opened = [[image.open(hub.root).tobytes() for image in s.images] for s in hub.samples]
    assert opened == [[image.open(official.root).tobytes() for image in s.images] for s in official.samples]
    assert opened[2][0] != opened[2][1]  # blue then green: <image 1> stays image 1

    predictions = write_jsonl(tmp_path / "p.jsonl", MMMU_PREDICTIONS)
    code, metrics = score_json(capsys, "--task", "mmmu_val@hf", "--predictions", predictions, "--data-dir", tmp_path)
    assert code == 0, metrics
    assert metrics["accuracy"] == pytest.approx(2 / 3) and metrics["extraction_failed"] == pytest.approx(1 / 3)


def test_seedbench_hub_copy_reads_the_first_image_of_each_row_list(mc_root: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-lab/SEED-Bench as the Hub's parquet conversion holds it (default/test/0000.parquet: the
    question file's fields as columns, ``image`` a list: one image for an image question, frames
    for a video one): ``seedbench_img@hf`` drops the video row, takes each image row's list's first
    image, and gives the official reader's ids, answers, options and images; the per-dimension
    accuracies are not computed (the rows carry no dimension names), the overall one is the same."""
    import datasets

    from mmbench.data import load_split
    from mmbench.tasks.spec import load_task_spec

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")  # not the user's cache
    folder = mc_root / "seedbench"
    entries = json.loads((folder / "SEED-Bench.json").read_text())["questions"]
    text = datasets.Value("string")
    fields = ("answer", "choice_a", "choice_b", "choice_c", "choice_d", "data_id", "data_type", "question", "question_id")
    features = datasets.Features({**{c: text for c in fields}, "question_type_id": datasets.Value("int64"),
                                  "image": datasets.Sequence(datasets.Image())})
    frame = {"bytes": (folder / "SEED-Bench-image" / "img_red.jpg").read_bytes(), "path": "frame.jpg"}
    rows: dict[str, list] = {c: [] for c in features}
    for entry in entries:
        for c in fields:
            rows[c].append(str(entry[c]))
        rows["question_type_id"].append(entry["question_type_id"])
        image = folder / "SEED-Bench-image" / entry["data_id"]
        rows["image"].append([{"bytes": image.read_bytes(), "path": entry["data_id"]}] if image.is_file() else [frame] * 3)
    shard = tmp_path / "hub" / "lmms-lab" / "SEED-Bench" / "default" / "test" / "0000.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(shard))

    official = load_split(load_task_spec("seedbench_img").data, mc_root)
    hub = load_split(load_task_spec("seedbench_img@hf").data, tmp_path)
    assert [s.id for s in hub.samples] == ["101", "103"]  # the video question 102 is left out
    assert [(s.id, s.texts, s.meta["question"], s.meta["options"]) for s in hub.samples] == \
        [(s.id, s.texts, s.meta["question"], s.meta["options"]) for s in official.samples]
    assert [s.images[0].open(hub.root).tobytes() for s in hub.samples] == \
        [s.images[0].open(official.root).tobytes() for s in official.samples]

    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": "101", "prediction": "C"}, {"id": "103", "prediction": "A"}])
    code, hub_metrics = score_json(capsys, "--task", "seedbench_img@hf", "--predictions", predictions, "--data-dir", tmp_path)
    assert code == 0, hub_metrics
    code, metrics = score_json(capsys, "--task", "seedbench_img", "--predictions", predictions, "--data-dir", mc_root)
    assert code == 0, metrics
    assert hub_metrics["accuracy"] == metrics["accuracy"] == pytest.approx(1 / 2)  # 101 right (C), 103 wrong (gold B)
    assert not [k for k in hub_metrics if k.startswith("accuracy_")] and [k for k in metrics if k.startswith("accuracy_")]


def test_hub_image_columns_must_name_image_columns(mc_root: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    from mmbench.data import load_split
    from mmbench.errors import DataError
    from mmbench.tasks.spec import load_task_spec

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    shard = tmp_path / "hub" / "MMMU" / "MMMU" / "Art" / "validation-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    datasets.Dataset.from_dict({"id": ["validation_Art_1"], "question": ["q"], "options": ["['a', 'b']"], "answer": ["A"],
                                "question_type": ["multiple-choice"], "image_1": ["not an image"]}).to_parquet(str(shard))
    with pytest.raises(DataError, match=r"data.image_columns names \['image_1'"):
        load_split({**load_task_spec("mmmu_val@hf").data, "image_columns": ["image_1"]}, tmp_path)


def test_score_accepts_a_json_list(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(MMBENCH_PREDICTIONS))
    code, metrics = score_json(capsys, "--task", "mmbench_en_dev", "--predictions", path, "--data-dir", mc_root)
    assert code == 0 and metrics["accuracy_circular"] == pytest.approx(2 / 4)


MMMU_PREDICTIONS = [
    {"id": "validation_Accounting_1", "prediction": "I am not sure"},  # nothing parses (gold A)
    {"id": "validation_Art_1", "prediction": "(A)"},                   # bracket: right
    {"id": "validation_Art_2", "prediction": "The answer is 1."},      # open: key "1" -> 1.0 = gold: right
]


def test_score_mmmu_unparsed_wrong_and_random(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", MMMU_PREDICTIONS)
    code, metrics = score_json(capsys, "--task", "mmmu_val", "--predictions", predictions, "--data-dir", mc_root)
    assert code == 0, metrics
    assert metrics["accuracy"] == pytest.approx(2 / 3) and metrics["extraction_failed"] == pytest.approx(1 / 3)
    assert metrics["accuracy_accounting"] == 0.0 and metrics["accuracy_art_design"] == 1.0
    # MMMU's fallback: random.seed(42) then random.choice(all_choices) for the first unparsed answer
    rng = random.Random()
    rng.seed(42)
    drawn = rng.choice(["A", "B"])
    code, metrics = score_json(capsys, "--task", "mmmu_val", "--predictions", predictions, "--data-dir", mc_root,
                               "--metric-arg", "unparsed=random")
    assert code == 0, metrics
    assert metrics["accuracy"] == pytest.approx((2 + (drawn == "A")) / 3)
    assert metrics["extraction_failed"] == pytest.approx(1 / 3)  # still reported


def test_score_realworldqa_letters_and_free_form(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", [
        {"id": 0, "prediction": "B."},        # letter: right
        {"id": 1, "prediction": " 1. "},       # free form: "1" after strip and trailing '.' removed: right
        {"id": 2, "prediction": "a circle"},   # free form: "a circle" != "circle": wrong
    ])
    code, metrics = score_json(capsys, "--task", "realworldqa", "--predictions", predictions, "--data-dir", mc_root)
    assert code == 0 and metrics == pytest.approx({"accuracy": 2 / 3, "extraction_failed": 0.0})


def test_score_an_old_task_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """score --task on a vqa task (VizWiz layout): the 10-answer accuracy by hand."""
    folder = tmp_path / "vizwiz"
    (folder / "val").mkdir(parents=True)
    answers = [{"answer": "yes", "answer_confidence": "yes"}] * 8 + [{"answer": "no", "answer_confidence": "yes"}] * 2
    (folder / "val.json").write_text(json.dumps([
        {"image": "VizWiz_val_00000000.jpg", "question": "Is it on?", "answers": answers, "answer_type": "yes/no", "answerable": 1},
        {"image": "VizWiz_val_00000001.jpg", "question": "Is it off?", "answers": answers, "answer_type": "yes/no", "answerable": 1},
    ]))
    predictions = write_jsonl(tmp_path / "p.jsonl", [{"id": "VizWiz_val_00000000.jpg", "prediction": "yes"},
                                                     {"id": "VizWiz_val_00000001.jpg", "prediction": "no"}])
    code, metrics = score_json(capsys, "--task", "vizwiz_vqa_val", "--predictions", predictions, "--data-dir", tmp_path)
    assert code == 0, metrics
    # "yes": every leave-one-out subset keeps >= 3 yes -> 1.0; "no": 8 subsets keep 2 no (2/3), 2 keep 1 (1/3) -> 0.6
    assert metrics["accuracy"] == pytest.approx((1.0 + 0.6) / 2)


@pytest.mark.parametrize("rows, args, message", [
    ([{"id": 99, "prediction": "A"}], (), "does not have"),
    ([{"id": 1, "prediction": "A"}, {"id": "1", "prediction": "B"}], (), "duplicate id 1"),
    ([{"id": 1, "prediction": "A"}], (), "have no prediction"),
    (MMBENCH_PREDICTIONS, ("--metric-arg", "unparsed=random"), "needs parser=mmmu"),
    (MMBENCH_PREDICTIONS, ("--metric-arg", "parsr=mmmu"), "did you mean 'parser'"),
    (MMBENCH_PREDICTIONS, ("--metric-arg", "parser=gpt"), "not one of vlmevalkit, mmmu"),
])
def test_score_task_refuses_bad_input(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      rows: list[dict], args: tuple[str, ...], message: str) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", rows)
    code, out = score_json(capsys, "--task", "mmbench_en_dev", "--predictions", predictions, "--data-dir", mc_root, *args)
    assert code == 2
    assert message in out["stderr"] and len(out["stderr"].strip().splitlines()) == 1


def test_score_allow_missing(mc_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", MMBENCH_PREDICTIONS[:3])  # group 1 only, all right
    code = main(["score", "--task", "mmbench_en_dev", "--predictions", str(predictions), "--data-dir", str(mc_root),
                 "--allow-missing", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    metrics = json.loads(captured.out)
    assert metrics["accuracy_circular"] == pytest.approx(1 / 4) and metrics["extraction_failed"] == pytest.approx(6 / 9)
    assert "6 of 9 samples had no prediction" in captured.err


def test_run_refuses_an_unknown_metric_arg_before_loading(mc_root: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--task", "mmstar", "--model", "mock", "--data-dir", str(mc_root), "--no-write", "--no-cache",
                 "--metric-arg", "unparsed=maybe"])
    assert code == 2 and "not one of wrong, random" in capsys.readouterr().err
    from mmbench.tasks.spec import load_task_spec

    task = tmp_path / "bad.yaml"  # a task file's own metrics section is checked as well
    task.write_text(Path(load_task_spec("mmstar").source).read_text().replace("metrics:\n", "metrics:\n  parser: gpt\n"))
    code = main(["run", "--task", str(task), "--model", "mock", "--data-dir", str(mc_root), "--no-write", "--no-cache"])
    assert code == 2 and "metrics.parser must be vlmevalkit or mmmu, not 'gpt'" in capsys.readouterr().err


def test_score_task_is_light(mc_root: Path, tmp_path: Path, mmbench_cli) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", MMBENCH_PREDICTIONS)
    proc = mmbench_cli("score", "--task", "mmbench_en_dev", "--predictions", predictions, "--data-dir", mc_root,
                       cache=tmp_path / "cache", forbid_imports=("torch",))
    assert proc.returncode == 0, proc.stderr
    assert "accuracy_circular" in proc.stdout and "50.00" in proc.stdout


def test_data_path_lists_every_file(mc_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "path", "mmmu_val", "--data-dir", str(mc_root)]) == 0
    out = capsys.readouterr().out
    assert out.count("validation-00000-of-00001.parquet") == 30 and "MISSING" not in out
    assert main(["data", "path", "scienceqa_img", "--data-dir", str(mc_root)]) == 0
    out = capsys.readouterr().out
    assert "problems.json" in out and "pid_splits.json" in out and "images" in out


def test_metric_options_are_recorded_and_compare_refuses_a_mismatch() -> None:
    from mmbench.errors import UserError
    from mmbench.tasks.metric_options import apply_metric_args
    from mmbench.registry import task_types
    from mmbench.report.run_matching import check_protocol
    from mmbench.results import RunResult
    from mmbench.tasks.spec import load_task_spec

    spec = load_task_spec("mmmu_val")
    merged = apply_metric_args(spec, task_types.get(spec.type), {"unparsed": "random"})
    assert merged.metrics["unparsed"] == "random" and merged.metrics["parser"] == "mmmu"
    assert merged.arguments()["metric_args"] == {"unparsed": "random"}
    assert "metric_args" not in spec.arguments()  # recorded only when given

    def run(arguments: dict) -> RunResult:
        task = {"name": "mmmu_val", "type": "multiple_choice", "version": "1", "arguments": arguments,
                "data_fingerprint": "sha256:0", "num_samples": 3}
        return RunResult(task=task, model={"spec": "mock"}, metrics={"accuracy": 0.5}, timing={}, env={}, config={})

    base, cand = run(spec.arguments()), run(merged.arguments())
    with pytest.raises(UserError, match="metric options differ"):
        check_protocol(base, cand, allow=False)
    assert any("metric options differ" in note for note in check_protocol(base, cand, allow=True))
    assert check_protocol(base, run(spec.arguments()), allow=False) == []


def test_mmmu_conversation_interleaves_images_where_the_text_names_them(mc_root: Path) -> None:
    from mmbench.data import load_split
    from mmbench.registry import task_types
    from mmbench.tasks.spec import load_task_spec

    spec = load_task_spec("mmmu_val")
    split = load_split(spec.data, mc_root)
    task = task_types.get(spec.type)(spec, split)
    art_2 = next(s for s in split.samples if s.id == "validation_Art_2")
    assert len(art_2.images) == 2
    [turn] = task.conversation_for(art_2)
    kinds = [part["type"] for part in turn["content"]]
    assert kinds == ["text", "image", "text", "image", "text"]
    assert turn["content"][0]["text"] == "How many shapes are in "
    assert turn["content"][1]["image"] is art_2.images[0] and turn["content"][3]["image"] is art_2.images[1]
    assert turn["content"][4]["text"] == ".\nAnswer the question using a single word or phrase."  # MMMU's open format
    art_1 = next(s for s in split.samples if s.id == "validation_Art_1")
    [turn] = task.conversation_for(art_1)
    text = "".join(part.get("text", "<image>") for part in turn["content"])
    assert text == ("What colour is the shape in <image>?\n(A) red\n(B) blue\n(C) green\n\n"
                    "Answer with the option's letter from the given choices directly.")  # MMMU's llava1.5.yaml format
    mmbench = load_task_spec("mmbench_en_dev")
    task = task_types.get(mmbench.type)(mmbench, load_split(mmbench.data, mc_root))
    [turn] = task.conversation_for(task.samples[3])  # index 2: a hint, then the question, options, instruction
    assert [part["type"] for part in turn["content"]] == ["image", "text"]
    assert turn["content"][1]["text"] == ("Look at the centre.\nWhat colour is the shape?\nA. red\nB. blue\n"
                                          "Answer with the option's letter from the given choices directly.")


def test_reported_rows_as_the_sources_print_them() -> None:
    """docs/reported.md: LLaVA MODEL_ZOO.md (MM-Bench 64.3, SQA 66.8), Qwen2.5-VL README (MMMU 58.6, MMStar 63.9)."""
    from mmbench.report.reference import REPORTED

    rows = {(r.model, r.task): r.metrics for r in REPORTED}
    assert rows[("LLaVA-1.5-7B", "mmbench_en_dev")] == {"accuracy_circular": 0.643}
    assert rows[("LLaVA-1.5-7B", "scienceqa_img")] == {"accuracy": 0.668}
    assert rows[("Qwen2.5-VL-7B", "mmmu_val")] == {"accuracy": 0.586}
    assert rows[("Qwen2.5-VL-7B", "mmstar")] == {"accuracy": 0.639}
    # VLMEvalKit results/*.md: SEEDBench_IMG.md (fef2454) llava_v1.5_7b ExactMatchAcc 65.59,
    # AI2D.md (de438e0) LLaVA-v1.5-7B 54.1, MMMU.md (808a01d) llava_v1.5_7b Overall (Val) 36.1
    assert rows[("LLaVA-1.5-7B", "seedbench_img")] == {"accuracy": 0.6559}
    assert rows[("LLaVA-1.5-7B", "ai2d_test")] == {"accuracy": 0.541}
    assert rows[("LLaVA-1.5-7B", "mmmu_val")] == {"accuracy": 0.361}
    # Qwen2-VL README (00b393f), column Qwen2-VL-7B: MMMU_val 54.1, MMStar 60.7, RealWorldQA 70.1
    assert rows[("Qwen2-VL-7B-Instruct", "mmmu_val")] == {"accuracy": 0.541}
    assert rows[("Qwen2-VL-7B-Instruct", "mmstar")] == {"accuracy": 0.607}
    assert rows[("Qwen2-VL-7B-Instruct", "realworldqa")] == {"accuracy": 0.701}
    # LLaVA MODEL_ZOO.md (19d8945), LLaVA-v1.6 Vicuna-7B: SEED-IMG 70.2, MM-Bench 67.4, SQA 70.1
    assert rows[("LLaVA-1.6 (Vicuna-7B)", "seedbench_img")] == {"accuracy": 0.702}
    assert rows[("LLaVA-1.6 (Vicuna-7B)", "mmbench_en_dev")] == {"accuracy_circular": 0.674}
    assert rows[("LLaVA-1.6 (Vicuna-7B)", "scienceqa_img")] == {"accuracy": 0.701}
    documented = (Path(__file__).resolve().parents[1] / "docs" / "reported.md").read_text()
    assert all(f"`{task}`" in documented for task in MC_TASKS)
    # every row names its source file and commit, and docs/reported.md prints its value as the source does
    for (model, task), value, printed, commit in (
            (("LLaVA-1.5-7B", "seedbench_img"), 0.6559, "65.59", "fef2454"),
            (("LLaVA-1.5-7B", "ai2d_test"), 0.541, "54.1", "de438e0"),
            (("LLaVA-1.5-7B", "mmmu_val"), 0.361, "36.1", "808a01d"),
            (("Qwen2-VL-7B-Instruct", "realworldqa"), 0.701, "70.1", "00b393f"),
            (("LLaVA-1.6 (Vicuna-7B)", "seedbench_img"), 0.702, "70.2", "19d8945")):
        [row] = [r for r in REPORTED if (r.model, r.task) == (model, task)]
        assert commit in row.source and f"| {printed} |" in documented
        assert round(float(printed) / 100, 4) == value
    # InternVL internvl_chat/README.md (3a0f8a8): InternVL-Chat-V1-5 AI2D 80.7, SEEDv1 (image) 76.0,
    # SQA (image) 94.0; InternVL-Chat-V1-2 "MMB (dev/test)" 81.4 / 82.2, the dev half
    for (model, task), metrics, printed in (
            (("InternVL-Chat-V1-5", "ai2d_test"), {"accuracy": 0.807}, "80.7"),
            (("InternVL-Chat-V1-5", "seedbench_img"), {"accuracy": 0.760}, "76.0"),
            (("InternVL-Chat-V1-5", "scienceqa_img"), {"accuracy": 0.940}, "94.0"),
            (("InternVL-Chat-V1-2", "mmbench_en_dev"), {"accuracy_circular": 0.814}, "81.4")):
        [row] = [r for r in REPORTED if (r.model, r.task) == (model, task)]
        assert row.metrics == metrics and "3a0f8a8" in row.source and f"| {printed} |" in documented
    # XTuner's LLaVA-Llama-3-8B README (InternLM/xtuner at 322f3bc), row LLaVA-v1.5-7B, column MMStar: 30.3
    [xtuner] = [r for r in REPORTED if (r.model, r.task) == ("LLaVA-1.5-7B", "mmstar")]
    assert xtuner.metrics == {"accuracy": 0.303} and "322f3bc" in xtuner.source and "XTuner" in xtuner.source
    assert "| 30.3 |" in documented
    # MC tasks still lacking a row for one of the two models are named in the docs, not filled with guesses
    assert ("LLaVA-1.5-7B", "realworldqa") not in rows
    assert "`realworldqa` for LLaVA-1.5-7B" in documented


def test_leaderboard_shows_extraction_failed(mock_run: tuple[list[dict], Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = mock_run[1]
    assert main(["leaderboard", str(out), "--include-partial", "--include-mock", "--no-reported"]) == 0
    table = capsys.readouterr().out
    assert "mmbench_en_dev accuracy_circular" in table
    assert "75.00 (partial 9 / 4329) (extraction_failed 22.22)" in table  # 2 of 9 rows unread


def test_leaderboard_keeps_metric_arg_runs_in_their_own_column(mc_root: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A run scored with --metric-arg never replaces the default run in its column; both carry
    their options in the result (task.arguments.metric_args, config.metric_args)."""
    out = tmp_path / "results"
    base = ["run", "--task", "mmmu_val", "--model", "mock", "--data-dir", str(mc_root), "--output-dir", str(out),
            "--no-cache", "--num-workers", "0"]
    assert main(base) == 0
    assert main([*base, "--metric-arg", "unparsed=random"]) == 0
    capsys.readouterr()
    written = [json.loads(p.read_text()) for p in sorted(out.glob("mmmu_val__*.json"))]
    assert sorted(r["task"]["arguments"].get("metric_args", {}).get("unparsed", "") for r in written) == ["", "random"]
    assert any(r["config"]["metric_args"] == {"unparsed": "random"} for r in written)
    assert main(["leaderboard", str(out), "--include-partial", "--include-mock", "--no-reported"]) == 0
    table = capsys.readouterr().out
    # the mock's two MC answers are unread: wrong by default; drawn by MMMU's generator (A, then A of 3) with random
    rng = random.Random(42)
    draws = [rng.choice(["A", "B"]), rng.choice(["A", "B", "C"])]  # Accounting_1 (gold A), then Art_1 (gold A)
    with_random = (1 + sum(d == "A" for d in draws)) / 3
    assert "mmmu_val accuracy" in table and "mmmu_val [unparsed=random] accuracy" in table
    assert "33.33 (partial 3 / 900) (extraction_failed 66.67)" in table
    assert f"{100 * with_random:.2f} (partial 3 / 900) (extraction_failed 66.67)" in table


def test_score_task_zeroshot_from_predicted_classes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An old type scored from embeddings: score --task takes the predicted class (name or index)."""
    from mc_fixtures import png

    for folder, names in (("blue", ["b1.png", "b2.png", "b3.png"]), ("red", ["r1.png"])):
        (tmp_path / "val" / folder).mkdir(parents=True)
        for name in names:
            (tmp_path / "val" / folder / name).write_bytes(png(folder))
    task = tmp_path / "colours.yaml"
    task.write_text(f"name: colours\ntype: zeroshot\nversion: 1\ndata: {{format: imagenet_folders, dir: {tmp_path}, "
                    f"images: val, templates: ['{{c}}']}}\n")
    predictions = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "blue/b1.png", "prediction": "blue"}, {"id": "blue/b2.png", "prediction": "0"},  # right (name, index)
        {"id": "blue/b3.png", "prediction": "red"}, {"id": "red/r1.png", "prediction": "red"}])
    code, metrics = score_json(capsys, "--task", task, "--predictions", predictions)
    assert code == 0, metrics
    # top-1 3 of 4; per class: blue 2/3, red 1/1 -> mean 5/6; top-5 needs a ranking: not reported
    assert metrics == pytest.approx({"top1": 3 / 4, "mean_per_class_recall": 5 / 6})
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "blue/b1.png", "prediction": "green"}])
    code, out = score_json(capsys, "--task", task, "--predictions", bad, "--allow-missing")
    assert code == 2 and "neither a class name" in out["stderr"]
    some = write_jsonl(tmp_path / "some.jsonl", [{"id": "red/r1.png", "prediction": "1"}])
    code, metrics = score_json(capsys, "--task", task, "--predictions", some, "--allow-missing")
    assert code == 0 and metrics == pytest.approx({"top1": 1 / 4, "mean_per_class_recall": 1 / 2})  # blue 0/3, red 1/1
