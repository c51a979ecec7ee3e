"""``python -m mmbench``: the CLI, so that ``torchrun ... -m mmbench run`` and
``accelerate launch -m mmbench run`` start one mmbench process per rank."""

from __future__ import annotations

import sys

from mmbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
