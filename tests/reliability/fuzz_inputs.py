"""Generators for the reader fuzzing: CoNLL documents (clean, re-laid-out and corrupted), JSON
Lines objects, text in random encodings, and the oracle every outcome must pass.

Structured inputs are built by plain functions from one `random.Random`, and Hypothesis draws
only its seed (`seeded(fn)`): drawing every token and tag through Hypothesis costs ~20 ms an
example, which 10,000 examples cannot afford. The falsifying example Hypothesis prints is still
the exact file content, because the test receives the bytes.

A document is a list of sentences of (token, tag) pairs; `render_conll` writes it with a
`Layout` (separator, line ends, BOM, trailing blanks) so the same words can be written many ways.
"""

from __future__ import annotations

import json
import os
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from engine.data.readers.conll import DOCSTART
from engine.data.tokens import normalise_token
from engine.data.types import Corpus, DataError

T = TypeVar("T")
# LAB_FUZZ_SCALE=0.1 for a quick local pass; 1 (the default) is the CI budget.
SCALE = float(os.environ.get("LAB_FUZZ_SCALE", "1"))
Doc = list[list[tuple[str, str]]]

TYPES = ("PER", "LOC", "ORG", "MISC", "corporation", "GPE-x", "Ö")
SCHEMES = ("IOB2", "IOB2", "IOB1", "IOBES", "BILOU", "IO")
SPECIAL_TOKENS = (
    "\u200b",  # zero-width space alone: a word with no visible character
    "a\u200dB",  # zero-width joiner inside
    "\ufeffword",  # a BOM glued to a token
    "e\u0301",  # decomposed é (NFC changes it)
    "\u3000",  # ideographic space: a whole "word" in some Chinese corpora
    "\xa0",  # no-break space
    "\x00",
    "\u202e",  # right-to-left override
    "\ue000",  # private use
    "O",
    "B-PER",
    "x" * 600,  # longer than any model window
)
ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "latin-1",
    "cp1252",
    "gb18030",
    "shift_jis",
    "koi8-r",
)
ALPHABETS = (
    string.ascii_letters + string.digits + string.punctuation,
    "éüßçñÅØæœ",
    "東京大学北京上海の人",
    "абвгдеж",
    "😀🎉👍🏽",
    "\u200b\u200c\u200d\u2060\u00ad\u202e\ue000\x7f\x85\xa0\u3000\u2028\x01",
    "e\u0301a\u0308",  # combining marks (NFC changes them)
)


def seeded(make: Callable[[random.Random], T]) -> st.SearchStrategy[T]:
    """A strategy whose values `make` builds from one drawn seed."""
    return st.integers(0, 2**32 - 1).map(lambda seed: make(random.Random(seed)))


def token(rng: random.Random) -> str:
    """A token with no column or line separator in it (a clean CoNLL word)."""
    if rng.random() < 0.1:
        return rng.choice(SPECIAL_TOKENS)
    chars = "".join(rng.choice(ALPHABETS) for _ in range(2))
    return "".join(rng.choice(chars) for _ in range(rng.randint(1, 8)))


def entity_tags(rng: random.Random, n_words: int, scheme: str) -> list[str]:
    """Tags for `n_words` words written in `scheme` (IOB1, IOB2, IOBES, BILOU, IO)."""
    tags: list[str] = []
    while len(tags) < n_words:
        if rng.random() < 0.5:
            tags.append("O")
            continue
        length = rng.randint(1, min(3, n_words - len(tags)))
        kind = rng.choice(TYPES)
        tags += [f"{p}-{kind}" if p else kind for p in _prefixes(scheme, length)]
    return tags


def _prefixes(scheme: str, length: int) -> list[str]:
    if scheme == "IO":
        return [""] * length
    if scheme == "IOB1":
        return ["I"] * length
    if scheme in ("IOBES", "BILOU"):
        single, end = ("S", "E") if scheme == "IOBES" else ("U", "L")
        return [single] if length == 1 else ["B"] + ["I"] * (length - 2) + [end]
    return ["B"] + ["I"] * (length - 1)


def document(rng: random.Random, max_sentences: int = 6) -> Doc:
    scheme = rng.choice(SCHEMES)
    doc = []
    for _ in range(rng.randint(0, max_sentences)):
        n = rng.randint(1, 8)
        words = [token(rng) for _ in range(n)]
        doc.append(list(zip(words, entity_tags(rng, n, scheme), strict=True)))
    return doc


