"""Few-NERD episode files (JSON lines) in and out.

Each line is one episode: {"support": {"word": [[...]], "label": [[...]]}, "query": {...},
"types": [...]}. Few-NERD labels are IO (a type name or "O" per word, no B-/I-); inside the lab
sentences are IOB2, so reading starts an entity at each change of label (two adjacent mentions
of one type merge, as they do in Few-NERD's own evaluation) and writing drops the prefixes.

    episodes = read_episodes("test_5_1.jsonl")
    write_episodes(episodes, "mine.jsonl")
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.data.episodes import Episode
from engine.data.readers.source import read_text
from engine.data.types import DataError, Problem, Sentence


def io_to_iob2(labels: Sequence[str]) -> list[str]:
    """["O", "person", "person", "org"] -> ["O", "B-person", "I-person", "B-org"]."""
    tags: list[str] = []
    previous = "O"
    for label in labels:
        if label == "O":
            tags.append("O")
        else:
            tags.append(f"{'I' if label == previous else 'B'}-{label}")
        previous = label
    return tags


def iob2_to_io(tags: Sequence[str]) -> list[str]:
    return ["O" if t == "O" else t[2:] for t in tags]


def _sentences(part: Any, where: str) -> tuple[Sentence, ...]:
    if not isinstance(part, dict) or not isinstance(part.get("word"), list):
        raise ValueError(f"{where}: expected {{'word': [...], 'label': [...]}}")
    words, labels = part["word"], part.get("label")
    if not isinstance(labels, list) or len(labels) != len(words):
        raise ValueError(f"{where}: 'word' and 'label' need one list per sentence each")
    out = []
    for i, (w, lab) in enumerate(zip(words, labels, strict=True)):
        if not isinstance(w, list) or not isinstance(lab, list) or len(w) != len(lab):
            raise ValueError(f"{where} sentence {i + 1}: words and labels differ in length")
        out.append(Sentence(tuple(str(x) for x in w), tuple(io_to_iob2([str(x) for x in lab]))))
    return tuple(out)


def episode_from_json(obj: Any) -> Episode:
    """One Few-NERD episode object; ValueError names the part that is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("an episode must be a JSON object")
    support = _sentences(obj.get("support"), "support")
    query = _sentences(obj.get("query"), "query")
    types = obj.get("types")
    if types is None:  # older files: the types are whatever the support mentions
        types = sorted({t[2:] for s in support for t in s.tags if t != "O"})
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ValueError("'types' must be a list of type names")
    return Episode(tuple(types), support, query)


def episode_to_json(episode: Episode) -> dict[str, Any]:
    def part(sentences: Iterable[Sentence]) -> dict[str, list[list[str]]]:
        sents = list(sentences)
        return {
            "word": [list(s.tokens) for s in sents],
            "label": [iob2_to_io(s.tags) for s in sents],
        }

    return {
        "support": part(episode.support),
        "query": part(episode.query),
        "types": list(episode.types),
    }


def read_episodes(path: str | Path, limit: int | None = None) -> list[Episode]:
    """Episodes of a Few-NERD JSONL file; a bad line raises DataError with FILE:LINE."""
    path = Path(path)
    episodes: list[Episode] = []
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            episodes.append(episode_from_json(json.loads(line)))
        except (ValueError, json.JSONDecodeError) as err:
            raise DataError(
                [Problem(str(path), number, f"not a Few-NERD episode: {err}")]
            ) from None
        if limit is not None and len(episodes) >= limit:
            break
    if not episodes:
        raise DataError([Problem(str(path), 0, "no episodes in the file")])
    return episodes


def write_episodes(episodes: Iterable[Episode], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for episode in episodes:
            out.write(json.dumps(episode_to_json(episode), ensure_ascii=False) + "\n")
    return path
