"""The request log loses its index on time alone: every row written paid for it, and only the
age bound's pruning used it, which now finds the oldest row to keep by its id
(store/request_log.py ``prune``).

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_request_log_time", table_name="request_log")


def downgrade() -> None:
    op.create_index("ix_request_log_time", "request_log", ["time_ms"])
