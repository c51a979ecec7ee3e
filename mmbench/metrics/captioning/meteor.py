"""METEOR 1.5 driven through the jar of the pycocoevalcap wheel (``pycocoevalcap/meteor``).

Convention: ``java -Xmx2G -jar meteor-1.5.jar - - -stdio -l en -norm``. For each image the
process answers a line ``SCORE ||| ref_1 ||| ... ||| ref_k ||| hypothesis`` with a statistics
line. pycocoevalcap then sends ``EVAL ||| stats_1 ||| ... ||| stats_N`` and reads N per-image
scores and the corpus score (computed from aggregate statistics, not the mean of the per-image
scores); mmbench computes those scores from the statistics in Python instead
(:mod:`.meteor_stats`, the jar's formula and order of operations), which saves a round trip
and lets the process go as soon as the last statistics line arrives. As in pycocoevalcap,
``|||`` is removed from the hypothesis and double spaces are collapsed once; references go in
unchanged.

The process is started by ``MeteorProcess.start()`` before anything else, so its ~10 s of
start-up and paraphrase-table loading overlaps tokenisation and the Python metrics. Requests
are pipelined (a writer thread feeds all SCORE lines while the caller reads), instead of one
round trip per image. The extra JVM flags (UTF-8 I/O, heap sizing, serial GC) change memory and
start-up cost, not results.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Sequence

from mmbench.errors import UserError

from .java import pycocoevalcap_file
from .meteor_stats import SegmentStats, aggregate, meteor_score

METEOR_JAR = ("meteor", "meteor-1.5.jar")
_log = logging.getLogger(__name__)
# pycocoevalcap's own heap setting with the default (parallel) collector: measured fastest on 2 cores
# (16.8 s for 5000 x 5 against 18.2 s with a serial collector and a fixed young generation).
JVM_FLAGS = ("-Dfile.encoding=UTF-8", "-Xmx2G")


@dataclass(frozen=True)
class MeteorResult:
    """Corpus METEOR (the jar's aggregate score) and per-image scores in input order."""

    corpus: float
    per_image: list[float]


def score_request(hypothesis: str, references: Sequence[str]) -> str:
    """One SCORE line (without newline), formatted as pycocoevalcap formats it."""
    cleaned = hypothesis.replace("|||", "").replace("  ", " ")
    return " ||| ".join(("SCORE", " ||| ".join(references), cleaned))


class MeteorProcess:
    """A running ``meteor-1.5.jar -stdio`` process; use as a context manager or call close()."""

    def __init__(self, process: subprocess.Popen[bytes], stderr_file: IO[bytes]) -> None:
        self._process = process
        self._stderr_file = stderr_file

    @classmethod
    def start(cls, java: str) -> "MeteorProcess":
        """Launch the jar now (it loads for ~10 s in the background)."""
        jar = pycocoevalcap_file(*METEOR_JAR)
        if jar is None:
            raise UserError("pycocoevalcap's meteor-1.5.jar is missing: reinstall pycocoevalcap==1.2")
        stderr_file = tempfile.TemporaryFile(prefix="mmbench-meteor-")
        command = [java, *JVM_FLAGS, "-jar", str(jar), "-", "-", "-stdio", "-l", "en", "-norm"]
        process = subprocess.Popen(
            command, cwd=str(jar.parent), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file
        )
        return cls(process, stderr_file)

    def __enter__(self) -> "MeteorProcess":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> MeteorResult:
        """Score tokenised hypotheses against tokenised references, one image per position."""
        segments = [SegmentStats.parse(line) for line in self.statistics(hypotheses, references)]
        return MeteorResult(meteor_score(aggregate(segments)), [meteor_score(s) for s in segments])

    def statistics(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> list[str]:
        """The jar's statistics line for each image, in input order."""
        requests = "".join(score_request(h, refs) + "\n" for h, refs in zip(hypotheses, references))
        lines = self._exchange(requests.encode("utf-8"), len(hypotheses))
        _log.debug("METEOR statistics received for %d images", len(lines))
        return lines

    def jar_evaluation(self, statistics: Sequence[str]) -> MeteorResult:
        """The jar's own ``EVAL`` of statistics lines: the reference the Python formula is tested against."""
        evaluation = "EVAL" + "".join(" ||| " + s for s in statistics) + "\n"
        scores = self._exchange(evaluation.encode("utf-8"), len(statistics) + 1)
        return MeteorResult(float(scores[-1]), [float(s) for s in scores[:-1]])

    def _exchange(self, payload: bytes, num_lines: int) -> list[str]:
        """Write payload from a helper thread while reading ``num_lines`` answer lines."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        write_error: list[BaseException] = []

        def write() -> None:
            try:
                stdin.write(payload)
                stdin.flush()
            except OSError as error:  # the process died; reported by the reading side
                write_error.append(error)

        writer = threading.Thread(target=write, name="meteor-writer", daemon=True)
        writer.start()
        lines = []
        for _ in range(num_lines):
            line = stdout.readline()
            if not line:
                writer.join(timeout=5)
                cause = f" (writing failed: {write_error[0]})" if write_error else ""
                raise RuntimeError(f"METEOR process ended early: {self._stderr_tail()}{cause}")
            lines.append(line.decode("utf-8").strip())
        writer.join()
        return lines

    def _stderr_tail(self) -> str:
        self._stderr_file.seek(0)
        text = self._stderr_file.read().decode("utf-8", "replace").strip()
        return text.splitlines()[-1] if text else f"exit status {self._process.poll()}"

    def close(self) -> None:
        """Stop the process and release its pipes."""
        process = self._process
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._stderr_file.close()
