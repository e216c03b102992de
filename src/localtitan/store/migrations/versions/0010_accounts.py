"""Portal accounts: users, their roles per tenant and environment, sign-in sessions, access
requests, the audit log, and the app fields the My Apps editor keeps.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("password_changed_on", When, nullable=False),
        sa.Column("terms_accepted_on", When, nullable=True),
    )
    op.create_table(
        "user_roles",
        sa.Column(
            "user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("environment", sa.String(16), primary_key=True),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("expires_on", When, nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
    )
    op.create_index("ix_portal_sessions_user", "portal_sessions", ["user_id"])
    op.create_table(
        "access_requests",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("company", sa.String(120), nullable=False),
        sa.Column("website", sa.String(250), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("integration", sa.Text, nullable=False),
        sa.Column("modules", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("created_on", When, nullable=False),
        sa.Column("decided_on", When, nullable=True),
        sa.Column("decided_by", sa.String(254), nullable=True),
        sa.Column("tenant_id", sa.BigInteger, nullable=True),
        sa.Column("user_id", BigId, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", When, nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=True),
        sa.Column("app_id", BigId, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_tenant", "audit_log", ["tenant_id", "id"])
    op.create_index("ix_audit_log_app", "audit_log", ["app_id", "id"])
    with op.batch_alter_table("apps") as batch:
        batch.add_column(
            sa.Column("homepage_url", sa.String(250), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("notification_email", sa.String(254), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("description", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("credentials_mode", sa.String(16), nullable=False, server_default="tenant")
        )
        batch.add_column(sa.Column("owner_tenant_id", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("deleted_on", When, nullable=True))
    with op.batch_alter_table("app_scope_sets") as batch:
        batch.add_column(sa.Column("created_by", sa.String(254), nullable=True))
    with op.batch_alter_table("app_tenants") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("app_tenants") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("app_scope_sets") as batch:
        batch.drop_column("created_by")
    with op.batch_alter_table("apps") as batch:
        for name in (
            "deleted_on",
            "owner_tenant_id",
            "credentials_mode",
            "public",
            "description",
            "notification_email",
            "homepage_url",
        ):
            batch.drop_column(name)
    for name in ("audit_log", "access_requests", "portal_sessions", "user_roles", "users"):
        op.drop_table(name)
