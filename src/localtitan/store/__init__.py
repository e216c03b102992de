"""Storage: SQLAlchemy Core tables, the async engine, and Alembic migrations."""

from localtitan.store.database import Database, open_database
from localtitan.store.migrate import migrate

__all__ = ["Database", "migrate", "open_database"]
