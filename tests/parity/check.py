#!/usr/bin/env python3
"""Ask the peer whether a database matches the parity models (models.py).

Usage: check.py URL [MODULE]

MODULE: the module of this folder holding the models' metadata (default: models).

Runs Alembic's autogenerate comparison (what `flask db migrate` / `alembic
revision --autogenerate` does) between the database and models.metadata, with
type and server-default comparison on, and prints every difference Alembic
finds, one per line (column changes read database -> models). Exit status 0 when there is none, 1 otherwise.

runtime/tests/parity.rs runs it on the database Strata built: an empty result
means Flask-Migrate would generate no migration for it, by its own judgement.

Needs: pip install -r tests/parity/requirements.txt
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from create import sqlalchemy_url  # noqa: E402 - also checks the peer is installed

import importlib  # noqa: E402

import sqlalchemy  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402

IGNORED_TABLES = {"alembic_version"}


def include_object(obj, name, type_, reflected, compare_to):
    # Strata's bookkeeping tables are to Strata what alembic_version is to Alembic.
    if type_ == "table" and (name in IGNORED_TABLES or name.startswith("strata_")):
        return False
    return True


def describe(value, dialect) -> str:
    """A column type, default or identity as a short text."""
    if value is None or value is False:
        return "none"
    if isinstance(value, sqlalchemy.Identity):
        return "IDENTITY"
    if isinstance(value, sqlalchemy.DefaultClause):
        arg = value.arg
        return arg if isinstance(arg, str) else str(arg.compile(dialect=dialect))
    if isinstance(value, sqlalchemy.types.TypeEngine):
        return str(value.compile(dialect=dialect))
    return repr(value)


def summary(diff, dialect) -> str:
    """One line per difference: `modify_type users.score: DOUBLE -> FLOAT` for a column
    change (database -> models), else the op and the object Alembic reports."""
    if isinstance(diff, list):  # column modifications come grouped per column
        return "; ".join(summary(d, dialect) for d in diff)
    op = diff[0]
    if op in ("add_table_comment", "remove_table_comment"):
        return f"{op} {diff[1].name}"
    if op.startswith("modify_"):
        _, _schema, table, column, _existing, old, new = diff
        return f"{op} {table}.{column}: {describe(old, dialect)} -> {describe(new, dialect)}"
    return f"{op} {diff[1:]!r}"


def differences(url: str, module: str = "models") -> list:
    """Alembic's findings between the database at `url` (SQLAlchemy spelling) and the models
    of `module`, one summary line each."""
    metadata = importlib.import_module(module).metadata
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": include_object,
                    # Tables in other schemas (schema_models) are compared only with this.
                    "include_schemas": any(t.schema for t in metadata.tables.values()),
                },
            )
            diffs = compare_metadata(ctx, metadata)
            return [summary(d, conn.dialect) for d in diffs]
    finally:
        engine.dispose()


def main() -> int:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    lines = differences(sqlalchemy_url(sys.argv[1]), *sys.argv[2:])
    for line in lines:
        print(line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
