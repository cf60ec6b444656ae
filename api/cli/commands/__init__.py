"""The `zhiku` command groups: one module each, with `register(app)` (see zhiku.api.cli)."""
