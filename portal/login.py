"""Portal login (HTTP Basic against CLV_PORTAL_USERS' scrypt hashes), cheap after the first success.

* Credentials that verified are remembered for ``REMEMBER_SECONDS`` under an HMAC of the name and
  password with a per-process key, so a session's later requests (assets, callbacks) cost no scrypt.
* An unknown name is checked against a dummy hash of the same method: it costs what a real one does.
* Failed attempts are limited per client address: after ``max_failures`` within ``WINDOW_SECONDS``
  the client is answered 429 with Retry-After (no hashing) until the oldest failure ages out;
  remembered credentials still pass.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

REMEMBER_SECONDS = 300.0
REMEMBERED_MAX = 1024
WINDOW_SECONDS = 60.0
CLIENTS_MAX = 10_000


@dataclass(frozen=True)
class Verdict:
    """The outcome of one login attempt: ``ok``, or refused with ``retry_after`` seconds when the
    client is over its failure limit (None for a plain wrong login)."""

    ok: bool
    retry_after: int | None = None


class Login:
    """Verifies portal credentials; thread-safe, one instance per app (state is per process)."""

    def __init__(
        self,
        users: dict[str, str],
        max_failures: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.users, self.max_failures, self.clock = users, max_failures, clock
        method = next(iter(users.values()), "scrypt").split("$", 1)[0]
        self.dummy_hash = generate_password_hash(secrets.token_hex(16), method=method)
        self._key = secrets.token_bytes(32)
        self._remembered: OrderedDict[bytes, float] = OrderedDict()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, client: str, username: str, password: str) -> Verdict:
        """Check one request's credentials from ``client`` (its remote address)."""
        token = hmac.digest(self._key, f"{username}\0{password}".encode(), hashlib.sha256)
        now = self.clock()
        with self._lock:
            if self._remembered.get(token, -math.inf) > now:
                return Verdict(True)
            wait = self._retry_after(client, now)
        if wait is not None:
            return Verdict(False, wait)
        hashed = self.users.get(username)
        ok = check_password_hash(hashed or self.dummy_hash, password) and hashed is not None
        with self._lock:
            if ok:
                self._remember(token, now)
            else:
                self._fail(client, now)
        return Verdict(ok)

    def _retry_after(self, client: str, now: float) -> int | None:
        failures = self._failures.get(client)
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        if not failures or len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[0] + WINDOW_SECONDS - now))

    def _remember(self, token: bytes, now: float) -> None:
        self._remembered[token] = now + REMEMBER_SECONDS
        self._remembered.move_to_end(token)
        while len(self._remembered) > REMEMBERED_MAX:
            self._remembered.popitem(last=False)

    def _fail(self, client: str, now: float) -> None:
        self._failures.setdefault(client, deque()).append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > CLIENTS_MAX:
            self._failures.popitem(last=False)
