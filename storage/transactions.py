"""What every storage module shares about transactions, below db.py and schema.py: the error
type and the execution options that tell the "begin" hooks (storage.db) how to open one.

Imports nothing of storage, so db.py can import schema.py and sqlite_damage.py at the top.
"""

from __future__ import annotations

# Execution option read by the "begin" hooks: IMMEDIATE for writers (SQLite's BEGIN IMMEDIATE,
# PostgreSQL's advisory write lock), DEFERRED for readers.
BEGIN_OPTION = "lab_sqlite_begin"
WRITE_OPTIONS = {BEGIN_OPTION: "IMMEDIATE"}
READ_OPTIONS = {BEGIN_OPTION: "DEFERRED"}


class StorageError(RuntimeError):
    """The database cannot be used as the lab needs (for example WAL is unavailable)."""
