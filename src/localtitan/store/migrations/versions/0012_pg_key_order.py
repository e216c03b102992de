"""PostgreSQL: the records table's primary key leads with its integer columns.

A record is found by (environment, tenant_id, kind, id), always all four with ``=``: a get,
an update, and a filtered page's ``id = ANY (...)`` lookups (51 descents of the key's b-tree
per page). With the two text columns first, every entry's ``id`` sits behind variable-width
columns, so PostgreSQL locates it again for every comparison (``nocache_index_getattr``) and
compares text before it reaches the integers that tell records apart. Written as
(tenant_id, id, environment, kind) the same key descends on integers: a filtered page cost the
database about a fifth less CPU (helper pgrange, docs/performance.md "Ninth session"). Nothing
reads a prefix of the key alone that another index does not lead with; the constraint is
rebuilt, not added, so writes keep the same number of indexes.

SQLite reads records by rowid and keeps its key as it is.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_OLD = "environment, tenant_id, kind, id"
_NEW = "tenant_id, id, environment, kind"


def _key(columns: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE records DROP CONSTRAINT records_pkey,"
        f" ADD CONSTRAINT records_pkey PRIMARY KEY ({columns})"
    )


def upgrade() -> None:
    _key(_NEW)


def downgrade() -> None:
    _key(_OLD)
