"""What the identity commands share: the identity stores over the configured metadata store (migrated first),
without starting the service, and the caller the audit trail names for a command run on the server."""
from __future__ import annotations

import getpass
from contextlib import contextmanager

from zhiku.core.access import Caller, CallerKind


@contextmanager
def open_identity():
    from zhiku.core.db import make_engine, migrate, session_factory
    from zhiku.core.identity.identity import Identity
    from zhiku.core.settings import get_settings
    from zhiku.guardrails.pii import mask_pii

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        yield Identity(session_factory(engine), settings, masker=lambda text, _kb: mask_pii(text))
    finally:
        engine.dispose()


def cli_caller() -> Caller:
    """Whoever runs `zhiku` on the server already holds its data folder and database: the system, named."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        who = "unknown"
    return Caller(subject="system", kind=CallerKind.SYSTEM, name=f"cli:{who}", system_admin=True)
