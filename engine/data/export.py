"""A lab dataset written out in another format, so data imported in one format leaves in another.

    python -m engine export --dataset my-news --format labelstudio my-news.json
    sentences = dataset_sentences("my-news")                # as training reads it
    text = render_sentences(sentences, "conll")

The dataset is an imported dataset's name, `builtin:NAME` (or a built-in corpus's bare name,
with `split`), or a data file's path. Formats (EXPORT_FORMATS): conll (TOKEN<TAB>TAG), labelstudio
(annotated tasks, engine.data.writers.sentences_to_labelstudio), jsonl (tokens + ner_tags),
doccano (text + [start, end, type]) and spacy (span JSONL with the dataset's own tokens). Each
is what engine.data.readers reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.data.builtin import BUILTIN_CORPORA, load_builtin
from engine.data.char_spans import detokenize, tag_ranges, tags_to_entities
from engine.data.readers import read_corpus
from engine.data.types import Sentence
from engine.data.writers import (
    doccano_record,
    jsonl,
    sentences_to_conll,
    sentences_to_labelstudio,
    tasks_json,
)
from engine.data.writers.spans_jsonl import token_dicts
from storage.db import read_session
from storage.queries import list_datasets

EXPORT_FORMATS = ("conll", "labelstudio", "jsonl", "doccano", "spacy")
BUILTIN_PREFIX = "builtin:"
_BY_SUFFIX = {".json": "labelstudio", ".jsonl": "jsonl", ".conll": "conll", ".txt": "conll"}


def format_for(out: str | Path, fmt: str | None) -> str:
    """The export format: `fmt`, else one the output name implies (.json -> labelstudio)."""
    if fmt is None:
        return _BY_SUFFIX.get(Path(out).suffix.lower(), "conll")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(_unknown(fmt))
    return fmt


def dataset_sentences(dataset: str, split: str = "train") -> list[Sentence]:
    """The sentences of a dataset, as a run's training reads them."""
    with read_session() as s:
        imported = {d.name: d.path for d in list_datasets(s) if d.path}
    if dataset in imported:
        return read_corpus(imported[dataset]).sentences
    name = dataset.removeprefix(BUILTIN_PREFIX)
    if dataset.startswith(BUILTIN_PREFIX) or (name in BUILTIN_CORPORA and not Path(name).exists()):
        if name not in BUILTIN_CORPORA:
            raise ValueError(f"unknown built-in corpus {name!r}")
        return load_builtin(name, split)
    if Path(dataset).exists():
        return read_corpus(dataset, split=split if Path(dataset).is_dir() else None).sentences
    known = ", ".join(sorted(imported)) or "none imported yet"
    raise ValueError(f"no dataset {dataset!r} (imported datasets: {known}; or builtin:NAME)")


def render_sentences(sentences: Sequence[Sentence], fmt: str) -> str:
    """The sentences as one file in `fmt` (one of EXPORT_FORMATS)."""
    if fmt == "conll":
        return sentences_to_conll(sentences)
    if fmt == "labelstudio":
        return tasks_json(sentences_to_labelstudio(sentences))
    if fmt == "jsonl":
        return jsonl({"tokens": list(s.tokens), "ner_tags": list(s.tags)} for s in sentences)
    if fmt == "doccano":
        return jsonl(_doccano(s) for s in sentences)
    if fmt == "spacy":
        return jsonl(_spans(s) for s in sentences)
    raise ValueError(_unknown(fmt))


def export_dataset(
    dataset: str, out: str | Path, fmt: str | None = None, split: str = "train"
) -> tuple[int, str]:
    """Write `dataset` to `out`; (sentences written, the format used)."""
    chosen = format_for(out, fmt)
    sentences = dataset_sentences(dataset, split)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text(render_sentences(sentences, chosen), encoding="utf-8")
    partial.replace(target)
    return len(sentences), chosen


def _doccano(sentence: Sentence) -> dict[str, Any]:
    text, tokens = detokenize(sentence.tokens)
    return doccano_record(text, tags_to_entities(tokens, sentence.tags))


def _spans(sentence: Sentence) -> dict[str, Any]:
    text, tokens = detokenize(sentence.tokens)
    spans = [
        {
            "start": tokens[first].start,
            "end": tokens[stop - 1].end,
            "token_start": first,
            "token_end": stop - 1,
            "label": kind,
        }
        for kind, first, stop in tag_ranges(sentence.tags)
    ]
    return {"text": text, "tokens": token_dicts(text, tokens), "spans": spans}


def _unknown(fmt: str) -> str:
    return f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
