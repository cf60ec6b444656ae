from alembic import context
from sqlalchemy import create_engine

from zhiku.core.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` run from the command line: take the URL from the settings
    from zhiku.core.settings import get_settings

    connection = create_engine(get_settings().resolved_database_url).connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
