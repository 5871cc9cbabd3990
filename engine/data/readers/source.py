"""Turn a file on disk into clean text, or a DataError that says FILE:LINE and why.

Every text reader starts here so BOM, CRLF and encoding problems are handled once:

    text = read_text(path)   # str, BOM removed, "\\r\\n" and lone "\\r" turned into "\\n"
"""

from __future__ import annotations

import codecs
from pathlib import Path

from engine.data.types import DataError, Problem, Severity

# BOMs of encodings that are not UTF-8: the file decodes as garbage, so name the real encoding.
_FOREIGN_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def read_bytes(path: Path) -> bytes:
    """Read a whole file; a missing file, a directory or a permission error becomes DataError."""
    if path.is_dir():
        raise DataError([Problem(str(path), 0, "is a directory, not a data file")])
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first `size` bytes, to sniff a format; errors as in read_bytes."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: OSError) -> DataError:
    reason = exc.strerror or exc.__class__.__name__  # "No such file or directory", ...
    return DataError([Problem(str(path), 0, f"cannot read file: {reason}")])


def decode_utf8(data: bytes, name: str) -> str:
    """Decode UTF-8 (BOM optional), unify line ends; other encodings fail at the first bad byte."""
    for bom, encoding in _FOREIGN_BOMS.items():
        if data.startswith(bom):
            reason = f"file is {encoding}, not UTF-8; save it as UTF-8"
            raise DataError([Problem(name, 1, reason)])
    try:
        text = data.decode("utf-8-sig")  # -sig drops a UTF-8 BOM so it never sticks to a token
    except UnicodeDecodeError as exc:
        raise DataError([_bad_byte_problem(data, exc, name)]) from exc
    if "\r" in text:
        # Universal newlines by hand: split("\n") later must see the same lines as a clean file.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    nul = text.find("\x00")
    if nul != -1:
        # Valid UTF-8, but no text file holds NUL: UTF-16 without a BOM decodes to "\x00W\x00o",
        # whose tokens and tags would be read as garbage without a word of warning.
        reason = (
            "NUL byte in the text: the file looks like UTF-16 without a byte-order mark, or is "
            "not a text file; save it as UTF-8"
        )
        raise DataError([Problem(name, text.count("\n", 0, nul) + 1, reason)])
    return text


def read_text(path: Path) -> str:
    """read_bytes + decode_utf8."""
    return decode_utf8(read_bytes(path), str(path))


def _bad_byte_problem(data: bytes, exc: UnicodeDecodeError, name: str) -> Problem:
    # exc.start counts in the bytes the decoder saw: after the BOM, when "utf-8-sig" removed one.
    data = exc.object
    before = data[: exc.start]
    # Lines as the readers count them: "\r\n", a lone "\r" and "\n" each end one.
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    offset = exc.start - max(before.rfind(b"\n"), before.rfind(b"\r"))
    byte = data[exc.start]
    reason = (
        f"not valid UTF-8: byte 0x{byte:02x} (byte {offset} of the line) "
        "(save the file as UTF-8; Latin-1/cp1252 files must be converted first)"
    )
    return Problem(name, line, reason)


class CappedProblems:
    """Collect per-line problems, keeping the first few: a wrong-format file must not yield 10^5."""

    def __init__(self, name: str, limit: int = 20):
        self.name = name
        self.limit = limit
        self.kept: list[Problem] = []
        self.dropped = 0

    def add(self, line: int, reason: str, severity: Severity = "error") -> None:
        if len(self.kept) < self.limit:
            self.kept.append(Problem(self.name, line, reason, severity))
        else:
            self.dropped += 1

    def problems(self) -> list[Problem]:
        if not self.dropped:
            return list(self.kept)
        summary = Problem(self.name, 0, f"... and {self.dropped} more problems like these")
        return [*self.kept, summary]
