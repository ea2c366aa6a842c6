"""The start check: with the API token set and no portal users, a server bound to a non-loopback
address refuses to start (its pages would show the data the token protects) unless
``CLV_PORTAL_OPEN=1`` says the pages are meant to be open (e.g. behind an authenticating proxy)."""

from __future__ import annotations

import ipaddress

from portal.config import Settings
from portal.security import parse_users


def loopback(bind: str) -> bool:
    """Whether a bind address (``host``, ``host:port``, ``[v6]:port``, ``unix:path``) takes only
    local connections; a host name other than localhost counts as public."""
    if bind.startswith("unix:"):
        return True
    host = bind[1:].partition("]")[0] if bind.startswith("[") else bind
    if host.count(":") == 1:
        host = host.partition(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problem(settings: Settings, binds: list[str]) -> str | None:
    """Why the server must not start on ``binds``, or None."""
    if not settings.api_token or parse_users(settings.portal_users) or settings.portal_open:
        return None
    public = [bind for bind in binds if not loopback(bind)]
    if not public:
        return None
    return (
        f"CLV_API_TOKEN protects the API but the portal pages, which show the same data, are "
        f"open on {', '.join(public)}: set CLV_PORTAL_USERS, bind to 127.0.0.1, or set "
        f"CLV_PORTAL_OPEN=1 if the pages are meant to be open"
    )


def refuse_exposed_start(settings: Settings, binds: list[str]) -> None:
    """Exit with the exposure problem's message (before serving), if there is one."""
    problem = exposure_problem(settings, binds)
    if problem:
        raise SystemExit(f"error: {problem}")
