#!/usr/bin/env bash
# Run the hf: family tests on a second transformers version (default: the current release, 5.25.0)
# beside the floor that CI pins (constraints-cpu.txt). Not run by CI; benchmark-free (tiny
# checkpoints built from configs, nothing downloaded but the pip packages).
#
#   bash scripts/test_transformers_current.sh                 # transformers 5.25.0
#   TRANSFORMERS_VERSION=5.26.0 bash scripts/test_transformers_current.sh
#   VENV=/tmp/other-venv bash scripts/test_transformers_current.sh -x   # extra arguments go to pytest
#
# It rebuilds a virtual environment that sees this Python's packages (torch and the rest are not
# installed again), installs the chosen transformers with its declared dependencies (5.25 adds
# `kernels`) into it, installs this checkout into it without dependencies (so the tests' `mmbench`
# console script runs this checkout's code with that transformers), and runs the family tests from
# the repository root. The Python that has mmbench's dependencies is $PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VERSION="${TRANSFORMERS_VERSION:-5.25.0}"
VENV="${VENV:-${TMPDIR:-/tmp}/mmbench-transformers-${VERSION}}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

rm -rf "$VENV"
"$PYTHON" -m venv --system-site-packages "$VENV"
"$VENV/bin/python" -m pip install -q "transformers==${VERSION}"
"$VENV/bin/python" -m pip install -q --no-deps -e .
"$VENV/bin/python" - "$VERSION" <<'EOF'
import sys

import mmbench
import transformers

print(f"transformers {transformers.__version__} from {transformers.__file__}; mmbench from {mmbench.__file__}")
if transformers.__version__ != sys.argv[1]:
    sys.exit(f"expected transformers {sys.argv[1]}, the venv imports {transformers.__version__}")
EOF

exec "$VENV/bin/python" -m pytest -q \
  tests/test_hf_chat_families.py tests/test_hf_chat_families_b.py tests/test_hf_dual_encoders.py \
  tests/test_hf_memory.py tests/test_hf_models.py tests/test_hf_cli.py "$@"
