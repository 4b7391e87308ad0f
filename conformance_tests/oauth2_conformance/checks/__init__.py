"""Check bodies, one module per group; importing this package registers them all."""

from oauth2_conformance.checks import (  # noqa: F401
    at_rest,
    clients,
    codes,
    errors,
    expiry,
    flows,
    model,
    native_ttl,
    precision,
    races,
    revocation,
    rotation,
    skew,
    tokens,
)
