"""Run options shared by run/demo/bench: --model-arg parsing and its interplay with --device/--dtype."""

from __future__ import annotations

import argparse

import pytest

from mmbench.commands.common import add_run_options, run_config
from mmbench.errors import UserError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_run_options(parser)
    return parser.parse_args(list(argv))


def test_model_args_become_a_dict_and_dtype_device_move_to_the_run_config() -> None:
    config = run_config(parse("--dtype", "fp16", "--model-arg", "dtype=bf16", "--model-arg", "device=cuda:1",
                              "--model-arg", "prompt=Q: {prompt} A:", "--model-arg", "revision=abc"))
    assert config.dtype == "bf16" and config.device == "cuda:1"
    assert config.model_args == {"prompt": "Q: {prompt} A:", "revision": "abc"}


def test_flags_are_kept_without_model_args() -> None:
    config = run_config(parse("--device", "cpu", "--batch-size", "3", "--limit", "5", "--on-error", "skip", "--no-write"))
    assert (config.device, config.batch_size, config.limit, config.on_error, config.output_dir) == ("cpu", 3, 5, "skip", None)


@pytest.mark.parametrize("argv, message", [(("--model-arg", "oops"), "expected KEY=VALUE")])
def test_bad_options(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(UserError, match=message):
        run_config(parse(*argv))
