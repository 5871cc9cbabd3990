"""A damaged SQLite file becomes one clear `DatabaseDamaged` error, never a traceback.

What "clear state" means for a lab database whose file was cut short or overwritten at its tail
(docs/reliability.md, faults):
- no lab process writes to it: SQLite notices a file shorter than its header says on the first
  statement, so start-up (the engine's probe in storage.db) fails with `DatabaseDamaged`;
  damage SQLite only finds when it reads a page fails the statement that reads it the same way;
- the message names the file and says how to recover; the file is left byte for byte as it was;
- rows in undamaged pages stay readable where SQLite allows it: the lab still lists runs
  whose rows are intact, and `sqlite3 lab.db .dump` writes out what SQLite can read.

Installed by storage.db as the engine's "handle_error" hook: `event.listen(engine,
"handle_error", translate_damage)`.
"""

from __future__ import annotations

from typing import Any

from storage.transactions import StorageError

# sqlite3 messages for a file that is not (or no longer) a whole database.
DAMAGE_MARKERS = ("database disk image is malformed", "file is not a database")


class DatabaseDamaged(StorageError):
    """The SQLite file is damaged; the message says which file and how to recover."""


def is_damage(error: BaseException | None) -> bool:
    text = str(error or "").lower()
    return any(marker in text for marker in DAMAGE_MARKERS)


def damage_message(database: str, error: BaseException) -> str:
    reason = next(m for m in DAMAGE_MARKERS if m in str(error).lower())
    return (
        f"the lab database {database} is damaged ({reason}); it was left as it is. Keep a copy, "
        f"save what SQLite can still read with: sqlite3 {database} .dump > lab-recovered.sql "
        "(docs/reliability.md, 'A damaged database'), or move the file aside to start a new lab"
    )


def translate_damage(context: Any) -> None:
    """SQLAlchemy "handle_error" hook: raise DatabaseDamaged instead of a DBAPI error."""
    original = context.original_exception
    if not is_damage(original):
        return
    engine = context.engine
    database = engine.url.database if engine is not None else None
    raise DatabaseDamaged(damage_message(database or "(unknown file)", original)) from original
