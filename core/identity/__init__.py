"""Who people and systems are (issue #11, authentication): users, groups, passwords, web sessions, API keys,
directory sign-in and the audit trail. What a caller may read is decided elsewhere (core/access.py)."""
