"""Authentication on the HTTP face: which credential a request carries (API key or session cookie), the CSRF
check of cookie requests, the session cookies themselves, the system-admin gate and the audit of denials."""
