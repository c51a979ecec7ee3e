"""SPICE through the jar of the pycocoevalcap wheel (``pycocoevalcap/spice``), when it can run.

SPICE needs ``stanford-corenlp-3.6.0.jar`` and ``stanford-corenlp-3.6.0-models.jar`` in the
wheel's ``spice/lib`` folder (pycocoevalcap downloads them on first use; mmbench never
downloads) and a Java 8 runtime (the jar crashes on newer Java). The Java used is
``$MMBENCH_SPICE_JAVA`` when set, else ``java`` on PATH. Convention as pycocoevalcap: the value
per image is the F-score of the "All" tuple category; the corpus value is the mean over images.
Input and output files live in a temporary directory, never inside the installed package.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from mmbench.jsonio import read_json

from .java import find_java, java_major_version, pycocoevalcap_file

SPICE_JAR = ("spice", "spice-1.0.jar")
CORENLP_JARS = (("spice", "lib", "stanford-corenlp-3.6.0.jar"), ("spice", "lib", "stanford-corenlp-3.6.0-models.jar"))
_TIMEOUT_S = 3600


def spice_java() -> str | None:
    """The Java executable SPICE would use ($MMBENCH_SPICE_JAVA, else java on PATH)."""
    return os.environ.get("MMBENCH_SPICE_JAVA") or find_java()


def spice_unavailable_reason(java: str | None) -> str | None:
    """Why SPICE cannot run here (one line), or None when it can."""
    if pycocoevalcap_file(*SPICE_JAR) is None:
        return "spice-1.0.jar not found in the installed pycocoevalcap"
    missing = [parts[-1] for parts in CORENLP_JARS if pycocoevalcap_file(*parts) is None]
    if missing:
        jars = " and ".join(missing)
        return f"needs {jars} in pycocoevalcap/spice/lib (Stanford CoreNLP 3.6.0; not downloaded by mmbench)"
    if java is None:
        return "needs Java 8, and no `java` was found on PATH (set MMBENCH_SPICE_JAVA to a Java 8 executable)"
    version = java_major_version(java)
    if version != 8:
        return f"needs Java 8, found Java {version}: set MMBENCH_SPICE_JAVA to a Java 8 executable"
    return None


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def parse_spice_output(results: list[dict], image_ids: Sequence[str]) -> tuple[float, list[float]]:
    """(mean over images, per-image "All" F-score in ``image_ids`` order) from SPICE's JSON."""
    by_image = {str(item["image_id"]): _as_float(item["scores"]["All"]["f"]) for item in results}
    per_image = [by_image[str(image_id)] for image_id in image_ids]
    return float(np.mean(np.array(per_image))), per_image


def spice_scores(
    java: str, image_ids: Sequence[str], hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[float, list[float]]:
    """Run SPICE on tokenised captions; call only when ``spice_unavailable_reason`` is None."""
    jar = pycocoevalcap_file(*SPICE_JAR)
    assert jar is not None
    with tempfile.TemporaryDirectory(prefix="mmbench-spice-") as folder:
        input_file, output_file = Path(folder) / "input.json", Path(folder) / "output.json"
        records = [
            {"image_id": image_id, "test": hypothesis, "refs": list(refs)}
            for image_id, hypothesis, refs in zip(image_ids, hypotheses, references)
        ]
        input_file.write_text(json.dumps(records), encoding="utf-8")
        command = [java, "-jar", "-Xmx8G", str(jar), str(input_file), "-out", str(output_file), "-subset", "-silent"]
        subprocess.run(command, cwd=str(jar.parent), check=True, capture_output=True, timeout=_TIMEOUT_S)
        results = read_json(output_file, "SPICE output")
    return parse_spice_output(results, image_ids)
