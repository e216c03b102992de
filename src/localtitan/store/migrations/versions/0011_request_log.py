"""The request log: one row per call to a token endpoint or the API.

Revision ID: 0011
Revises: 0010 (0006 before the merge of portal-accounts)
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("area", sa.String(8), nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=True),
        sa.Column("app_id", sa.BigInteger, nullable=True),
        sa.Column("client_id", sa.String(100), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("operation_id", sa.String(200), nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=True),
        sa.Column("request_size", sa.BigInteger, nullable=False),
        sa.Column("response_size", sa.BigInteger, nullable=False),
        sa.Column("request_headers", sa.Text, nullable=False),
        sa.Column("request_body", sa.Text, nullable=True),
        sa.Column("response_headers", sa.Text, nullable=False),
        sa.Column("response_body", sa.Text, nullable=True),
    )
    op.create_index("ix_request_log_app", "request_log", ["app_id", "time_ms"])
    op.create_index("ix_request_log_tenant", "request_log", ["tenant_id", "environment", "time_ms"])
    op.create_index("ix_request_log_time", "request_log", ["time_ms"])


def downgrade() -> None:
    op.drop_table("request_log")
