"""identity and sessions (issue #11). Placeholder, filled in by the branch that owns it.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
