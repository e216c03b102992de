"""Alembic environment: always handed a live connection by ``localtitan.store.migrate``."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
