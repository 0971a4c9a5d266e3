"""alembic's environment for every service: the engine and the models come from the caller
(``libs.common.migrations``), which names the service; the revisions are the service's own."""
from alembic import context

from libs.common.migrations import metadata_of

config = context.config
with config.attributes["engine"].connect() as connection:
    context.configure(connection=connection, target_metadata=metadata_of(config.attributes["service"]),
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
