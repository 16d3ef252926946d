"""What an upgrade's migrations will do to a running database, before they run (`check_upgrade`).

Each unapplied migration is listed; each operation that locks or rewrites a table for longer than
a moment is named with the table's row count, and warned about when the table is large:
- AlterField that changes the column's type (the table is rewritten under an exclusive lock), or
  makes a column NOT NULL (every row is read under the lock);
- AddIndex / AddConstraint that is not built CONCURRENTLY (writes wait while the index builds),
  and the indexes a field brings with it: a new foreign key or unique or indexed column, a column
  made unique or indexed;
- AddField of a NOT NULL column without a default kept in the database (every row gets one);
- RunPython and RunSQL (unknown work, often over every row, inside the migration's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.fields import NOT_PROVIDED

DEFAULT_LARGE_ROWS = 100_000


@dataclass(frozen=True)
class Risk:
    operation: str
    table: str
    rows: int
    why: str
    large: bool


@dataclass
class Step:
    app: str
    name: str
    risks: list[Risk] = field(default_factory=list)


def _rows(table: str) -> int:
    """The table's rows: PostgreSQL's planner estimate when it has one (no scan of a big table),
    else an exact count; 0 for a table that does not exist yet."""
    if table not in connection.introspection.table_names():
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cursor.fetchone()
            if row and row[0] is not None and row[0] >= 0:
                return int(row[0])
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608  # a table name from the models, quoted
        return int(cursor.fetchone()[0])


def _table(state: ProjectState, app: str, model_name: str) -> str:
    try:
        return str(state.apps.get_model(app, model_name)._meta.db_table)
    except LookupError:
        return ""


INDEX_WHY = "builds an index without CONCURRENTLY: writes to the table wait until it is built"


def _indexed(field: Any) -> bool:
    """A column Django indexes as it adds it (a foreign key, db_index, unique), the key aside."""
    return bool((field.db_index or field.unique) and not field.primary_key)


def _why(op: Operation, app: str, before: ProjectState) -> tuple[str, str] | None:
    """(model name, why it locks) for an operation that holds a lock for long, else None."""
    if isinstance(op, migrations.AlterField):
        try:
            old = before.apps.get_model(app, op.model_name)._meta.get_field(op.name)
        except LookupError:
            return None
        new: Any = cast(Any, op.field).clone()
        new.set_attributes_from_name(op.name)
        if old.db_parameters(connection)["type"] != new.db_parameters(connection)["type"]:
            return op.model_name, "changes the column's type: the table is rewritten under an exclusive lock"
        if old.null and not new.null:
            return op.model_name, "makes a column NOT NULL: every row is checked under an exclusive lock"
        if _indexed(new) and not _indexed(old):
            return op.model_name, INDEX_WHY
        return None
    if isinstance(op, migrations.AddIndex | migrations.AddConstraint) and not isinstance(
        op, AddIndexConcurrently
    ):
        return str(getattr(op, "model_name", "")), INDEX_WHY
    if isinstance(op, migrations.AddField):
        kept_default = op.field.db_default is not NOT_PROVIDED or (
            op.preserve_default and op.field.default is not NOT_PROVIDED
        )
        if not op.field.null and not op.field.many_to_many and not kept_default:
            return op.model_name, "adds a NOT NULL column without a default: every row is written"
        if not op.field.many_to_many and _indexed(op.field):
            return op.model_name, INDEX_WHY
        return None
    if isinstance(op, migrations.RunPython | migrations.RunSQL):
        return "", "runs code of its own, often over every row, inside the migration's transaction"
    return None


def _models_of(migration: Migration) -> list[str]:
    names = []
    for op in migration.operations:
        name = getattr(op, "model_name", None) or getattr(op, "name", None)
        if isinstance(name, str):
            names.append(name.lower())
    return names


def upgrade_plan(*, large_rows: int = DEFAULT_LARGE_ROWS) -> list[Step]:
    """The unapplied migrations in the order they would run, with their risks."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    steps = []
    for migration, backwards in plan:
        if backwards:
            continue
        step = Step(migration.app_label, migration.name)
        state = executor.loader.project_state((migration.app_label, migration.name), at_end=False)
        for op in migration.operations:
            found = _why(op, migration.app_label, state)
            if found is not None:
                model, why = found
                # RunPython names no model: count the tables of the models the migration touches,
                # or say none is known.
                tables = (
                    [_table(state, migration.app_label, model)]
                    if model
                    else [_table(state, migration.app_label, m) for m in _models_of(migration)]
                )
                tables = list(dict.fromkeys(t for t in tables if t)) or [""]
                for table in tables:
                    rows = _rows(table) if table else 0
                    step.risks.append(Risk(type(op).__name__, table, rows, why, rows >= large_rows))
            state = state.clone()
            op.state_forwards(migration.app_label, state)
        steps.append(step)
    return steps
