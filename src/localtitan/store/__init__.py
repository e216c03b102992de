"""Storage: SQLAlchemy Core tables, the async engine, and Alembic migrations."""

from localtitan.store.database import Connection, Database, open_database
from localtitan.store.migrate import migrate

__all__ = ["Connection", "Database", "migrate", "open_database"]
