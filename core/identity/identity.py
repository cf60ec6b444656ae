"""Identity, assembled: the stores of users, groups, sessions, API keys, sign-in throttling and the audit trail
over one metadata store, sign-in (local password or directory) and the `Caller` each credential stands for."""
from __future__ import annotations

import secrets
import string
import sys
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.access import Caller, CallerKind
from zhiku.core.errors import Unauthenticated
from zhiku.core.identity.api_keys import ApiKeyStore, scopes_for_caller
from zhiku.core.identity.audit_trail import AuditTrail, Masker
from zhiku.core.identity.ldap_directory import LdapDirectory
from zhiku.core.identity.login_throttle import LoginThrottleStore
from zhiku.core.identity.models import ApiKey, User
from zhiku.core.identity.passwords import needs_rehash, verify_password
from zhiku.core.identity.user_store import UserStore
from zhiku.core.identity.web_sessions import SessionStore
from zhiku.core.models import utcnow
from zhiku.core.identity.plain_text import without_control_characters

SIGN_IN_FAILED = "Wrong user name or password."  # the same words whatever was wrong: no user enumeration


class Identity:
    def __init__(self, sessions: sessionmaker[Session], settings, masker: Masker | None = None):
        self.settings = settings
        self.users = UserStore(sessions, settings.password_min_length)
        self.sessions = SessionStore(sessions, timedelta(minutes=settings.session_idle_minutes),
                                     timedelta(hours=settings.session_max_hours))
        self.keys = ApiKeyStore(sessions, settings.api_key_default_days)
        self.throttle = LoginThrottleStore(sessions, settings.login_max_failures,
                                           timedelta(minutes=settings.login_lockout_minutes))
        self.audit = AuditTrail(sessions, masker)
        self.directory = LdapDirectory.from_settings(settings)

    # -- callers --------------------------------------------------------------------------------
    def caller_for_user(self, user: User) -> Caller:
        return Caller(subject=f"user:{user.id}", kind=CallerKind.USER, name=user.display_name or user.username,
                      groups=frozenset(g.id for g in self.users.groups_of(user.id)), system_admin=user.system_admin)

    @staticmethod
    def caller_for_key(key: ApiKey) -> Caller:
        return Caller(subject=f"key:{key.id}", kind=CallerKind.SERVICE, name=key.name, system_admin=key.system_admin,
                      key_scopes=scopes_for_caller(key.scopes))

    # -- sign-in --------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> User:
        """The user a name and password prove, else Unauthenticated with one message for every cause (unknown
        name, wrong password, disabled user) but the lockout, which is counted per name whether it exists or
        not and so tells nothing either. Every attempt goes to the audit trail."""
        # Control characters never reach the store (PostgreSQL refuses NUL); such a name matches no user.
        name = without_control_characters((username or "").strip().lower())[:200]
        password = password or ""
        anonymous_target = name or "(empty)"
        until = self.throttle.locked_until(name)
        if until is not None:
            minutes = max(1, int((until - utcnow()).total_seconds() // 60) + 1)
            self.audit.record(None, "auth.sign_in", target=anonymous_target, outcome="denied", reason="locked")
            raise Unauthenticated(f"Too many failed sign-ins with this user name; try again in {minutes} min.")
        user = self.users.find_user(name) if name else None
        if user is not None and user.source == "local":
            proven = verify_password(user.password_hash, password)
            if proven and needs_rehash(user.password_hash):
                self.users.rehash_password(user.id, password)
        elif self.directory is not None and (user is None or user.source == "ldap"):
            found = self.directory.authenticate(name, password) if name else None
            proven = found is not None
            if found is not None:
                user = self.users.upsert_directory_user(name, found.display_name, found.system_admin)
                self.users.set_groups(user.id, list(found.zhiku_groups))
        else:
            verify_password(None, password)  # spend the time a real check takes
            proven = False
        if not proven or user is None or user.disabled:
            locked = self.throttle.failed(name)
            self.audit.record(None, "auth.sign_in", target=anonymous_target, outcome="failed",
                              reason="locked out now" if locked else "bad credentials")
            raise Unauthenticated(SIGN_IN_FAILED)
        self.throttle.succeeded(name)
        self.users.mark_signed_in(user.id)
        self.audit.record(self.caller_for_user(user), "auth.sign_in", target=user.username,
                          method=user.source)
        return user

    # -- first start ----------------------------------------------------------------------------
    def ensure_first_admin(self, out=None) -> User | None:
        """With no user at all, create the system administrator: ZHIKU_ADMIN_PASSWORD, or a generated password
        printed once (never logged)."""
        if self.users.count_users():
            return None
        configured = self.settings.admin_password.get_secret_value() if self.settings.admin_password else None
        password = configured or generate_password(max(20, self.settings.password_min_length))
        from zhiku.core.errors import Conflict

        try:
            user = self.users.create_user(self.settings.admin_username, password, "Administrator", system_admin=True)
        except Conflict:  # another process created it at the same moment
            return None
        self.audit.record(None, "user.create", target=user.username, system_admin=True, first_start=True)
        if not configured:
            print(f"\nZhiku: created the system administrator {user.username!r} with the password\n\n    {password}\n\n"
                  "It is shown only this once: sign in and change it (`zhiku users passwd`).\n",
                  file=out or sys.stderr, flush=True)
        return user


def generate_password(length: int = 20) -> str:
    """A random password that meets the policy (all four kinds of characters)."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(c in "-_.!" for c in password)):
            return password
