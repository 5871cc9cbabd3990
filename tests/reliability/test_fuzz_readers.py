"""Property-based fuzzing of every reader and of `validate` (RELIABILITY 13, 14, 15, 19).

More than 10,000 generated files (see BUDGET; LAB_FUZZ_SCALE scales it) are written to disk and
read back through read_corpus (CoNLL, JSONL, auto-detected), validate_file and the dashboard's
validate_upload: random bytes, text in random encodings, valid CoNLL re-laid-out (BOM, CRLF,
tabs, trailing blanks) or damaged (mixed schemes, missing columns, 10^5-character lines,
zero-width characters, bad bytes), and JSON Lines objects of every shape. The only outcomes
allowed: a sound IOB2 corpus, or a DataError whose problems name the file and a line. Runs are
derandomized (the same inputs every time) and have no deadline: a busy CI machine must not
make them flaky.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.data.readers import read_corpus
from engine.data.service import validate_upload
from engine.data.types import Corpus, DataError
from engine.data.validate import validate_file
from tests.reliability import fuzz_inputs as fi
from tests.reliability.figures import TRIED

pytestmark = pytest.mark.slow  # about a minute in all on 2 cores (10,000+ files)
SCALE = fi.SCALE
# Examples per test; their sum is the "inputs tried" figure in docs/reliability.md.
BUDGET = {
    "corrupted_conll": 2600,
    "layout_invariance": 1200,
    "random_bytes": 2000,
    "encodings": 1400,
    "jsonl": 2000,
    "jsonl_label_files": 400,
    "uploads": 600,
}


def fuzz(name: str) -> settings:
    return settings(
        max_examples=max(1, int(BUDGET[name] * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def check_report(path: Path, outcome: Corpus | DataError, *, same_reader: bool = True) -> None:
    """validate_file never raises, names only this file, and (reading the file with the same
    reader, the auto-detected one) agrees with read_corpus."""
    report = validate_file(str(path))
    for problem in report.problems:
        assert problem.file == str(path) or Path(problem.file).parent == path.parent, problem
        assert problem.line >= 0 and problem.reason.strip()
    if not same_reader:
        return
    if isinstance(outcome, Corpus):
        assert report.usable, report.problems
        assert report.sentences == len(outcome.sentences)
    else:
        assert not report.usable


def read_back(
    folder: Path, name: str, data: bytes, tried: str, fmt: str | None = None
) -> Corpus | DataError:
    """Count one input as tried, write it, read it with read_corpus (the format detected unless
    `fmt`) and check what validate_file says of the file; the reader's outcome."""
    TRIED[tried] += 1
    path = write(folder, name, data)
    outcome = fi.check_outcome(lambda p: read_corpus(p, fmt=fmt), path)
    check_report(path, outcome, same_reader=fmt is None)
    return outcome


def assert_bad_byte_is_named(outcome: Corpus | DataError, data: bytes) -> None:
    """Bytes that are not UTF-8 are a DataError at the line where they stand."""
    bad_line = expected_bad_line(data)
    if bad_line is not None:
        assert isinstance(outcome, DataError)
        assert outcome.problems[0].line == bad_line, (outcome.problems[0], data[:200])


