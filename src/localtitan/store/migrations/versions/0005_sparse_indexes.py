"""Indexes on columns most records leave empty hold only the records that have a value.

Most records have no parent, customer, location, job or guid; a full index keeps an entry
for every one of them all the same. Filters on these columns always compare them with a
value (``=``, ``IN``), which both SQLite and PostgreSQL know implies ``IS NOT NULL``, so the
partial indexes serve the same queries. About a tenth of a large database's size.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY = ["environment", "tenant_id", "kind"]
_SPARSE = (
    ("ix_records_parent", "parent_id"),
    ("ix_records_customer", "customer_id"),
    ("ix_records_location", "location_id"),
    ("ix_records_job", "job_id"),
    ("ix_records_guid", "guid"),
)


def upgrade() -> None:
    for name, column in _SPARSE:
        present = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="records")
        op.create_index(
            name, "records", [*_KEY, column], sqlite_where=present, postgresql_where=present
        )


def downgrade() -> None:
    for name, column in _SPARSE:
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", [*_KEY, column])
