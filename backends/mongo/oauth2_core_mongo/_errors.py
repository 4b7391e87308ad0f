"""Translate pymongo's exceptions into the engine's storage errors, always chained."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
)

from oauth2_core.errors import Conflict, DuplicateKey, StorageUnavailable

__all__ = ["translate_errors"]

# Server error codes that mean "a concurrent writer won; try again" (WriteConflict,
# LockTimeout, TransientTransactionError-style conflicts).
_CONFLICT_CODES = frozenset({112, 24, 251})


@contextmanager
def translate_errors(operation: str) -> Iterator[None]:
    """Run a driver call; re-raise its failure as ``DuplicateKey``, ``Conflict`` or
    ``StorageUnavailable`` with the original exception as ``__cause__``."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise DuplicateKey(f"mongodb {operation}: duplicate key") from exc
    except WriteConcernError as exc:
        # The write may have reached the primary but not a majority: the engine must not
        # report success (SECURITY.md: never a 200 for data not saved).
        raise StorageUnavailable(f"mongodb {operation}: write concern not satisfied") from exc
    except (ConnectionFailure, ExecutionTimeout) as exc:
        raise StorageUnavailable(f"mongodb {operation}: {type(exc).__name__}") from exc
    except OperationFailure as exc:
        if exc.code in _CONFLICT_CODES or exc.has_error_label("TransientTransactionError"):
            raise Conflict(f"mongodb {operation}: write conflict") from exc
        raise StorageUnavailable(f"mongodb {operation}: server error {exc.code}") from exc
    except PyMongoError as exc:
        raise StorageUnavailable(f"mongodb {operation}: {type(exc).__name__}") from exc