def expected_bad_line(data: bytes) -> int | None:
    """The line of the first byte that is not UTF-8 (after a UTF-8 BOM), as an editor counts."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 1
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = body[: exc.start].decode("utf-8")
        return len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return None


@fuzz("corrupted_conll")
@given(data=fi.seeded(fi.corrupted_conll))
def test_corrupted_conll_parses_or_names_file_and_line(tmp_path, data):
    outcome = read_back(tmp_path, "train.conll", data, "corrupted_conll")
    assert_bad_byte_is_named(outcome, data)


@fuzz("layout_invariance")
@given(doc=fi.seeded(fi.document), layout=fi.seeded(fi.layout))
def test_any_layout_reads_the_same_words_and_tags_as_the_clean_file(tmp_path, doc, layout):
    """RELIABILITY 13 and 14: BOM, CRLF, tabs or runs of spaces, trailing blanks and
    whitespace-only lines, a -DOCSTART- line: the same sentences as the plain rendering."""
    TRIED["layout_invariance"] += 1
    clean = fi.check_outcome(read_corpus, write(tmp_path, "clean.txt", fi.render_conll(doc)))
    laid_out = write(tmp_path, "laid_out.txt", fi.render_conll(doc, layout))
    other = fi.check_outcome(read_corpus, laid_out)
    if isinstance(clean, DataError):  # no sentences at all, or only "O"-less damage
        assert isinstance(other, DataError)
        assert [p.reason for p in other.problems] == [p.reason for p in clean.problems]
        return
    assert isinstance(other, Corpus)
    assert [(s.tokens, s.tags) for s in other.sentences] == [
        (s.tokens, s.tags) for s in clean.sentences
    ]
    assert other.scheme == clean.scheme
    if not layout.docstart:  # BOM and CRLF never move a line: FILE:LINE stays right
        assert [s.line for s in other.sentences] == [s.line for s in clean.sentences]


@fuzz("random_bytes")
@given(data=st.binary(max_size=3000), fmt=st.sampled_from([None, "conll", "jsonl"]))
def test_random_bytes(tmp_path, data, fmt):
    outcome = read_back(tmp_path, "data.bin", data, "random_bytes", fmt=fmt)
    assert_bad_byte_is_named(outcome, data)


@fuzz("encodings")
@given(data=fi.seeded(fi.encoded_text))
def test_text_in_random_encodings(tmp_path, data):
    outcome = read_back(tmp_path, "data.txt", data, "encodings")
    if expected_bad_line(data) is not None:
        assert isinstance(outcome, DataError)
        assert "UTF" in outcome.problems[0].reason  # names the encoding problem


@fuzz("jsonl")
@given(data=fi.seeded(fi.jsonl_file))
def test_jsonl_files(tmp_path, data):
    outcome = read_back(tmp_path, "data.jsonl", data, "jsonl")
    if isinstance(outcome, DataError) and not data.lstrip(b"\xef\xbb\xbf").startswith(b"["):
        # JSON Lines errors point at a real line of the file (0: about the whole file).
        n_lines = data.replace(b"\r\n", b"\n").count(b"\n") + 1
        assert all(0 <= p.line <= n_lines for p in outcome.problems)


@fuzz("jsonl_label_files")
@given(
    objects=st.lists(fi.seeded(fi.jsonl_object), max_size=4),
    name=st.sampled_from(["labels.txt", "labels.json"]),
    labels=st.one_of(
        st.binary(max_size=200),
        fi.seeded(fi.json_value).map(lambda v: json.dumps(v).encode()),
        st.just(b'{"id2label": {"0": "O", "1": "B-PER", "2": "I-PER"}}'),
        st.just(b'{"O": 0, "B-PER": 1, "I-PER": 2}'),
    ),
)
def test_jsonl_ids_with_random_sibling_label_files(tmp_path, objects, name, labels):
    TRIED["jsonl_label_files"] += 1
    folder = tmp_path / "set"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    label_file = write(folder, name, labels)
    path = write(folder, "train.jsonl", "\n".join(json.dumps(o) for o in objects).encode())
    outcome = fi.check_outcome(read_corpus, path, names=(str(label_file),))
    check_report(path, outcome)


@fuzz("uploads")
@given(
    filename=st.one_of(
        st.text(max_size=40),
        st.sampled_from(["../../etc/passwd", "..\\..\\boot.ini", "/abs/x.conll", "a/../b.jsonl"]),
    ),
    data=st.one_of(
        fi.seeded(fi.corrupted_conll), fi.seeded(fi.jsonl_file), st.binary(max_size=500)
    ),
)
def test_uploads_are_checked_never_raise_and_only_show_the_display_name(filename, data):
    TRIED["uploads"] += 1
    check = validate_upload(filename, data)
    assert check.display_name and "/" not in check.display_name and "\\" not in check.display_name
    assert check.display_name not in ("..", ".")
    for line in check.problems:
        assert line.startswith(f"{check.display_name}:"), line
        assert "lab-upload-" not in line  # the server's temporary path never shows
    assert check.usable == (not check.errors and check.fmt is not None)


@pytest.fixture(scope="module")
def saved_dataset(tmp_path_factory) -> Path:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER"])),
        }
    )
    rows = {"tokens": [["Ann", "ran"], ["Bob", "Li", "sat"]], "ner_tags": [[1, 0], [1, 2, 0]]}
    folder = tmp_path_factory.mktemp("saved") / "ds"
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict(rows, features=features)}
    ).save_to_disk(str(folder))
    return folder


SAVED_DAMAGE = st.tuples(
    st.sampled_from(["truncate", "overwrite", "delete", "garbage_json"]),
    st.integers(0, 10_000),
    st.binary(min_size=1, max_size=64),
)


@settings(
    max_examples=max(1, int(60 * SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(damage=st.lists(SAVED_DAMAGE, min_size=1, max_size=3), which=st.integers(0, 100))
def test_damaged_saved_datasets(saved_dataset, tmp_path, damage, which):
    """A dataset folder from save_to_disk with files cut, overwritten, deleted or garbled."""
    import shutil

    TRIED["saved_datasets"] += 1
    folder = tmp_path / "copy"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(saved_dataset, folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for kind, at, payload in damage:
        target = files[(which + at) % len(files)]
        if not target.exists():
            continue
        data = target.read_bytes()
        if kind == "truncate":
            target.write_bytes(data[: at % (len(data) + 1)])
        elif kind == "overwrite":
            pos = at % (len(data) + 1)
            target.write_bytes(data[:pos] + payload + data[pos + len(payload) :])
        elif kind == "delete":
            target.unlink()
        else:
            target.write_bytes(b"{" + payload)
    outcome = fi.check_outcome(read_corpus, folder)
    if (folder / "dataset_dict.json").is_file() or isinstance(outcome, Corpus):
        for report in (validate_file(str(folder), split) for split in ("train", None)):
            assert all(p.line >= 0 and p.reason for p in report.problems)