@dataclass(frozen=True)
class Layout:
    separator: str = " "
    line_end: str = "\n"
    bom: bool = False
    trailing_blanks: str = ""  # appended to every word line
    end_lines: int = 1  # line ends after the last sentence
    blank_line: str = ""  # what a sentence-separating line holds (wnut17 uses a lone TAB)
    docstart: bool = False
    middle_columns: int = 0  # POS / chunk columns between token and tag


def layout(rng: random.Random) -> Layout:
    return Layout(
        separator=rng.choice([" ", "\t", "  ", " \t ", "\t\t"]),
        line_end=rng.choice(["\n", "\r\n", "\r"]),
        bom=rng.random() < 0.5,
        trailing_blanks=rng.choice(["", " ", "\t", "  \t"]),
        end_lines=rng.randint(0, 3),
        blank_line=rng.choice(["", " ", "\t", " \t "]),
        docstart=rng.random() < 0.3,
        middle_columns=rng.randint(0, 2),
    )


def render_conll(doc: Doc, lay: Layout = Layout()) -> bytes:
    lines: list[str] = []
    if lay.docstart:
        lines += [f"{DOCSTART}{lay.separator}-X-{lay.separator}O", lay.blank_line]
    for index, sentence in enumerate(doc):
        if index:
            lines.append(lay.blank_line)
        middle = lay.separator.join(["NN"] * lay.middle_columns)
        for word, tag in sentence:
            cols = [word, middle, tag] if middle else [word, tag]
            lines.append(lay.separator.join(cols) + lay.trailing_blanks)
    text = lay.line_end.join(lines) + lay.line_end * lay.end_lines
    return ("\ufeff" if lay.bom else "").encode() + text.encode("utf-8")


BAD_TAGS = ("b-per", "B_PER", "o", "0", "-", "3", "B-", "I-", "B-PER,B-LOC", "PER", "X-Y", "ß")


def corrupted_conll(rng: random.Random) -> bytes:
    """A valid document, re-laid-out, then damaged by one to three corruptions."""
    lines = render_conll(document(rng), layout(rng)).decode("utf-8").split("\n")
    for _ in range(rng.randint(1, 3)):
        lines = _corrupt(rng, lines)
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.1:  # now and then the whole file in another encoding
        text = data.decode("utf-8", errors="replace")
        data = text.encode(rng.choice(ENCODINGS), errors="replace")
    return data


