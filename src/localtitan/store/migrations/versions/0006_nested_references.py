"""Promote the ids of nested references (an invoice's ``customer: {id}`` and ``job: {id}``)
into ``customer_id``, ``location_id`` and ``job_id``, as new writes now do, so ``customerId=``
and ``jobId=`` filters find records stored before.

Reads every record once (records without such a reference are skipped by a text test before
their JSON is parsed).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_NESTED = (("customer_id", "customer"), ("location_id", "location"), ("job_id", "job"))


def _sqlite(column: str, field: str) -> str:
    return (
        f"UPDATE records SET {column} = json_extract(data, '$.{field}.id') "  # noqa: S608 - constants
        f"WHERE {column} IS NULL AND instr(data, '\"{field}\"') > 0 "
        f"AND json_type(data, '$.{field}.id') = 'integer'"
    )


def _postgresql(column: str, field: str) -> str:
    path = f"'{{{field},id}}'"
    return (
        f"UPDATE records SET {column} = (data::jsonb #>> {path})::bigint "  # noqa: S608 - constants
        f"WHERE {column} IS NULL AND strpos(data, '\"{field}\"') > 0 "
        f"AND jsonb_typeof(data::jsonb #> {path}) = 'number' "
        f"AND (data::jsonb #>> {path}) ~ '^-?[0-9]+$'"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, field in _NESTED:
        op.execute(_sqlite(column, field) if sqlite else _postgresql(column, field))


def downgrade() -> None:
    # The promoted values are still right after a downgrade; nothing to undo.
    pass
