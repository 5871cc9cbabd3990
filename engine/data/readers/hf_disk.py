"""Reader for a dataset saved with `datasets`' `save_to_disk` (a Dataset or a DatasetDict).

    sentences, problems, split_name = read_hf_disk(Path("saved/"), split="validation")

Needs `tokens` and `ner_tags` columns; ids become names through the ClassLabel feature
(Sequence(ClassLabel) / List(ClassLabel)), or the caller's `labels` when there is none. There are
no lines in an Arrow file, so Sentence.line and problem lines are 1-based row numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.data.readers.jsonl import tag_names
from engine.data.readers.source import CappedProblems
from engine.data.types import DataError, Problem, Sentence

# Accepted names for each split, in the order they are tried.
SPLIT_ALIASES = {
    "train": ("train",),
    "validation": ("validation", "dev", "valid"),
    "dev": ("validation", "dev", "valid"),
    "valid": ("validation", "dev", "valid"),
    "test": ("test",),
}


def is_hf_disk_dir(path: Path) -> bool:
    """True for a folder written by Dataset.save_to_disk or DatasetDict.save_to_disk."""
    if not path.is_dir():
        return False
    if (path / "dataset_dict.json").is_file():
        return True
    return (path / "state.json").is_file() or (path / "dataset_info.json").is_file()


def read_hf_disk(
    path: Path, split: str | None = None, labels: list[str] | None = None
) -> tuple[list[Sentence], list[Problem], str | None]:
    """Rows of one split as Sentences; the split name actually used comes back third."""
    name = str(path)
    dataset, split_name = _load_split(path, split)
    missing = [c for c in ("tokens", "ner_tags") if c not in dataset.column_names]
    if missing:
        columns = ", ".join(dataset.column_names)
        reason = f"no column {missing[0]!r} (columns: {columns})"
        raise DataError([Problem(name, 0, reason)])
    names = class_label_names(dataset.features["ner_tags"]) or labels
    problems = CappedProblems(name)
    sentences: list[Sentence] = []
    columns = dataset.select_columns(["tokens", "ner_tags"]).to_dict()
    rows = zip(columns["tokens"], columns["ner_tags"], strict=True)  # columns of one table
    for row, (tokens, tags) in enumerate(rows, start=1):
        result = _row_sentence(tokens, tags, row, names)
        if isinstance(result, str):
            problems.add(row, f"row {row}: {result}")
        elif result.tokens:
            sentences.append(result)
        else:
            problems.add(row, f"row {row}: empty sentence skipped", "warning")
    return sentences, problems.problems(), split_name


def class_label_names(feature: Any) -> list[str] | None:
    """Label names of a Sequence(ClassLabel) / List(ClassLabel) feature, else None."""
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None


def _row_sentence(tokens: Any, tags: Any, row: int, labels: list[str] | None) -> Sentence | str:
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        return "tokens must be a list of strings"
    if not isinstance(tags, list) or len(tags) != len(tokens):
        return f"{len(tokens)} tokens but {len(tags) if isinstance(tags, list) else 0} ner_tags"
    names = tag_names(tags, labels)
    if isinstance(names, str):
        return names
    return Sentence(tuple(tokens), tuple(names), row)


def _load_split(path: Path, split: str | None) -> tuple[Any, str | None]:
    import datasets  # slow to import (pyarrow, fsspec): only when such a folder is read

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # datasets raises many types for a damaged folder
        reason = f"cannot load saved dataset: {exc.__class__.__name__}: {exc}"
        raise DataError([Problem(str(path), 0, reason)]) from exc
    if isinstance(loaded, datasets.Dataset):
        return loaded, split
    return _pick_split(loaded, split, str(path))


def _pick_split(splits: Any, split: str | None, name: str) -> tuple[Any, str]:
    available = list(splits.keys())
    if split is None and len(available) == 1:
        return splits[available[0]], available[0]
    wanted = SPLIT_ALIASES.get(split or "train", (split,))
    for candidate in wanted:
        if candidate in splits:
            return splits[candidate], candidate
    reason = f"no split {split or 'train'!r} (splits: {', '.join(available)})"
    raise DataError([Problem(name, 0, reason)])