def _corrupt(rng: random.Random, lines: list[str]) -> list[str]:
    at = rng.randrange(len(lines)) if lines else 0
    line = lines[at] if lines else ""
    first = line.split()[0] if line.split() else "w"
    kind = rng.randrange(11)
    if kind == 0:  # a missing tag column
        line = first
    elif kind == 1:  # a huge line: one 10^4/10^5-character token, or 10^4 words
        size = rng.choice([10_000, 100_000])
        line = "x" * size + " O" if rng.random() < 0.5 else " ".join(["w"] * (size // 10))
    elif kind == 2:
        line = " ".join(["c"] * rng.randint(3, 5000))
    elif kind == 3:  # zero-width characters around the line
        line = "\u200b\u200c\ufeff" + line + "\u2060"
    elif kind == 4:
        line = f"{first} {rng.choice(BAD_TAGS)}"
    elif kind == 5:  # I- without B-
        line = line.replace("B-", "I-")
    elif kind == 6:  # mixed schemes
        line = line.replace("B-", "S-").replace("I-", "E-")
    elif kind == 7:  # a byte that is not UTF-8
        line = line + "\udcff"
    elif kind == 8:  # the file ends in the middle of a line
        return lines[: at + 1] + ([line[: len(line) // 2]] if line else [])
    elif kind == 9:
        line = "\x00" + line
    else:  # a lone carriage return inside the line
        line = line.replace(" ", "\r", 1)
    return [*lines[:at], line, *lines[at + 1 :]] if lines else [line]


def json_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.15:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 3 and roll < 0.25:
        return {token(rng)[:5]: json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice(
        [
            None,
            True,
            rng.randint(-5, 20),
            rng.randint(-(10**30), 10**30),
            rng.random() * 1e6,
            float("nan"),
            token(rng),
            rng.choice(["O", "B-PER", "I-PER", "S-LOC", "E-LOC", "PER", "b_loc", ""]),
        ]
    )


def jsonl_object(rng: random.Random) -> Any:
    """An object close to {tokens, ner_tags[, labels]}, with random damage now and then."""
    if rng.random() < 0.1:
        return json_value(rng)
    n = rng.randint(0, 6)
    tokens = [token(rng) for _ in range(n)]
    if rng.random() < 0.5:
        tags: list[Any] = entity_tags(rng, n, rng.choice(("IOB2", "IOBES", "IO")))
    else:
        tags = [rng.randint(-1, 6) for _ in range(n)]
    obj: dict[str, Any] = {"tokens": tokens, "ner_tags": tags}
    if rng.random() < 0.5:
        obj["labels"] = rng.choice(
            [["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], [token(rng) for _ in range(3)]]
            + [json_value(rng)]
        )
    for _ in range(rng.randint(0, 2)):
        key = rng.choice(["tokens", "ner_tags", "labels", "label_names", "extra"])
        if rng.random() < 0.5:
            obj.pop(key, None)
        else:
            obj[key] = json_value(rng)
    return obj


def jsonl_file(rng: random.Random) -> bytes:
    objects = [jsonl_object(rng) for _ in range(rng.randint(0, 6))]
    ascii_only = rng.random() < 0.5
    if rng.random() < 0.15:
        text = json.dumps(objects, ensure_ascii=ascii_only)  # one JSON array
    else:
        lines = [json.dumps(o, ensure_ascii=ascii_only) for o in objects]
        for _ in range(rng.randint(0, 2)):  # cut or garble a line
            if lines:
                at = rng.randrange(len(lines))
                cut = rng.randint(0, len(lines[at]))
                lines[at] = lines[at][:cut] + rng.choice(["", "}", "{", "\x00", "]"])
        if rng.random() < 0.15:
            lines.append("[" * rng.choice([10, 5000]))  # too deep for the parser
        text = rng.choice(["\n", "\r\n"]).join(lines)
    bom = "\ufeff" if rng.random() < 0.2 else ""
    return (bom + text).encode("utf-8", errors="replace")


def encoded_text(rng: random.Random) -> bytes:
    """CoNLL-looking text, or any characters, in a random encoding."""
    if rng.random() < 0.5:
        text = render_conll(document(rng), layout(rng)).decode("utf-8")
    else:
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 200)))
        text = text.encode("utf-8", errors="replace").decode("utf-8")  # no lone surrogates
    return text.encode(rng.choice(ENCODINGS), errors="replace")


# --- the oracle ------------------------------------------------------------------------------


def check_outcome(call: Any, path: Path, *, names: tuple[str, ...] = ()) -> Corpus | DataError:
    """`call(path)` must return a sound Corpus or raise DataError naming the file and line.

    `names`: other files an error may name (a sibling labels.txt / labels.json).
    """
    allowed = {str(path), *names}
    try:
        corpus = call(path)
    except DataError as err:
        assert err.problems, "a DataError without problems says nothing"
        for problem in err.problems:
            assert problem.file in allowed, f"{problem} names another file"
            assert isinstance(problem.line, int) and problem.line >= 0, problem
            assert problem.reason.strip(), problem
            assert "Traceback" not in problem.reason
        return err
    check_corpus(corpus, allowed)
    return corpus


def check_corpus(corpus: Corpus, files: set[str]) -> None:
    """Every sentence is clean IOB2: the promises readers keep for anything they return."""
    for problem in corpus.problems:
        assert problem.file in files and problem.line >= 0, problem
    for sentence in corpus.sentences:
        assert sentence.tokens and len(sentence.tokens) == len(sentence.tags)
        assert DOCSTART not in sentence.tokens
        for word in sentence.tokens:
            assert word and normalise_token(word) == word, repr(word)
        previous = "O"
        for tag in sentence.tags:
            assert tag == "O" or tag[:2] in ("B-", "I-") and len(tag) > 2, tag
            if tag.startswith("I-"):
                assert previous != "O" and previous[2:] == tag[2:], (previous, tag)
            previous = tag
