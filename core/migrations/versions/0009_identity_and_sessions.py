"""identity and sessions (issue #11): users, groups, memberships, web sessions, API keys, sign-in throttling and
the hash-chained audit trail. New tables only: existing knowledge bases and documents are untouched.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('username', sa.String(200), nullable=False, unique=True),
        sa.Column('display_name', sa.String(200), nullable=False, server_default=''),
        sa.Column('password_hash', sa.String(200), nullable=True),
        sa.Column('source', sa.String(20), nullable=False, server_default='local'),
        sa.Column('system_admin', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()),
        _when('created_at', False), _when('password_changed_at'), _when('last_login_at'))
    op.create_table(
        'groups',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False, unique=True),
        sa.Column('description', sa.Text(), nullable=False, server_default=''),
        _when('created_at', False))
    op.create_table(
        'group_members',
        sa.Column('group_id', sa.String(32), sa.ForeignKey('groups.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('user_id', sa.String(32), sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True))
    op.create_index('ix_group_members_user_id', 'group_members', ['user_id'])
    op.create_table(
        'web_sessions',
        sa.Column('token_hash', sa.String(64), primary_key=True),
        sa.Column('user_id', sa.String(32), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('csrf_token', sa.String(64), nullable=False),
        _when('created_at', False), _when('last_seen_at', False), _when('expires_at', False))
    op.create_index('ix_web_sessions_user_id', 'web_sessions', ['user_id'])
    op.create_table(
        'api_keys',
        sa.Column('id', sa.String(32), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('secret_hash', sa.String(64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('system_admin', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_by', sa.String(200), nullable=False, server_default=''),
        _when('created_at', False), _when('expires_at'), _when('last_used_at'), _when('revoked_at'))
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(200), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        _when('locked_until'), _when('last_failure_at'))
    op.create_table(
        'audit_records',
        sa.Column('seq', sa.Integer(), primary_key=True, autoincrement=False),
        _when('at', False),
        sa.Column('actor', sa.String(200), nullable=False),
        sa.Column('actor_name', sa.String(200), nullable=False, server_default=''),
        sa.Column('action', sa.String(60), nullable=False),
        sa.Column('outcome', sa.String(20), nullable=False, server_default='ok'),
        sa.Column('kb_id', sa.String(32), nullable=True),
        sa.Column('target', sa.String(500), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('prev_hash', sa.String(64), nullable=False),
        sa.Column('hash', sa.String(64), nullable=False))
    for column in ('at', 'actor', 'action', 'kb'):
        op.create_index(f'ix_audit_{column}', 'audit_records', [column if column != 'kb' else 'kb_id'])


def downgrade() -> None:
    for column in ('at', 'actor', 'action', 'kb'):
        op.drop_index(f'ix_audit_{column}', table_name='audit_records')
    op.drop_table('audit_records')
    op.drop_table('login_throttle')
    op.drop_table('api_keys')
    op.drop_index('ix_web_sessions_user_id', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index('ix_group_members_user_id', table_name='group_members')
    op.drop_table('group_members')
    op.drop_table('groups')
    op.drop_table('users')
