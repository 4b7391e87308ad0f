"""The five measured operations, written once over a ``Driver`` that each contender provides.

A driver answers in bearer values (strings), so the same operation objects drive oauth2-core,
Authlib and the raw floor. Every driver checks its own outcome (status 200, a token came back)
inside the timed call: a contender that silently failed would look fast.
"""

from __future__ import annotations

from typing import Protocol

from bench.timing import Operation

__all__ = ["OPERATIONS", "Driver", "make_operation"]

OPERATIONS = ("client_credentials", "bearer_validation", "code_flow", "refresh", "revocation")
VALIDATION_POOL = 512


class Driver(Protocol):
    def client_credentials(self) -> str:
        """Issue an access token to the bench client; return it."""
        ...

    def validate(self, access_token: str) -> None:
        """Validate a bearer token for scope ``read``; raise if it is not active."""
        ...

    def authorize(self) -> str:
        """Authorization request the user approves; return the code."""
        ...

    def exchange(self, code: str) -> tuple[str, str]:
        """Token request for the code (PKCE verifier); return (access, refresh)."""
        ...

    def refresh(self, refresh_token: str) -> str:
        """Refresh with rotation; return the new refresh token."""
        ...

    def revoke(self, token: str) -> None: ...


class _Issue(Operation):
    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    def __call__(self) -> None:
        self.driver.client_credentials()


class _Validate(Operation):
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.pool = [driver.client_credentials() for _ in range(VALIDATION_POOL)]
        self.index = 0

    def __call__(self) -> None:
        self.index = (self.index + 1) % VALIDATION_POOL
        self.driver.validate(self.pool[self.index])


class _CodeFlow(Operation):
    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    def __call__(self) -> None:
        self.driver.exchange(self.driver.authorize())


class _Refresh(Operation):
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.current = driver.exchange(driver.authorize())[1]

    def __call__(self) -> None:
        self.current = self.driver.refresh(self.current)


class _Revoke(Operation):
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.tokens: list[str] = []

    def prepare(self, n: int) -> None:
        self.tokens = [self.driver.client_credentials() for _ in range(n)]

    def __call__(self) -> None:
        self.driver.revoke(self.tokens.pop())


_FACTORIES = {
    "client_credentials": _Issue,
    "bearer_validation": _Validate,
    "code_flow": _CodeFlow,
    "refresh": _Refresh,
    "revocation": _Revoke,
}


def make_operation(name: str, driver: Driver) -> Operation:
    return _FACTORIES[name](driver)
