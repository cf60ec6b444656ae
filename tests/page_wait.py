"""Waiting in a browser page under the UI's Content-Security-Policy.

Playwright's page.wait_for_function compiles its predicate with eval() inside the page, which the policy refuses
(no 'unsafe-eval', as it should be); page.evaluate runs through the DevTools protocol, which the policy does not
govern. Browser tests wait with this instead."""
from __future__ import annotations

import time


def wait_for_js(page, expression: str, timeout_ms: float = 30_000, interval_ms: float = 100) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true after {timeout_ms / 1000:g} s: {expression}"
        page.wait_for_timeout(interval_ms)
