"""Date-range indexes that cover the list filters, so a page's ids come from the index alone.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_KEY = ["environment", "tenant_id", "kind"]


def upgrade() -> None:
    for name, column in (
        ("ix_records_modified", "modified_on"),
        ("ix_records_created", "created_on"),
    ):
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", [*_KEY, column, "id", "deleted", "active"])


def downgrade() -> None:
    for name, column in (
        ("ix_records_modified", "modified_on"),
        ("ix_records_created", "created_on"),
    ):
        op.drop_index(name, table_name="records")
        op.create_index(name, "records", [*_KEY, column, "id"])
