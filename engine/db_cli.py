"""`python -m engine db ...`: the database schema by hand (Alembic migrations in storage/).

    python -m engine db current              # the database's revision, and the newest one
    python -m engine db upgrade [REVISION]   # to REVISION (default head), under the write lock
    python -m engine db revision MESSAGE     # draft the next migration from storage/models.py

Start-up upgrades on its own (storage.schema.ensure_schema) unless LAB_DB_AUTO_UPGRADE=0; this
is the command for that case, and for checking what a shared database is at. The database is
LAB_DB_URL's (default: the SQLite file in LAB_HOME). Torch-free.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Add `db current` and `db upgrade [REVISION]` to the CLI's subcommands."""
    db = sub.add_parser("db", help="show or upgrade the database schema (Alembic)")
    actions = db.add_subparsers(dest="db_command", required=True)
    actions.add_parser("current", help="the database's schema revision and the newest one")
    upgrade = actions.add_parser("upgrade", help="upgrade the schema (default: the newest)")
    upgrade.add_argument("revision", nargs="?", default="head")
    revision = actions.add_parser(
        "revision", help="draft the next migration from what storage/models.py changed"
    )
    revision.add_argument("message", help="what changed, e.g. 'add note to runs'")


def cmd_db(args: argparse.Namespace) -> int:
    from storage import schema
    from storage.db import StorageError, get_engine

    if args.db_command == "revision":
        path = schema.new_revision(args.message)
        print(f"wrote {path}: review it, then `ruff format` it and run the migration tests")
        return 0
    try:
        engine = get_engine()
        where = engine.url.render_as_string(hide_password=True)
        head = schema.head_revision()
        if args.db_command == "current":
            revision = schema.current_revision(engine)
            print(f"database: {where}")
            print(f"revision: {_describe(revision, head)}")
            return 0
        before, after = schema.upgrade(engine, args.revision)
    except StorageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if before == after:
        print(f"{where}: already at {_describe(after, head)}")
    else:
        print(f"{where}: upgraded from {before or 'an empty schema'} to {_describe(after, head)}")
    return 0


def _describe(revision: str | None, head: str) -> str:
    if revision is None:
        return f"none (an empty database, or one made before migrations); newest is {head}"
    return f"{revision} (head)" if revision == head else f"{revision} (newest is {head})"
