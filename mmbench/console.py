"""What the model-running commands let third-party libraries print.

stdout carries only the results table (or ``--json``); notes go to stderr once. Progress bars of
transformers ("Loading weights"), huggingface_hub (downloads) and datasets appear only with
``--progress``; their warnings stay on.
"""

from __future__ import annotations

import os
import sys


def quiet_library_progress(progress: bool | None) -> None:
    """Turn off third-party progress bars unless ``--progress`` was given."""
    if progress:
        return
    # read by huggingface_hub (and through it by transformers) and by datasets when first imported
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    if "datasets" in sys.modules:
        import datasets

        datasets.disable_progress_bars()
