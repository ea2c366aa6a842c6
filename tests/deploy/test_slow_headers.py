"""Slow-header clients against gunicorn as configured (gunicorn.conf.py: 2 workers x 2 threads, the
header-deadline gthread worker): they cannot stall the server (issue #15, item 11)."""

import socket
import threading

import requests

from portal.gunicorn_worker import HEADER_SECONDS
from tests.serve import gunicorn

WORKERS, THREADS = 2, 2
GUNICORN_TIMEOUT = 60  # gunicorn.conf.py's default request timeout: the generous bound here
PARTIAL = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def slow_clients(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that sent half a request and wait."""
    clients = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(PARTIAL)
        clients.append(client)
    return clients


def closed_by_server(client: socket.socket) -> bool:
    """Whether the server closed the connection (waiting up to the gunicorn timeout for it)."""
    client.settimeout(GUNICORN_TIMEOUT)
    try:
        return client.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def trickle(port: int, ended: list) -> None:
    """A client sending a long header a byte at a time, slower than any deadline allows; records
    whether the server closed it before the header was complete."""
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(PARTIAL)
        for _ in range(int(4 * HEADER_SECONDS * 2)):  # 2 bytes a second: 4 x the deadline
            try:
                client.sendall(b"x")
            except OSError:
                ended.append("closed")
                return
            if closed_soon(client):
                ended.append("closed")
                return
    ended.append("served to the end")


def closed_soon(client: socket.socket) -> bool:
    """Whether the server closed the connection within half a second (the trickle's pace)."""
    client.settimeout(0.5)
    try:
        return client.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_header_clients_do_not_stall_the_server(copied_data_dir):
    with gunicorn(copied_data_dir, workers=WORKERS) as (url, _proc):
        port = int(url.rsplit(":", 1)[1])
        ended: list[str] = []
        trickler = threading.Thread(target=trickle, args=(port, ended))
        trickler.start()
        clients = slow_clients(port, 2 * WORKERS * THREADS)  # twice every thread of both workers
        health = requests.get(f"{url}/api/health", timeout=GUNICORN_TIMEOUT)
        assert health.status_code == 200 and health.json()["customers"] == 23570
        with requests.Session() as session:  # keep-alive requests are served as before
            for _ in range(3):
                assert session.get(f"{url}/api/health", timeout=GUNICORN_TIMEOUT).ok
        assert [closed_by_server(client) for client in clients] == [True] * len(clients)
        trickler.join(timeout=4 * HEADER_SECONDS + GUNICORN_TIMEOUT)
        assert ended == ["closed"]  # a deadline on the whole header, not on each read
        for client in clients:
            client.close()
