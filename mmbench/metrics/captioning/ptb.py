"""PTB tokenisation as pycocoevalcap 1.2 does it (``pycocoevalcap/tokenizer/ptbtokenizer.py``).

Convention: ``java -cp stanford-corenlp-3.4.1.jar edu.stanford.nlp.process.PTBTokenizer
-preserveLines -lowerCase FILE`` over one caption per line, then the tokens in
``PTB_PUNCTUATION`` are dropped (with ``-lowerCase`` brackets come out as ``-lrb-`` and stay).

Differences from the reference wrapper, none of which changes a token of an ordinary caption:
- one Java call tokenises references and predictions together (the reference calls it twice);
- the input file lives in a fresh temporary directory, not inside the installed package, so a
  read-only site-packages works;
- characters the Java lexer treats as line ends (CR, VT, FF, U+2028, U+2029) are replaced by a
  space first: in the reference they shift every later caption onto the wrong image.

Without Java, ``tokenize_in_python`` approximates the lexer (contractions, brackets, numbers,
abbreviations with inner periods, hyphenated words); it agrees on ordinary English captions
but is not guaranteed identical on unusual text.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from mmbench.errors import UserError

from .java import pycocoevalcap_file

PTB_PUNCTUATION = frozenset(
    ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";"]
)
TOKENIZER_JAR = ("tokenizer", "stanford-corenlp-3.4.1.jar")
_JAVA_LINE_ENDS = re.compile("[\n\r\x0b\x0c\u2028\u2029]")
_TIMEOUT_S = 600


def drop_punctuation(tokenized_line: str) -> str:
    """Remove PTB punctuation tokens from one tokenizer output line (split on single spaces)."""
    return " ".join(w for w in tokenized_line.rstrip().split(" ") if w not in PTB_PUNCTUATION)


def ptb_command(java: str, jar: Path, input_file: Path) -> list[str]:
    """The tokenizer command line; the JVM flags only shorten start-up."""
    return [
        java, "-Dfile.encoding=UTF-8", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase", str(input_file),
    ]  # fmt: skip


def tokenize_with_java(captions: Sequence[str], java: str) -> list[str]:
    """Tokenise with the Stanford PTBTokenizer jar of the pycocoevalcap wheel, one Java call."""
    jar = pycocoevalcap_file(*TOKENIZER_JAR)
    if jar is None:
        raise UserError("pycocoevalcap's stanford-corenlp-3.4.1.jar is missing: reinstall pycocoevalcap==1.2")
    with tempfile.TemporaryDirectory(prefix="mmbench-ptb-") as folder:
        input_file = Path(folder) / "captions.txt"
        text = "".join(_JAVA_LINE_ENDS.sub(" ", caption) + "\n" for caption in captions)
        input_file.write_text(text, encoding="utf-8")
        # at lower OS priority: METEOR's Java, started just before, is loading and sets the total time
        completed = subprocess.run(ptb_command(java, jar, input_file), capture_output=True, timeout=_TIMEOUT_S,
                                   preexec_fn=_lower_priority)
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise UserError(f"PTB tokenizer (Java) failed with status {completed.returncode}: {detail[0]}")
    lines = completed.stdout.decode("utf-8").split("\n")
    if len(lines) < len(captions):
        raise UserError(f"PTB tokenizer returned {len(lines)} lines for {len(captions)} captions")
    return [drop_punctuation(line) for line in lines[: len(captions)]]


_BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-", '"': "''"}
_ABBREVIATIONS = (
    "mr|mrs|ms|dr|prof|st|no|jr|sr|inc|corp|co|ltd|vs|etc|mt|ft|ave|blvd|rd|gen|gov|sen|rep|rev|capt|col|lt|sgt"
    "|jan|feb|mar|apr|aug|sep|sept|oct|nov|dec|approx|dept|est|fig|min|max"
)
_TOKEN = re.compile(
    r"""
    <[^\W\d_/][^<>\s]*>            # SGML-like tag, kept whole
    | \b(?:""" + _ABBREVIATIONS + r""")\.   # common abbreviations keep their period: mr. no.
    | \d+(?:[.,:]\d+)+             # numbers with separators: 3.50 1,000 3:45
    | (?:[^\W\d_]\.){2,}           # abbreviations with inner periods: u.s. p.m.
    | \w+?(?=n't\b)                # stem before n't: do|n't, ca|n't
    | n't\b
    | '(?:s|re|ve|ll|d|m)\b        # clitics
    | \w+(?:-\w+)*                 # words and hyphenated words
    | \.\.\. | -- | `` | '' | [?!]{2,}
    | \S                           # any other symbol on its own
    """,
    re.VERBOSE,
)


def tokenize_in_python(captions: Sequence[str]) -> list[str]:
    """Pure-Python approximation of the PTB tokenizer + punctuation removal (no Java)."""
    result = []
    for caption in captions:
        tokens = (_BRACKETS.get(t, t) for t in _TOKEN.findall(caption.lower()))
        result.append(" ".join(t for t in tokens if t not in PTB_PUNCTUATION))
    return result


def tokenize_captions(captions: Sequence[str], java: str | None) -> list[str]:
    """PTB-tokenise captions (lower-cased, punctuation dropped); Java when given, else Python."""
    if java is None:
        return tokenize_in_python(captions)
    return tokenize_with_java(captions, java)


def _lower_priority() -> None:
    """Run in the child before exec: raise its niceness (a no-op where unsupported)."""
    try:
        os.nice(10)
    except (AttributeError, OSError):
        pass
