"""Alembic environment for the lab's schema (storage/migrations/versions).

Migrations normally run through `storage.schema` (start-up, `python -m engine db ...`), which
hands over a connection already inside the locked transaction: `BEGIN IMMEDIATE` on SQLite,
the lab's advisory write lock on PostgreSQL. Run without one (the `alembic` command with a
`sqlalchemy.url`), this opens its own connection to that URL or to `LAB_DB_URL`.

render_as_batch: autogenerate writes column changes as `batch_alter_table`, which SQLite needs
(it cannot ALTER most things) and PostgreSQL runs as plain ALTERs.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.types import TypeDecorator

from storage.models import Base
from storage.paths import database_url


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write a custom type (UTCDateTime) as the plain type it stores, so that a generated
    migration stays frozen and never imports storage.models."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or database_url()
    if context.is_offline_mode():
        context.configure(
            url=url, target_metadata=Base.metadata, render_as_batch=True, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            run_on(connection)
            connection.commit()
    finally:
        engine.dispose()


main()
