"""Table definitions shared by SQLite and PostgreSQL.

Every row of tenant data leads with ``environment`` and ``tenant_id``: the key a distributed
PostgreSQL would shard by, and the first filter of every query, which is how tenants stay apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = [
    "access_requests",
    "app_scope_sets",
    "app_tenants",
    "apps",
    "audit_log",
    "blobs",
    "client_secrets",
    "connections",
    "mail_outbox",
    "metadata",
    "portal_sessions",
    "published_releases",
    "record_counters",
    "records",
    "release_deliveries",
    "release_subscribers",
    "request_log",
    "signing_keys",
    "table_name",
    "tenant_schedules",
    "tenant_seeds",
    "tenants",
    "user_roles",
    "users",
]

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real int64.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
)

apps = Table(
    "apps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("organization", String(200), nullable=False),
    Column("app_key", String(100), nullable=False, unique=True),
    Column("scope_version", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    # What the My Apps editor keeps (migration 0010).
    Column("homepage_url", String(250), nullable=False, server_default=""),
    Column("notification_email", String(254), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    Column("public", Boolean, nullable=False, server_default=text("false")),
    # "tenant": the tenant admin makes client secrets; "developer": the app's developer does.
    Column("credentials_mode", String(16), nullable=False, server_default="tenant"),
    # The tenant whose developers own the app (None for apps made from the command line).
    Column("owner_tenant_id", BigInteger, nullable=True),
    # A deleted app keeps its row (for its history and audit) but its key no longer works.
    Column("deleted_on", DateTime(timezone=True), nullable=True),
)

# Scopes are chosen when an app is made; a change makes a new version rather than editing the
# old one, so a connection keeps the set its tenant admin approved.
app_scope_sets = Table(
    "app_scope_sets",
    metadata,
    Column("app_id", BigId, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("scopes", Text, nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254), nullable=True),
)

app_tenants = Table(
    "app_tenants",
    metadata,
    Column("app_id", BigId, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False, server_default=""),
)

connections = Table(
    "connections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("environment", String(16), nullable=False),
    Column("tenant_id", BigInteger, nullable=False),
    Column("app_id", BigId, ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("scope_version", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    UniqueConstraint("environment", "tenant_id", "app_id", name="uq_connections_env_tenant_app"),
)

client_secrets = Table(
    "client_secrets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "connection_id",
        BigId,
        ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # HMAC-SHA256 of the secret under the server key; the secret itself is never stored.
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("deactivated_on", DateTime(timezone=True), nullable=True),
    Index("ix_client_secrets_connection", "connection_id"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("environment", String(16), nullable=False),
    # The private key is encrypted with a key derived from the server key.
    Column("private_key", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("retired_on", DateTime(timezone=True), nullable=True),
    Index("ix_signing_keys_env", "environment", "created_on"),
)

# One table holds every API record, as the JSON the API returns, with the columns that
# filters, sorting and the export feed need promoted beside it (docs/decisions/0001).
# On PostgreSQL the migrations order the primary key (tenant_id, id, environment, kind)
# instead (0012, decision 0370): the same key, compared on integers first.
records = Table(
    "records",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(120), primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("parent_id", BigInteger, nullable=True),
    Column("guid", String(64), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("modified_on", DateTime(timezone=True), nullable=False),
    Column("row_version", BigInteger, nullable=False),
    Column("customer_id", BigInteger, nullable=True),
    Column("location_id", BigInteger, nullable=True),
    Column("job_id", BigInteger, nullable=True),
    Column("number", String(100), nullable=True),
    Column("name", String(400), nullable=True),
    Column("status", String(100), nullable=True),
    Column("data", Text, nullable=False),
    Index("ix_records_version", "environment", "tenant_id", "kind", "row_version", unique=True),
    # Covers the default list (order by id, skip deleted, filter active) without table reads,
    # so finding where a deep page starts is an index-only scan.
    Index("ix_records_list", "environment", "tenant_id", "kind", "id", "deleted", "active"),
    # Date-range lists pick their page's ids from these alone (deleted and active included).
    Index(
        "ix_records_modified",
        "environment",
        "tenant_id",
        "kind",
        "modified_on",
        "id",
        "deleted",
        "active",
    ),
    Index(
        "ix_records_created",
        "environment",
        "tenant_id",
        "kind",
        "created_on",
        "id",
        "deleted",
        "active",
    ),
    # Most records leave these empty: their indexes hold only records with a value
    # (migration 0005). ``number`` stays whole, as sorting by it walks its index.
    *(
        Index(
            f"ix_records_{column.removesuffix('_id')}",
            "environment",
            "tenant_id",
            "kind",
            column,
            sqlite_where=text(f"{column} IS NOT NULL"),
            postgresql_where=text(f"{column} IS NOT NULL"),
        )
        for column in ("parent_id", "customer_id", "location_id", "job_id", "guid")
    ),
    Index("ix_records_number", "environment", "tenant_id", "kind", "number"),
)

# Per tenant and environment: the next record id and the last row version handed out. A writer
# locks this row until it commits, so row versions become visible in the order they were given:
# an export reader that has seen version v has seen every version below it. ``clock_us`` is
# the last write time handed out (microseconds since 1970, UTC): each writer's time is after
# it, so modifiedOn follows commit order as row versions do (docs/decisions/0002).
record_counters = Table(
    "record_counters",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("next_id", BigInteger, nullable=False),
    Column("row_version", BigInteger, nullable=False),
    Column("clock_us", BigInteger, nullable=False, server_default=text("0")),
)

# Bytes of attachments, images and recordings, served back by their download operations.
blobs = Table(
    "blobs",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("content_type", String(200), nullable=False),
    Column("file_name", String(400), nullable=True),
    Column("data", LargeBinary, nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
)

# How a tenant's demo data was generated (so `tenant reset` can make it again) and, while a
# seed too big for one transaction runs, how far it got (so a rerun can resume it).
tenant_seeds = Table(
    "tenant_seeds",
    metadata,
    Column("environment", String(16), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("seed", BigInteger, nullable=False),
    Column("anchor", DateTime(timezone=True), nullable=False),
    Column("customers", BigInteger, nullable=False),
    Column("size", String(16), nullable=True),
    Column("generator", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_id", BigInteger, nullable=False),
    Column("chunks_done", Integer, nullable=False),
    Column("chunks_total", Integer, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("started_on", DateTime(timezone=True), nullable=False),
    Column("finished_on", DateTime(timezone=True), nullable=True),
)

# Jobs the server repeats per tenant, such as copying production into integration.
tenant_schedules = Table(
    "tenant_schedules",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("action", String(40), primary_key=True),
    Column("every_seconds", Integer, nullable=False),
    Column("next_run_on", DateTime(timezone=True), nullable=False),
    Column("last_run_on", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
)

# Mail written while no SMTP server is configured: shown at /outbox on a local server.
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
)
Index("ix_mail_outbox_to", mail_outbox.c.to_address, mail_outbox.c.id)

# Release-notes subscribers: pending until the emailed link is followed.
release_subscribers = Table(
    "release_subscribers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("module", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("confirmed_on", DateTime(timezone=True), nullable=True),
)

# One row per release mailed to a subscriber: the key is what makes a mail go out once.
release_deliveries = Table(
    "release_deliveries",
    metadata,
    Column("release_id", String(100), primary_key=True),
    Column(
        "subscriber_id",
        BigId,
        ForeignKey("release_subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sent_on", DateTime(timezone=True), nullable=False),
)

# Releases of the packaged history already announced (publish on start mails only new ones).
published_releases = Table(
    "published_releases",
    metadata,
    Column("release_id", String(100), primary_key=True),
    Column("published_on", DateTime(timezone=True), nullable=False),
)

# One row per call to a token endpoint or the API (localtitan.requestlog). Times are Unix
# milliseconds so usage buckets are integer division on both backends; bodies and headers are
# stored already redacted and truncated. No foreign keys: a deleted app's log ages out.
request_log = Table(
    "request_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("time_ms", BigInteger, nullable=False),
    Column("environment", String(16), nullable=False),
    Column("area", String(8), nullable=False),
    Column("tenant_id", BigInteger, nullable=True),
    Column("app_id", BigInteger, nullable=True),
    Column("client_id", String(100), nullable=True),
    Column("method", String(16), nullable=False),
    Column("path", String(2000), nullable=False),
    Column("operation_id", String(200), nullable=True),
    Column("query", Text, nullable=True),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("trace_id", String(64), nullable=True),
    Column("request_size", BigInteger, nullable=False),
    Column("response_size", BigInteger, nullable=False),
    Column("request_headers", Text, nullable=False),
    Column("request_body", Text, nullable=True),
    Column("response_headers", Text, nullable=False),
    Column("response_body", Text, nullable=True),
    Index("ix_request_log_app", "app_id", "time_ms"),
    Index("ix_request_log_tenant", "tenant_id", "environment", "time_ms"),
    Index("ix_request_log_time", "time_ms"),
)

# ---------------------------------------------------------------- portal accounts (0010)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # Stored lower-cased, so one address is one account whatever its spelling.
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    # Argon2id, with its parameters and salt (the PHC string); never the password.
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    # Password-reset links made before this moment stop working.
    Column("password_changed_on", DateTime(timezone=True), nullable=False),
    Column("terms_accepted_on", DateTime(timezone=True), nullable=True),
)

# A role holds for one tenant in one environment; the operator role is global (tenant 0, "*").
user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("tenant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("environment", String(16), primary_key=True),
)

# The cookie carries a random session id; only its hash is kept, so a database copy signs no one in.
portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("environment", String(16), nullable=False),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("expires_on", DateTime(timezone=True), nullable=False),
    Column("address", String(64), nullable=True),
    Index("ix_portal_sessions_user", "user_id"),
)

access_requests = Table(
    "access_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("reference", String(20), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("email", String(254), nullable=False),
    Column("company", String(120), nullable=False),
    Column("website", String(250), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("integration", Text, nullable=False),
    Column("modules", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("address", String(64), nullable=True),
    Column("created_on", DateTime(timezone=True), nullable=False),
    Column("decided_on", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(254), nullable=True),
    Column("tenant_id", BigInteger, nullable=True),
    Column("user_id", BigId, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    # The user's email, or "cli" / "system" for changes made outside the portal.
    Column("actor", String(254), nullable=False),
    Column("address", String(64), nullable=True),
    Column("action", String(60), nullable=False),
    Column("tenant_id", BigInteger, nullable=True),
    Column("app_id", BigId, nullable=True),
    Column("detail", Text, nullable=False),
    Index("ix_audit_log_tenant", "tenant_id", "id"),
    Index("ix_audit_log_app", "app_id", "id"),
)


def table_name(value: object) -> str | None:
    """The name of ``value`` when it is one of the store's tables (for ``localtitan
    coverage``, which names the tables a behaviour's code uses), else None."""
    return value.name if isinstance(value, Table) else None
