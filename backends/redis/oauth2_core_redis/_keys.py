"""Key layout. Lookups arrive by digest, cascades by grant, so there are two kinds of key.

Pointer keys, one slot each, found from what the engine hands over::

    P:client:<client_id>     client JSON, no TTL
    P:code:<code_hash>       "<expires_ms> <grant_id>"
    P:at:<access_hash>       "<expires_ms> <grant_id>"
    P:rt:<refresh_hash>      "<expires_ms> <access_hash> <grant_id>"

Grant keys, all in the slot of the hash tag ``{P:g:<grant_id>}``, so that one Lua script can
consume, rotate or revoke atomically on Redis Cluster::

    {P:g:<grant_id>}:c:<code_hash>    code record (JSON, ``_codec``)
    {P:g:<grant_id>}:t:<access_hash>  token record (JSON)
    {P:g:<grant_id>}:codes            set of the grant's code digests
    {P:g:<grant_id>}:tokens           set of the grant's access digests
    {P:g:<grant_id>}:revoked          revoke_grant's mark: "<until_ms>", saves before it
                                      store the token revoked (``REVOKED_GRANT_MARK_SECONDS``)

A pointer without its record reads as unknown; a new record's keys are unknown to everyone
until the save returns, so cluster mode may write them in any order (``_cluster``). On a single
server each operation is one script and follows pointers itself (``_scripts_single``), which
builds these same names in Lua.

On a single server the access pointer also carries a copy of its token record while the token
is active, so that bearer validation is one plain ``GET``::

    P:at:<access_hash>       "<expires_ms> <grant_id>\n<record JSON>"   active
                             "<expires_ms> <grant_id>\n"                retired (revoked, rotated)

Every script that retires a token record (revocation, rotation, ``revoke_grant``, a save under
a grant's mark) empties the copy in the same step, atomically; the record key stays the
source of truth for everything else. A pointer without a newline (written before copies
existed, or by cluster mode) sends the read to the record itself. Cluster mode never writes
copies: its pointer and record live in different slots, so no script could retire both.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "oauth2"


@dataclass(frozen=True, slots=True)
class Pointer:
    expires_ms: int
    grant_id: str
    access_hash: str = ""


@dataclass(frozen=True, slots=True)
class KeyLayout:
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        # Maintenance SCANs (purge, upgrade, client listing) match keys by the prefix as a
        # glob pattern: a glob character or its escape, the backslash, would match others' keys.
        if not self.prefix or any(ch in self.prefix for ch in "{} \t\r\n*?[]\\"):
            raise ValueError(
                f"invalid Redis key prefix {self.prefix!r}: non-empty, without braces, "
                "blanks, backslashes or glob characters"
            )

    def client(self, client_id: str) -> str:
        return f"{self.prefix}:client:{client_id}"

    def code_pointer(self, code_hash: str) -> str:
        return f"{self.prefix}:code:{code_hash}"

    def access_pointer(self, access_hash: str) -> str:
        return f"{self.prefix}:at:{access_hash}"

    def refresh_pointer(self, refresh_hash: str) -> str:
        return f"{self.prefix}:rt:{refresh_hash}"

    def grant_base(self, grant_id: str) -> str:
        """Common start of every key of the grant; scripts append ``c:``/``t:`` + digest."""
        return f"{{{self.prefix}:g:{grant_id}}}:"

    def code(self, grant_id: str, code_hash: str) -> str:
        return f"{self.grant_base(grant_id)}c:{code_hash}"

    def token(self, grant_id: str, access_hash: str) -> str:
        return f"{self.grant_base(grant_id)}t:{access_hash}"

    def grant_codes(self, grant_id: str) -> str:
        return f"{self.grant_base(grant_id)}codes"

    def grant_tokens(self, grant_id: str) -> str:
        return f"{self.grant_base(grant_id)}tokens"

    def grant_revoked(self, grant_id: str) -> str:
        return f"{self.grant_base(grant_id)}revoked"

    def patterns(self) -> tuple[str, str]:
        """SCAN patterns matching every key of this prefix (maintenance only)."""
        return f"{self.prefix}:*", f"{{{self.prefix}:g:*"


def code_pointer_value(expires_ms: int, grant_id: str) -> str:
    return f"{expires_ms} {grant_id}"


def access_pointer_head(expires_ms: int, grant_id: str) -> str:
    """A single-node access pointer's first line; the script appends the newline and, while
    the token is active, the record's copy. A grant id is one line: the newline ends it."""
    if "\n" in grant_id:
        raise ValueError("a grant id must not contain a newline")
    return f"{expires_ms} {grant_id}"


def refresh_pointer_value(expires_ms: int, access_hash: str, grant_id: str) -> str:
    return f"{expires_ms} {access_hash} {grant_id}"


def parse_pointer(value: str | None, *, with_access: bool = False) -> Pointer | None:
    if value is None:
        return None
    value = value.partition("\n")[0]  # an access pointer's record copy, if any
    if with_access:
        expires, access_hash, grant_id = value.split(" ", 2)
        return Pointer(int(expires), grant_id, access_hash)
    expires, grant_id = value.split(" ", 1)
    return Pointer(int(expires), grant_id)
