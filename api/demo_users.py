"""The demo's people (`zhiku serve --demo`): an administrator, a credit officer (group "credit") and a teller
(group "tellers"), with the well-known passwords the README lists. A demo only: never on real data."""
from __future__ import annotations

import logging

from zhiku.core.errors import Conflict
from zhiku.core.identity.identity import Identity

log = logging.getLogger(__name__)

# (user name, display name, password, system admin, groups)
DEMO_USERS = [
    ("admin", "系统管理员 Admin", "Zhiku-Root-2026!", True, []),
    ("officer", "信贷员 Li (credit officer)", "Credit-Desk-2026!", False, ["credit"]),
    ("teller", "柜员 Wang (teller)", "Counter-Desk-2026!", False, ["tellers"]),
]
DEMO_GROUPS = {"credit": "Credit officers: may read the credit report materials",
               "tellers": "Branch tellers"}


def ensure_demo_users(identity: Identity) -> None:
    """Create the demo groups and users that are missing (an existing user keeps its password)."""
    for name, description in DEMO_GROUPS.items():
        if identity.users.find_group(name) is None:
            try:
                identity.users.create_group(name, description)
            except Conflict:
                pass
    created = []
    for username, display, password, admin, groups in DEMO_USERS:
        if identity.users.find_user(username) is not None:
            continue
        try:
            user = identity.users.create_user(username, password, display, system_admin=admin)
        except Conflict:
            continue
        identity.users.set_groups(user.id, groups)
        identity.audit.record(None, "user.create", target=username, demo=True, groups=groups, system_admin=admin)
        created.append(username)
    if created:
        log.warning("demo users created with the README's well-known passwords: %s (a demo only)", ", ".join(created))
