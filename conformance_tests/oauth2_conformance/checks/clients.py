"""Clients (RFC 6749 section 2; RFC 7591 metadata)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oauth2_conformance.context import CheckContext
from oauth2_conformance.records import make_client
from oauth2_conformance.registry import check
from oauth2_core.storage import Capability, ClientLister

WRITE = {Capability.CLIENT_WRITE}


@check(
    "CLIENT-001",
    "A saved client reads back field for field",
    group="clients",
    rfc="RFC 6749 s2; RFC 7591 s2",
    requires=WRITE,
    hint="Persist every Client field (tuples as ordered lists, booleans, created_at) and "
    "rebuild the frozen Client exactly; serialize with a schema, not str().",
)
def client_round_trip(ctx: CheckContext) -> None:
    """Every field of ``Client`` survives ``save_client`` + ``query_client`` unchanged."""
    client = make_client(created_at=datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=UTC))
    ctx.storage.save_client(client)
    assert ctx.make_storage().query_client(client.client_id) == client


@check(
    "CLIENT-002",
    "Unknown client ids read as None",
    group="clients",
    rfc="RFC 6749 s2.2",
    hint="Return None when no row/key/document matches; do not raise and do not return a "
    "placeholder client.",
)
def unknown_client(ctx: CheckContext) -> None:
    """``query_client`` of an id never saved returns ``None``."""
    assert ctx.storage.query_client("no-such-client") is None


@check(
    "CLIENT-003",
    "Client ids are case-sensitive",
    group="clients",
    rfc="RFC 6749 s2.2",
    requires=WRITE,
    hint="Compare client ids byte for byte: use a binary/case-sensitive collation "
    "(MySQL: utf8mb4_bin on the column) and never lower-case keys.",
)
def case_sensitive_ids(ctx: CheckContext) -> None:
    """``Client-X`` and ``client-x`` are different clients; neither finds the other."""
    upper = make_client("Client-X")
    ctx.storage.save_client(upper)
    assert ctx.storage.query_client("client-x") is None, "lookup ignored case"
    lower = make_client("client-x", client_name="lower")
    ctx.storage.save_client(lower)
    assert ctx.storage.query_client("Client-X") == upper
    assert ctx.storage.query_client("client-x") == lower


@check(
    "CLIENT-007",
    "Client ids match exactly: trailing spaces and Unicode are significant",
    group="clients",
    rfc="RFC 6749 s2.2",
    requires=WRITE,
    hint="Compare client ids byte for byte: MariaDB/MySQL *_bin collations still ignore "
    "trailing spaces (PAD SPACE); store ids as VARBINARY or with a NO PAD binary collation.",
)
def exact_ids(ctx: CheckContext) -> None:
    """``app`` and ``app `` (and ``app\u00a0``) are different clients; ids with non-ASCII
    characters round-trip."""
    plain = make_client("pad-app")
    ctx.storage.save_client(plain)
    assert ctx.storage.query_client("pad-app ") is None, "a trailing space was ignored"
    assert ctx.storage.query_client("pad-app\u00a0") is None
    spaced = make_client("pad-app ", client_name="spaced")
    ctx.storage.save_client(spaced)  # a distinct id, not a DuplicateKey
    assert ctx.make_storage().query_client("pad-app ") == spaced
    assert ctx.make_storage().query_client("pad-app") == plain
    accented = make_client("pad-app-\u00e9")
    ctx.storage.save_client(accented)
    assert ctx.make_storage().query_client("pad-app-\u00e9") == accented
    assert ctx.storage.query_client("pad-app-e") is None


@check(
    "CLIENT-004",
    "delete_client removes the client; unknown ids are not an error",
    group="clients",
    rfc="RFC 7592 s2.3",
    requires=WRITE,
    hint="Delete by exact id and ignore a missing row (no error when nothing was deleted).",
)
def delete_client(ctx: CheckContext) -> None:
    """After ``delete_client`` the id reads as None; deleting again or an unknown id is fine."""
    client = make_client()
    ctx.storage.save_client(client)
    ctx.storage.delete_client(client.client_id)
    assert ctx.storage.query_client(client.client_id) is None
    ctx.storage.delete_client(client.client_id)
    ctx.storage.delete_client("never-existed")


@check(
    "CLIENT-005",
    "A public client (no secret) round-trips",
    group="clients",
    rfc="RFC 6749 s2.1",
    requires=WRITE,
    hint="Allow a NULL client_secret_hash and map it back to None, not to an empty string.",
)
def public_client(ctx: CheckContext) -> None:
    """``client_secret_hash=None`` and ``token_endpoint_auth_method='none'`` read back."""
    client = make_client(
        client_secret_hash=None, token_endpoint_auth_method="none", redirect_uris=(), scope=""
    )
    ctx.storage.save_client(client)
    assert ctx.storage.query_client(client.client_id) == client


@check(
    "CLIENT-006",
    "list_clients returns exactly the saved clients",
    group="clients",
    rfc="RFC 7592 s2",
    requires=WRITE,
    hint="Optional ClientLister protocol: return every client of the namespace, each read "
    "back field for field, and nothing that was deleted.",
)
def list_clients(ctx: CheckContext) -> None:
    """With the optional ``ClientLister`` protocol, listing shows saved clients, not deleted
    ones; a storage without the method skips this check."""
    reader = ctx.make_storage()
    if not isinstance(reader, ClientLister):
        pytest.skip("CLIENT-006 needs the optional ClientLister protocol (list_clients)")
    kept, gone = make_client("lister-kept"), make_client("lister-gone")
    ctx.storage.save_client(kept)
    ctx.storage.save_client(gone)
    ctx.storage.delete_client(gone.client_id)
    assert reader.list_clients() == [kept]
