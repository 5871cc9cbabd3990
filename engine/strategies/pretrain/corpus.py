"""The documents a masked language model learns from: lists of words, labels ignored.

Sources: `builtin:NAME` (its train split only, so a later fine-tune's dev/test text stays
unseen), a dataset file or folder in any format engine.data.readers reads (tags ignored), or a
plain-text file with one document per line. Chinese, Japanese and Korean characters count as
one word each (as BERT's basic tokenizer does), so whole-word masking works on unsegmented text.

    docs = load_documents("builtin:news")            # [["Alice", "met", ...], ...]
    docs = load_documents("notes.txt", fmt="text")
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.data.readers import inspect_corpus
from engine.data.sources import BUILTIN_PREFIX, hold_out, load_source
from engine.data.types import DataError, Problem

# A tag as the last column of an NER line: O, B-PER, I_LOC, PER-B (IOB2/IOBES/BILOU forms).
_TAG = re.compile(r"^(O|0|[BIESLUM][-_]\S+|\S+[-_][BIESLUM])$")
_CJK = re.compile(
    "([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0002a6df])"
)
SNIFF_LINES = 200

Document = list[str]


def split_words(line: str) -> list[str]:
    """Whitespace words, with every CJK character a word of its own."""
    return [w for w in _CJK.sub(r" \1 ", line).split() if w]


def looks_like_ner(path: Path) -> bool:
    """True when most of the first non-blank lines end in a tag column (CoNLL/TSV data)."""
    lines: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            if raw.strip() and not raw.startswith("-DOCSTART-"):
                lines.append(raw.strip())
            if len(lines) >= SNIFF_LINES:
                break
    if not lines:
        return False
    tagged = sum(1 for s in lines if len(s.split()) >= 2 and _TAG.match(s.split()[-1]))
    return tagged >= 0.9 * len(lines)


def read_text_documents(path: Path) -> list[Document]:
    """One document per non-blank line of a UTF-8 text file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise DataError([Problem(str(path), line, "not UTF-8 text")]) from None
    except OSError as err:
        raise DataError([Problem(str(path), 0, f"cannot read ({err.strerror or err})")]) from None
    return [words for line in text.splitlines() if (words := split_words(line))]


def corpus_format(path: Path, fmt: str) -> str:
    """ "ner" or "text" for a path, resolving "auto"."""
    if fmt != "auto":
        return fmt
    if path.is_dir() or path.suffix.lower() in (".jsonl", ".json"):
        return "ner"
    return "ner" if looks_like_ner(path) else "text"


def load_documents(spec: str, fmt: str = "auto") -> list[Document]:
    """The documents of `spec`; DataError (naming the file) when there are none."""
    if spec.startswith(BUILTIN_PREFIX):
        docs = [list(s.tokens) for s in load_source(spec, "train").sentences]
    else:
        path = Path(spec).expanduser()
        if not path.exists():
            raise DataError([Problem(spec, 0, "no such file or folder")])
        if corpus_format(path, fmt) == "text":
            docs = read_text_documents(path)
        else:  # tags are ignored, so their problems are too: any readable file will do
            docs = [list(s.tokens) for s in inspect_corpus(path, split="train").sentences]
    docs = [d for d in docs if d]
    if not docs:
        raise DataError([Problem(spec, 0, "the corpus has no text to learn from")])
    return docs


def split_held_out(
    docs: list[Document], share: float, seed: int
) -> tuple[list[Document], list[Document]]:
    """(train, held_out): a seeded `share` of the documents held out (at least one if share>0)."""
    if share <= 0:
        return list(docs), []
    return hold_out(docs, share, seed)
