"""Request rate limits per API key or personal token: a token bucket for each.

A caller may spend ``burst`` requests at once; the bucket refills at the steady rate.
A request with an empty bucket is refused with RateLimited (429) and the seconds until
the next request would pass. The check is a dictionary lookup under a lock, so it costs
microseconds and no database round trip.

Known shortcoming: each app server keeps its own buckets, so behind N servers a key may
make up to N times its rate. A shared counter (Redis, or the database) would remove that
at the cost of a round trip per request.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable

from govops.core.settings import Settings
from govops.security.errors import RateLimited
from govops.security.permissions import Principal

# Past this many callers tracked, buckets that have refilled are forgotten: a full
# bucket is what a caller seen for the first time gets anyway.
MAX_TRACKED = 100_000


class RateLimiter:
    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._per_second = per_minute / 60
        self._clock = clock
        self._buckets: dict[Hashable, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(per_minute=settings.api_requests_per_minute, burst=settings.api_request_burst)

    def take(self, caller: Hashable) -> float:
        """Spend one request of ``caller``: 0 when it may go, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self._per_second)
            if tokens >= 1:
                self._buckets[caller] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[caller] = (tokens, now)
                wait = (1 - tokens) / self._per_second
            if len(self._buckets) > MAX_TRACKED:
                self._forget_full(now)
        return wait

    def check(self, principal: Principal) -> None:
        """Raise RateLimited when the principal's key (or person) is over its rate."""
        caller = ("key", principal.key_id) if principal.key_id else ("user", principal.user_id)
        wait = self.take(caller)
        if wait:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"{principal.name} is over the limit of {self.per_minute} requests a minute "
                f"(bursts of {self.burst}); retry in {retry_after} s",
                retry_after=retry_after,
            )

    def _forget_full(self, now: float) -> None:
        full = [
            caller
            for caller, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self._per_second >= self.burst
        ]
        for caller in full:
            del self._buckets[caller]
