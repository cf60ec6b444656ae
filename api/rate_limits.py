"""Per-client rate limits (the `limits` library, moving window): a dependency of every router but health.

The key is the caller when sign-in has identified one (`request.state.caller`, set by the authentication
dependency, which must run before this one), else the client's address. Expensive routes (searches, answers,
page previews: api/work_limits.py) share ZHIKU_RATE_LIMIT_EXPENSIVE per client and class; everything else
ZHIKU_RATE_LIMIT_OTHER. Over the limit: 429 with Retry-After. The counters live in memory (one process) or in
the storage ZHIKU_RATE_LIMIT_STORAGE names (redis://host:6379 for several processes; needs the redis package).
"""
from __future__ import annotations

import math
import time

from fastapi import Request
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from zhiku.api.work_limits import RouteCost, route_cost
from zhiku.core.errors import RateLimited


class RateLimits:
    def __init__(self, expensive: str, other: str, storage_uri: str = "memory://"):
        self.expensive = parse(expensive)
        self.other = parse(other)
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))

    async def check(self, request: Request) -> None:
        cost = route_cost(request.method, request.url.path)
        item = self.other if cost is RouteCost.OTHER else self.expensive
        key = caller_key(request)
        if await self._limiter.hit(item, cost.value, key):
            return
        stats = await self._limiter.get_window_stats(item, cost.value, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"Too many requests from this client ({item}); try again in {retry_after} s.", retry_after)


def caller_key(request: Request) -> str:
    caller = getattr(request.state, "caller", None)
    if caller is not None:
        return f"caller:{getattr(caller, 'subject', None) or caller}"
    return f"address:{request.client.host if request.client else 'unknown'}"


async def enforce_rate_limit(request: Request) -> None:
    await request.app.state.rate_limits.check(request)
