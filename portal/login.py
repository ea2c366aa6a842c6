"""Portal login (HTTP Basic against CLV_PORTAL_USERS' scrypt hashes), cheap after the first success.

* Credentials that verified are remembered for ``REMEMBER_SECONDS`` under an HMAC of the name and
  password with a per-process key, so a session's later requests (assets, callbacks) cost no scrypt.
* An unknown name is checked against a dummy hash of the same method: it costs what a real one does.
* Failed attempts are limited per client address and user name: after ``max_failures`` within
  ``WINDOW_SECONDS`` that pair is answered 429 with Retry-After (no hashing) until its oldest failure
  ages out, so guessing one name's password locks out neither other names nor other clients. A
  client is also limited to ``CLIENT_FACTOR`` times that across all names (each guess costs a
  hash). Remembered credentials still pass. Behind a proxy the client address is the proxy's unless
  ``TRUSTED_PROXIES`` says how many to skip (``portal.security``).
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
CLIENT_FACTOR = 10
NAME_KEPT = 128  # characters of a name kept as a failure key (headers allow ~8 kB)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one login attempt: ``ok``, or refused with ``retry_after`` seconds when the
    client (for this name, or over all names) is over its failure limit (None for a plain wrong
    login)."""

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
        self._failures: OrderedDict[tuple[str, str | None], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, client: str, username: str, password: str) -> Verdict:
        """Check one request's credentials from ``client`` (its address)."""
        token = hmac.digest(self._key, f"{username}\0{password}".encode(), hashlib.sha256)
        now = self.clock()
        with self._lock:
            if self._remembered.get(token, -math.inf) > now:
                return Verdict(True)
            waits = [
                self._retry_after((client, username[:NAME_KEPT]), self.max_failures, now),
                self._retry_after((client, None), self.max_failures * CLIENT_FACTOR, now),
            ]
            wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            return Verdict(False, wait)
        hashed = self.users.get(username)
        ok = check_password_hash(hashed or self.dummy_hash, password) and hashed is not None
        with self._lock:
            if ok:
                self._remember(token, now)
            else:
                self._fail((client, username[:NAME_KEPT]), now)
                self._fail((client, None), now)
        return Verdict(ok)

    def _retry_after(self, key: tuple[str, str | None], limit: int, now: float) -> int | None:
        """Seconds until ``key`` (a client and a name, or None for all names) may try again; None
        when under ``limit`` failures in the window."""
        failures = self._failures.get(key)
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        if not failures or len(failures) < limit:
            return None
        return max(1, math.ceil(failures[-limit] + WINDOW_SECONDS - now))

    def _remember(self, token: bytes, now: float) -> None:
        self._remembered[token] = now + REMEMBER_SECONDS
        self._remembered.move_to_end(token)
        while len(self._remembered) > REMEMBERED_MAX:
            self._remembered.popitem(last=False)

    def _fail(self, key: tuple[str, str | None], now: float) -> None:
        self._failures.setdefault(key, deque()).append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > CLIENTS_MAX:
            self._failures.popitem(last=False)
