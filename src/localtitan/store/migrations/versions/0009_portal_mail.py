"""Portal mail: the outbox, release-notes subscribers, their deliveries, published releases.

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("created_on", When, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_mail_outbox_to", "mail_outbox", ["to_address", "id"])
    op.create_table(
        "release_subscribers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("module", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("confirmed_on", When, nullable=True),
    )
    op.create_table(
        "release_deliveries",
        sa.Column("release_id", sa.String(100), primary_key=True),
        sa.Column(
            "subscriber_id",
            BigId,
            sa.ForeignKey("release_subscribers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sent_on", When, nullable=False),
    )
    op.create_table(
        "published_releases",
        sa.Column("release_id", sa.String(100), primary_key=True),
        sa.Column("published_on", When, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("published_releases")
    op.drop_table("release_deliveries")
    op.drop_table("release_subscribers")
    op.drop_index("ix_mail_outbox_to", table_name="mail_outbox")
    op.drop_table("mail_outbox")
