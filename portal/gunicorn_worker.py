"""gunicorn's threaded worker with a deadline on request headers (``worker_class`` in
gunicorn.conf.py).

gunicorn's gthread worker hands a connection to a thread as soon as its first bytes arrive, and the
thread then reads the request line and headers blocking, with no time limit: a few clients that send
half a request and wait hold every thread, and requests queued behind them wait with them. Here a
request's line and headers must have arrived ``HEADER_SECONDS`` after the connection was queued for
a thread (accepted, or readable again on keep-alive); a thread that finds them still incomplete
then closes the connection at once, so a queue of slow clients costs the requests behind it at most
``HEADER_SECONDS``. Headers already received are read whenever a thread gets to them. The body and
the response are not limited (a large upload on a slow link still works). Plain TCP only: TLS ends
at the proxy in front.
"""

from __future__ import annotations

import socket
import time

from gunicorn.workers.gthread import ThreadWorker

HEADER_SECONDS = 10.0


class HeaderDeadlineSocket(socket.socket):
    """A client connection whose reads, while a request's headers are awaited, wait no later than
    its deadline and then end as if the client had left."""

    deadline: float | None = None

    @classmethod
    def adopt(cls, sock: socket.socket) -> HeaderDeadlineSocket:
        """The same connection as this class (``sock`` is detached and must not be used)."""
        timeout = sock.gettimeout()
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.settimeout(timeout)
        return adopted

    def await_headers(self) -> None:
        """A request is expected: its headers must be in within HEADER_SECONDS from now."""
        self.deadline = time.monotonic() + HEADER_SECONDS

    def headers_read(self) -> None:
        """The request's headers are in: reads block as gunicorn expects."""
        self.deadline = None

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.deadline is None:
            return super().recv(size, flags)
        previous = self.gettimeout()
        self.settimeout(max(self.deadline - time.monotonic(), 0.0))  # 0: only what has arrived
        try:
            return super().recv(size, flags)
        except (TimeoutError, BlockingIOError):
            return b""  # the parser sees a client that left; gunicorn closes the connection
        finally:
            self.settimeout(previous)


class HeaderDeadlineWorker(ThreadWorker):
    """gthread whose threads wait for a request's headers no later than HEADER_SECONDS after the
    connection was queued."""

    def enqueue_req(self, conn):
        if not isinstance(conn.sock, HeaderDeadlineSocket):
            conn.sock = HeaderDeadlineSocket.adopt(conn.sock)
        conn.sock.await_headers()
        super().enqueue_req(conn)

    def handle_request(self, req, conn):
        conn.sock.headers_read()
        return super().handle_request(req, conn)
