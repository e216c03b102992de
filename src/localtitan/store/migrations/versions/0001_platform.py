"""Platform identity: tenants, apps, scopes, connections, client secrets, signing keys.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("environment", sa.String(16), primary_key=True),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
    )
    op.create_table(
        "apps",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organization", sa.String(200), nullable=False),
        sa.Column("app_key", sa.String(100), nullable=False, unique=True),
        sa.Column("scope_version", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
    )
    op.create_table(
        "app_scope_sets",
        sa.Column("app_id", BigId, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_on", When, nullable=False),
    )
    op.create_table(
        "app_tenants",
        sa.Column("app_id", BigId, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "connections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("app_id", BigId, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("scope_version", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.UniqueConstraint(
            "environment", "tenant_id", "app_id", name="uq_connections_env_tenant_app"
        ),
    )
    op.create_table(
        "client_secrets",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "connection_id",
            BigId,
            sa.ForeignKey("connections.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("deactivated_on", When, nullable=True),
    )
    op.create_index("ix_client_secrets_connection", "client_secrets", ["connection_id"])
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("public_jwk", sa.Text, nullable=False),
        sa.Column("created_on", When, nullable=False),
        sa.Column("retired_on", When, nullable=True),
    )
    op.create_index("ix_signing_keys_env", "signing_keys", ["environment", "created_on"])


def downgrade() -> None:
    for name in (
        "signing_keys",
        "client_secrets",
        "connections",
        "app_tenants",
        "app_scope_sets",
        "apps",
        "tenants",
    ):
        op.drop_table(name)
