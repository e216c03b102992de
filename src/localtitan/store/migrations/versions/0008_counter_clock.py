"""A write clock on each tenant's counter row, so ``modifiedOn`` follows commit order.

``record_counters.clock_us`` is the last write time handed out (microseconds since 1970,
UTC); every write takes a time after it while holding the counter's lock
(docs/decisions/0002-modified-on-commit-order.md). It starts at the newest ``modified_on``
each tenant already holds, so no write after the upgrade is stamped before a record stored
before it.

Reads the ``modified_on`` of every record once (one maximum per tenant and environment).

Revision ID: 0008
Revises: 0006
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_counters = sa.table(
    "record_counters",
    sa.column("environment", sa.String),
    sa.column("tenant_id", sa.BigInteger),
    sa.column("clock_us", sa.BigInteger),
)
_records = sa.table(
    "records",
    sa.column("environment", sa.String),
    sa.column("tenant_id", sa.BigInteger),
    sa.column("modified_on", sa.DateTime(timezone=True)),
)


def _micros(value: datetime) -> int:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta = aware - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def upgrade() -> None:
    op.add_column(
        "record_counters",
        sa.Column("clock_us", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )
    bind = op.get_bind()
    keys = bind.execute(sa.select(_counters.c.environment, _counters.c.tenant_id)).all()
    for env, tenant in keys:
        newest = bind.execute(
            sa.select(sa.func.max(_records.c.modified_on)).where(
                _records.c.environment == env, _records.c.tenant_id == tenant
            )
        ).scalar_one_or_none()
        if newest is None:
            continue
        if isinstance(newest, str):  # SQLite hands an aggregate back as its stored text
            newest = datetime.fromisoformat(newest)
        bind.execute(
            sa.update(_counters)
            .where(_counters.c.environment == env, _counters.c.tenant_id == tenant)
            .values(clock_us=_micros(newest))
        )


def downgrade() -> None:
    with op.batch_alter_table("record_counters") as batch:
        batch.drop_column("clock_us")
