"""Keep-alive HTTP connections to CPR (standard library ``http.client``)."""

from __future__ import annotations

import http.client
import select
import socket

# A keep-alive connection used within this many seconds is reused without first asking the
# kernel whether the server closed it (a system call per search in a busy scan); should the
# server have closed it anyway, the send fails and the search is retried on a new one.
IDLE_CHECK_SECONDS = 1.0


class Connection(http.client.HTTPConnection):
    """http.client sends a request's headers and body in two writes: without TCP_NODELAY
    the body waits for the ACK of the headers (Nagle + delayed ACK)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class TlsConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def dropped(sock) -> bool:
    """An idle keep-alive socket that is readable has been closed by the server."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
