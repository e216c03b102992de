"""API records, per-tenant counters and stored bytes.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
_KEY = ("environment", "tenant_id", "kind")


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("environment", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(120), primary_key=True),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.BigInteger, nullable=True),
        sa.Column("guid", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("modified_on", When, nullable=False),
        sa.Column("row_version", sa.BigInteger, nullable=False),
        sa.Column("customer_id", sa.BigInteger, nullable=True),
        sa.Column("location_id", sa.BigInteger, nullable=True),
        sa.Column("job_id", sa.BigInteger, nullable=True),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("name", sa.String(400), nullable=True),
        sa.Column("status", sa.String(100), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_records_version", "records", [*_KEY, "row_version"], unique=True)
    op.create_index("ix_records_list", "records", [*_KEY, "id", "deleted", "active"])
    op.create_index("ix_records_modified", "records", [*_KEY, "modified_on", "id"])
    op.create_index("ix_records_created", "records", [*_KEY, "created_on", "id"])
    for column in (
        "parent_id",
        "customer_id",
        "location_id",
        "job_id",
        "number",
        "guid",
    ):
        name = "ix_records_" + column.removesuffix("_on").removesuffix("_id")
        op.create_index(name, "records", [*_KEY, column])
    op.create_table(
        "record_counters",
        sa.Column("environment", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("next_id", sa.BigInteger, nullable=False),
        sa.Column("row_version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "blobs",
        sa.Column("environment", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(400), nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_on", When, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_table("record_counters")
    op.drop_table("records")
