"""Directory sign-in by LDAP simple bind (ldap3): the user's own DN and password are the proof; the user's
groups are then read with that same connection and mapped to Zhiku groups (ZHIKU_LDAP_GROUP_MAP)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectoryUser:
    username: str
    dn: str
    display_name: str
    groups: frozenset[str]          # directory group cns
    zhiku_groups: tuple[str, ...]   # mapped Zhiku group names
    system_admin: bool


class LdapDirectory:
    def __init__(self, url: str, user_dn_template: str, group_base: str | None, group_filter: str,
                 group_map: dict[str, str], admin_group: str | None = None, start_tls: bool = False,
                 timeout: float = 5.0):
        self.url = url
        self.user_dn_template = user_dn_template
        self.group_base = group_base
        self.group_filter = group_filter
        self.group_map = group_map
        self.admin_group = admin_group
        self.start_tls = start_tls
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings) -> LdapDirectory | None:
        if not settings.ldap_url:
            return None
        return cls(settings.ldap_url, settings.ldap_user_dn_template, settings.ldap_group_base,
                   settings.ldap_group_filter, settings.ldap_group_map, settings.ldap_admin_group,
                   settings.ldap_start_tls, settings.ldap_timeout_seconds)

    def authenticate(self, username: str, password: str) -> DirectoryUser | None:
        """The directory's view of the user when the bind succeeds, else None. An empty password is refused
        here: LDAP treats a bind with a DN and no password as an anonymous bind, which "succeeds"."""
        from ldap3 import SUBTREE, Connection, Server
        from ldap3.core.exceptions import LDAPException
        from ldap3.utils.conv import escape_filter_chars
        from ldap3.utils.dn import escape_rdn

        if not password or not username:
            return None
        dn = self.user_dn_template.format(username=escape_rdn(username))
        server = Server(self.url, connect_timeout=self.timeout)
        try:
            connection = Connection(server, user=dn, password=password, receive_timeout=max(1, round(self.timeout)),
                                    raise_exceptions=False, read_only=True)
            if not connection.open() and connection.closed:
                log.warning("LDAP server %s does not answer", self.url)
                return None
            if self.start_tls:
                connection.start_tls()
            if not connection.bind():
                return None
            try:
                display = username
                if connection.search(dn, "(objectClass=*)", attributes=["cn", "displayName"], size_limit=1) \
                        and connection.entries:
                    entry = connection.entries[0]
                    display = str(entry["displayName"] if "displayName" in entry and entry["displayName"] else
                                  entry["cn"] if "cn" in entry else username)
                groups: set[str] = set()
                if self.group_base:
                    search_filter = self.group_filter.format(user_dn=escape_filter_chars(dn),
                                                             username=escape_filter_chars(username))
                    connection.search(self.group_base, search_filter, SUBTREE, attributes=["cn"])
                    groups = {str(entry["cn"]) for entry in connection.entries if "cn" in entry}
            finally:
                connection.unbind()
        except (LDAPException, OSError) as exc:
            log.warning("LDAP sign-in failed: %s", type(exc).__name__)
            return None
        mapped = tuple(sorted({self.group_map[g] for g in groups if g in self.group_map}))
        return DirectoryUser(username, dn, display, frozenset(groups), mapped,
                             bool(self.admin_group and self.admin_group in groups))
