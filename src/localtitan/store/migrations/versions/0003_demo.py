"""Demo seeds and per-tenant schedules.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tenant_seeds",
        sa.Column("environment", sa.String(16), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("anchor", When, nullable=False),
        sa.Column("customers", sa.BigInteger, nullable=False),
        sa.Column("size", sa.String(16), nullable=True),
        sa.Column("generator", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_id", sa.BigInteger, nullable=False),
        sa.Column("chunks_done", sa.Integer, nullable=False),
        sa.Column("chunks_total", sa.Integer, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("started_on", When, nullable=False),
        sa.Column("finished_on", When, nullable=True),
    )
    op.create_table(
        "tenant_schedules",
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(40), primary_key=True),
        sa.Column("every_seconds", sa.Integer, nullable=False),
        sa.Column("next_run_on", When, nullable=False),
        sa.Column("last_run_on", When, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("tenant_schedules")
    op.drop_table("tenant_seeds")
