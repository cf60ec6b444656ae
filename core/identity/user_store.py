"""Users, groups and memberships in the metadata store."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zhiku.core.errors import Conflict, InvalidInput, NotFound
from zhiku.core.identity.models import Group, GroupMember, User
from zhiku.core.identity.passwords import check_password_policy, hash_password
from zhiku.core.models import utcnow
from zhiku.core.identity.plain_text import has_control_characters, without_control_characters

_NAME = re.compile(r"^[\w.@-]{1,100}$")


def normal_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _NAME.match(name):
        raise InvalidInput("A user name is 1-100 letters, digits, '.', '_', '@' or '-'.")
    return name


def plain_text(value: str, field: str, limit: int = 200) -> str:
    """A display name or description: no control characters (PostgreSQL refuses NUL; terminals obey escapes)."""
    value = (value or "").strip()
    if has_control_characters(value) or len(value) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters without control characters")
    return value


def normal_group_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput("A group name is 1-100 letters, digits, '.', '_', '@' or '-'.")
    return name


class UserStore:
    def __init__(self, sessions: sessionmaker[Session], password_min_length: int = 12):
        self._sessions = sessions
        self.password_min_length = password_min_length

    # -- users ----------------------------------------------------------------------------------
    def count_users(self) -> int:
        with self._sessions() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def create_user(self, username: str, password: str | None, display_name: str = "", system_admin: bool = False,
                    source: str = "local") -> User:
        name = normal_username(username)
        if source == "local":
            if password is None:
                raise InvalidInput("A local user needs a password.")
            check_password_policy(password, name, self.password_min_length)
        with self._sessions() as s:
            user = User(username=name, display_name=plain_text(display_name, "display_name") or name,
                        system_admin=system_admin,
                        source=source, password_hash=hash_password(password) if password is not None else None,
                        password_changed_at=utcnow() if password is not None else None)
            s.add(user)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(f"a user named {name!r} already exists") from None
            return user

    def find_user(self, id_or_username: str) -> User | None:
        with self._sessions() as s:
            user = s.get(User, id_or_username)
            if user is None:
                user = s.scalar(select(User).where(User.username == (id_or_username or "").strip().lower()))
            return user

    def get_user(self, id_or_username: str) -> User:
        user = self.find_user(id_or_username)
        if user is None:
            raise NotFound(f"user {id_or_username!r} not found")
        return user

    def list_users(self) -> list[User]:
        with self._sessions() as s:
            return list(s.scalars(select(User).order_by(User.username)))

    def update_user(self, id_or_username: str, **changes) -> User:
        """Set display_name, system_admin or disabled."""
        allowed = {"display_name", "system_admin", "disabled"}
        if set(changes) - allowed:
            raise InvalidInput(f"only {sorted(allowed)} can be changed here")
        user_id = self.get_user(id_or_username).id
        if "display_name" in changes:
            changes["display_name"] = plain_text(changes["display_name"], "display_name")
        with self._sessions() as s:
            user = s.get(User, user_id)
            for name, value in changes.items():
                setattr(user, name, value)
            s.commit()
            return user

    def set_password(self, id_or_username: str, password: str) -> User:
        user = self.get_user(id_or_username)
        if user.source != "local":
            raise InvalidInput("This user signs in through the directory; change the password there.")
        check_password_policy(password, user.username, self.password_min_length)
        with self._sessions() as s:
            row = s.get(User, user.id)
            row.password_hash = hash_password(password)
            row.password_changed_at = utcnow()
            s.commit()
            return row

    def rehash_password(self, user_id: str, password: str) -> None:
        with self._sessions() as s:
            row = s.get(User, user_id)
            if row is not None:
                row.password_hash = hash_password(password)
                s.commit()

    def mark_signed_in(self, user_id: str, when: datetime | None = None) -> None:
        with self._sessions() as s:
            row = s.get(User, user_id)
            if row is not None:
                row.last_login_at = when or utcnow()
                s.commit()

    def upsert_directory_user(self, username: str, display_name: str, system_admin: bool) -> User:
        """The local record of a directory user, created at first sign-in and refreshed at each."""
        name = normal_username(username)
        with self._sessions() as s:
            user = s.scalar(select(User).where(User.username == name))
            if user is None:
                user = User(username=name, display_name=without_control_characters(display_name or "")[:200] or name,
                            source="ldap", system_admin=system_admin)
                s.add(user)
            elif user.source != "ldap":
                raise Conflict(f"{name!r} is a local user; the directory cannot sign it in")
            else:
                user.display_name = without_control_characters(display_name or "")[:200] or name
                user.system_admin = system_admin
            s.commit()
            return user

    # -- groups ---------------------------------------------------------------------------------
    def create_group(self, name: str, description: str = "") -> Group:
        name = normal_group_name(name)
        description = plain_text(description, "description", 2000)
        with self._sessions() as s:
            group = Group(name=name, description=description)
            s.add(group)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(f"a group named {name!r} already exists") from None
            return group

    def find_group(self, id_or_name: str) -> Group | None:
        with self._sessions() as s:
            return s.get(Group, id_or_name) or s.scalar(select(Group).where(Group.name == (id_or_name or "").strip()))

    def get_group(self, id_or_name: str) -> Group:
        group = self.find_group(id_or_name)
        if group is None:
            raise NotFound(f"group {id_or_name!r} not found")
        return group

    def list_groups(self) -> list[Group]:
        with self._sessions() as s:
            return list(s.scalars(select(Group).order_by(Group.name)))

    def delete_group(self, id_or_name: str) -> Group:
        group = self.get_group(id_or_name)
        with self._sessions() as s:
            s.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
            s.execute(delete(Group).where(Group.id == group.id))
            s.commit()
        return group

    def add_member(self, group: str, user: str) -> None:
        group_id, user_id = self.get_group(group).id, self.get_user(user).id
        with self._sessions() as s:
            if s.get(GroupMember, (group_id, user_id)) is None:
                s.add(GroupMember(group_id=group_id, user_id=user_id))
                s.commit()

    def remove_member(self, group: str, user: str) -> None:
        group_id, user_id = self.get_group(group).id, self.get_user(user).id
        with self._sessions() as s:
            s.execute(delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id))
            s.commit()

    def groups_of(self, user_id: str) -> list[Group]:
        with self._sessions() as s:
            return list(s.scalars(select(Group).join(GroupMember, GroupMember.group_id == Group.id)
                                  .where(GroupMember.user_id == user_id).order_by(Group.name)))

    def members_of(self, group: str) -> list[User]:
        group_id = self.get_group(group).id
        with self._sessions() as s:
            return list(s.scalars(select(User).join(GroupMember, GroupMember.user_id == User.id)
                                  .where(GroupMember.group_id == group_id).order_by(User.username)))

    def set_groups(self, user_id: str, group_names: list[str]) -> None:
        """Make the user a member of exactly these groups (created when missing): a directory user's groups."""
        wanted = {self.find_group(name) or self._create_group_quietly(name) for name in group_names}
        wanted_ids = {g.id for g in wanted}
        with self._sessions() as s:
            current = set(s.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id)))
            for gone in current - wanted_ids:
                s.execute(delete(GroupMember).where(GroupMember.group_id == gone, GroupMember.user_id == user_id))
            for new in wanted_ids - current:
                s.add(GroupMember(group_id=new, user_id=user_id))
            s.commit()

    def _create_group_quietly(self, name: str) -> Group:
        try:
            return self.create_group(name, "mapped from the directory")
        except Conflict:  # created meanwhile by another sign-in
            return self.get_group(name)
