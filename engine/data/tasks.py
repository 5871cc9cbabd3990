"""Task streams for continual learning: one dataset split by entity type, or one dataset per task.

Class-incremental (`by: types`): the entity types are split into tasks (an explicit order, one
type per task, or FG-a-PG-b: a types first, then b per task). Each training sentence goes to one
task (greedy: a task whose types the sentence contains, the smallest such task first). In task t
the data is annotated only for task t's types; every other entity becomes O, the "background
shift" of real annotation streams (`fully_labelled` keeps earlier tasks' types). Every task is
tested on the whole test set, scored on its own types only.

Domain-incremental (`by: datasets`): each task is one dataset with its own train/dev/test.

    stream = build_stream(cfg.strategy.tasks, cfg.data, seed=cfg.train.seed)
    stream.tasks[1].train, stream.tasks[1].score_types, stream.types_until(1)
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import ConfigError, DataConfig, DomainData, TaskStreamConfig
from engine.data.sources import BUILTIN_PREFIX, hold_out, load_source, load_splits
from engine.data.types import Corpus, DataError, Problem, Sentence


@dataclass(frozen=True)
class Task:
    index: int
    name: str
    types: tuple[str, ...]  # the entity types this task teaches; its test data is scored on these
    labelled: tuple[str, ...]  # the types annotated in its train/dev data
    train: list[Sentence]  # as annotated in this task (background shift applied)
    train_gold: list[Sentence]  # the same sentences with every original entity
    dev: list[Sentence]  # annotated like `train`
    test: list[Sentence]  # gold test data (shared by all tasks of a class-incremental stream)


@dataclass
class TaskStream:
    by: str  # "types" | "datasets"
    tasks: list[Task]
    notes: list[str] = field(default_factory=list)
    # by types: the data's whole dev split, every type labelled (each task's dev hides the
    # types it does not teach); empty for a stream of datasets
    dev: list[Sentence] = field(default_factory=list)

    def types_until(self, t: int) -> list[str]:
        """Entity types of tasks 0..t, in the order they arrive."""
        return list(dict.fromkeys(x for task in self.tasks[: t + 1] for x in task.types))

    @property
    def all_types(self) -> list[str]:
        return self.types_until(len(self.tasks) - 1)

    def summary(self) -> list[dict[str, object]]:
        return [
            {"name": t.name, "types": list(t.types), "train": len(t.train), "test": len(t.test)}
            for t in self.tasks
        ]


def sentence_types(sentence: Sentence) -> set[str]:
    return {tag[2:] for tag in sentence.tags if tag != "O"}


def keep_types(sentence: Sentence, types: Iterable[str]) -> Sentence:
    """The sentence with every entity of a type not in `types` turned into O."""
    keep = set(types)
    tags = tuple(tag if tag == "O" or tag[2:] in keep else "O" for tag in sentence.tags)
    return sentence if tags == sentence.tags else Sentence(sentence.tokens, tags, sentence.line)


def plan_type_tasks(
    types: Sequence[str],
    *,
    order: Sequence[Sequence[str]] | None = None,
    first_types: int | None = None,
    types_per_task: int = 1,
    shuffle_seed: int | None = None,
) -> list[list[str]]:
    """Entity types of each task: `order` as given, else FG-a-PG-b over sorted (or seeded) types.

    Types named in `order` must exist in `types`; types `order` leaves out are never taught.
    """
    if order is not None:
        unknown = sorted({t for task in order for t in task} - set(types))
        if unknown:
            raise ConfigError(
                f"strategy.tasks.order names types the data does not have: {', '.join(unknown)}"
                f" (the data has {', '.join(types)})"
            )
        return [list(task) for task in order]
    pool = sorted(types)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(pool)
    first = first_types if first_types is not None else types_per_task
    if first > len(pool):
        raise ConfigError(f"strategy.tasks.first_types={first} but the data has {len(pool)} types")
    plan = [pool[:first]]
    plan += [pool[i : i + types_per_task] for i in range(first, len(pool), types_per_task)]
    return plan


def assign_to_tasks(
    sentences: Sequence[Sentence], task_types: Sequence[Sequence[str]], seed: int
) -> list[list[int]]:
    """Sentence indices of each task; every sentence in exactly one task.

    In a seeded order, each sentence goes to the task with the fewest sentences so far among
    the tasks whose types it contains (any task if it contains none of the stream's types).
    """
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    owned = [set(types) for types in task_types]
    assigned: list[list[int]] = [[] for _ in task_types]
    for i in order:
        present = sentence_types(sentences[i])
        candidates = [t for t, types in enumerate(owned) if present & types]
        if not candidates:
            candidates = list(range(len(owned)))
        target = min(candidates, key=lambda t: (len(assigned[t]), t))
        assigned[target].append(i)
    return assigned


def class_incremental(
    train: Sequence[Sentence],
    dev: Sequence[Sentence],
    test: Sequence[Sentence],
    task_types: Sequence[Sequence[str]],
    *,
    fully_labelled: bool = False,
    max_train_sentences: int | None = None,
    seed: int = 13,
) -> TaskStream:
    tasks = []
    shared_test = list(test)
    for t, ids in enumerate(assign_to_tasks(train, task_types, seed)):
        ids = ids[:max_train_sentences] if max_train_sentences else ids
        earlier = task_types[:t] if fully_labelled else []
        view = tuple(dict.fromkeys([*(x for task in earlier for x in task), *task_types[t]]))
        gold = [train[i] for i in sorted(ids)]
        if not any(sentence_types(s) & set(task_types[t]) for s in gold):
            reason = f"task {t} ({', '.join(task_types[t])}) got no training sentence of its types"
            raise DataError([Problem("strategy.tasks", 0, reason)])
        tasks.append(
            Task(
                index=t,
                name=f"task {t}: {', '.join(task_types[t])}",
                types=tuple(task_types[t]),
                labelled=view,
                train=[keep_types(s, view) for s in gold],
                train_gold=gold,
                dev=[keep_types(s, view) for s in dev],
                test=shared_test,
            )
        )
    return TaskStream("types", tasks, dev=list(dev))


def _domain_splits(
    spec: str | DomainData, seed: int, notes: list[str]
) -> tuple[str, list[Sentence], list[Sentence], list[Sentence]]:
    if isinstance(spec, DomainData):
        name, train = spec.train, load_source(spec.train, "train").sentences
        test = load_source(spec.test, "test").sentences
        dev_spec = spec.dev
    elif spec.startswith(BUILTIN_PREFIX):
        name, train = spec, load_source(spec, "train").sentences
        return name, train, load_source(spec, "dev").sentences, load_source(spec, "test").sentences
    else:
        folder = Path(spec)
        files = {split: _split_file(folder, split) for split in ("train", "dev", "test")}
        if not folder.is_dir() or files["train"] is None or files["test"] is None:
            reason = "expected builtin:NAME or a folder with train and test files"
            raise DataError([Problem(spec, 0, reason)])
        name, train = folder.name, load_source(str(files["train"]), "train").sentences
        test = load_source(str(files["test"]), "test").sentences
        dev_spec = str(files["dev"]) if files["dev"] else None
    if dev_spec:
        dev = load_source(dev_spec, "dev").sentences
    else:
        train, dev = hold_out(list(train), 0.1, seed)
        notes.append(f"{name}: no dev set given, held out {len(dev)} training sentences")
    return name, list(train), list(dev), list(test)


def _split_file(folder: Path, split: str) -> Path | None:
    prefixes = {"train": ("train",), "dev": ("dev", "valid", "validation"), "test": ("test",)}
    if not folder.is_dir():
        return None
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.stem.lower() in prefixes[split]:
            return path
    return None


def domain_incremental(
    specs: Sequence[str | DomainData], *, max_train_sentences: int | None = None, seed: int = 13
) -> TaskStream:
    notes: list[str] = []
    tasks = []
    for t, spec in enumerate(specs):
        name, train, dev, test = _domain_splits(spec, seed, notes)
        if max_train_sentences:
            train = train[:max_train_sentences]
        types = tuple(Corpus(name, train).entity_types)
        if not types:
            raise DataError([Problem(name, 0, "the training data has no entities to learn")])
        tasks.append(Task(t, f"task {t}: {name}", types, types, train, train, dev, test))
    return TaskStream("datasets", tasks, notes)


def build_stream(cfg: TaskStreamConfig, data: DataConfig, seed: int = 13) -> TaskStream:
    """The run's task stream from `strategy.tasks` (and the `data` section for `by: types`)."""
    if cfg.by == "datasets":
        return domain_incremental(
            cfg.datasets, max_train_sentences=cfg.max_train_sentences, seed=seed
        )
    splits = load_splits(data, seed=seed)
    plan = plan_type_tasks(
        splits.entity_types,
        order=cfg.order,
        first_types=cfg.first_types,
        types_per_task=cfg.types_per_task,
        shuffle_seed=seed if cfg.type_order == "seeded" else None,
    )
    if not splits.test:
        raise DataError([Problem(data.train, 0, "continual runs need test data (data.test)")])
    stream = class_incremental(
        splits.train,
        splits.dev,
        splits.test,
        plan,
        fully_labelled=cfg.fully_labelled,
        max_train_sentences=cfg.max_train_sentences,
        seed=seed,
    )
    stream.notes.extend(splits.notes)
    return stream
