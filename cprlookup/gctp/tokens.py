"""The sign-on token, shared by every process on the machine through a file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class TokenStore:
    """The sign-on token in a JSON file shared by every process on the machine.

    Reads need no lock (writes replace the file atomically); signing on happens under an
    exclusive ``fcntl`` lock on a sibling ``.lock`` file so that only one process signs on
    and the others pick up its token.
    """

    def __init__(self, path: Path, identity: str) -> None:
        self.path = path
        self.identity = identity  # base URL + user id: a token for another service is no use
        self.lock_path = path.with_name(path.name + ".lock")

    def read(self) -> tuple[str, float] | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("identity") != self.identity:
            return None
        token, use_until = data.get("token"), data.get("use_until")
        if not isinstance(token, str) or not isinstance(use_until, int | float):
            return None
        if use_until <= time.time():
            return None
        return token, float(use_until)

    def write(self, token: str, use_until: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".gctp-token-")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump({"identity": self.identity, "token": token, "use_until": use_until}, fh)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
