"""Typed hook registries: how a lower app lets higher apps react without importing them.

A lower app (tenancy) declares one `Hook` per reaction, with the signature its callers
promise; a higher app (rentregister, cprlookup, gdpr, ...) registers its function in its
`AppConfig.ready()`. The lower app calls `hook.call(...)` or iterates the registered
functions. This is the whole mechanism: no event bus, no plugin loader (see
docs/architecture.md, "Hooks").
"""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Hook(Generic[F]):
    """An ordered list of functions of one signature, filled once at start-up.

    Registering the same function twice is a no-op, so `ready()` running again (tests,
    autoreload) does not make a reaction happen twice."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name = name
        self.__doc__ = doc
        self._functions: list[F] = []

    def register(self, function: F) -> F:
        """Add `function` (usable as a decorator)."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def unregister(self, function: F) -> None:
        """Remove `function` (tests that need an app's reaction switched off)."""
        if function in self._functions:
            self._functions.remove(function)

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._functions))

    def __len__(self) -> int:
        return len(self._functions)

    def call(self, *args: object, **kwargs: object) -> None:
        """Call every registered function in order; an exception propagates (the caller's
        transaction rolls back, so a reaction that must be atomic with a change is)."""
        for function in self:
            function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self)} registered>"
