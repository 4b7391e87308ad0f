"""Client registration (SECURITY.md, authorization endpoint: registration rules)."""

from __future__ import annotations

import pytest

from oauth2_core.registration import InvalidClientMetadata, new_client
from oauth2_core.tokens import verify_client_secret

pytestmark = pytest.mark.security("Authorization endpoint")

ACCEPTED = [
    "https://app.example.com/cb",
    "https://app.example.com/cb?x=1",
    "http://127.0.0.1/cb",
    "http://127.0.0.1:8080/cb",
    "http://[::1]/cb",
    "http://[::1]:9000/cb",
    "com.example.app:/oauth2redirect",
    "https://xn--bcher-kva.example/cb",
    "https://[2001:db8::1]:8443/cb",
]

REFUSED = [
    "https://app.example.com/cb#frag",
    "https://app.example.com/cb#",
    "http://app.example.com/cb",
    "http://localhost/cb",
    "http://127.0.0.1.evil.com/cb",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JAVASCRIPT://app.example.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DaTa:text/html,x",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "https://user:pass@app.example.com/cb",
    "https://user@app.example.com/cb",
    "https://app.example.com:99999/cb",
    "https://[::1/cb",
    "https:///cb",
    "/relative/cb",
    "app.example.com/cb",
    "https://app.example.com\\@evil.com/",
    "myapp:/cb",
    "https://exa%20mple.com/cb",
    "https://ex<ample.com/cb",
    "https://bücher.example/cb",
    # RFC 3986 URIs are ASCII; raw non-ASCII would reach the Location header unencoded.
    "https://app.example.com/cb/\u20ac",
    "https://app.example.com/cb?x=\u0085",
    "https://app.example.com/\u2028",
    "com.example.app://h\u00e9/cb",
    "",
]


@pytest.mark.parametrize("uri", ACCEPTED)
def test_registration_accepts_safe_redirect_uris(uri: str) -> None:
    client, _ = new_client(client_id="c", redirect_uris=[uri])
    assert client.redirect_uris == (uri,)


@pytest.mark.parametrize("uri", REFUSED)
def test_registration_refuses_unsafe_redirect_uris(uri: str) -> None:
    with pytest.raises(InvalidClientMetadata) as info:
        new_client(client_id="c", redirect_uris=[uri])
    assert info.value.error == "invalid_redirect_uri"


@pytest.mark.timeout(60)  # a guard against catastrophic backtracking, not a benchmark
def test_validator_runs_in_bounded_time_on_hostile_input() -> None:
    hostile = [
        "https://" + "a" * 100_000,
        "https://a.example/" + "%" * 1_000_000,
        "https://" + "[" * 50_000 + "/",
        "com.example:" + ":" * 200_000,
        "https://a/" + "?" * 2040,
    ]
    for uri in hostile:
        with pytest.raises(InvalidClientMetadata):
            new_client(client_id="c", redirect_uris=[uri])
    # Under the length cap, adversarial shapes are still refused by one linear pass.
    near_cap = [
        "https://a.example/" + "#" * 2000,
        "javascript:" + "/" * 2000,
        "https://" + "@" * 2000 + "a",
        "http://127.0.0.1:" + "9" * 2000,
        "https://[" + ":" * 2000,
    ]
    for uri in near_cap:
        with pytest.raises(InvalidClientMetadata):
            new_client(client_id="c", redirect_uris=[uri])


def test_redirect_uris_required_for_redirect_flows() -> None:
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="c", grant_types=["authorization_code"])
    client, _ = new_client(client_id="svc", grant_types=["client_credentials"])
    assert client.response_types == ()


def test_generated_secret_has_256_bits_and_only_its_digest_is_kept() -> None:
    client, secret = new_client(client_id="c", redirect_uris=["https://a.example/cb"])
    assert secret is not None and len(secret) >= 43
    assert client.client_secret_hash is not None
    assert secret not in client.client_secret_hash
    assert client.client_secret_hash.startswith("sha256$")
    assert verify_client_secret(secret, client.client_secret_hash)


def test_human_secret_uses_slow_kdf() -> None:
    client, secret = new_client(
        client_id="c", client_secret="correct horse", redirect_uris=["https://a.example/cb"]
    )
    assert secret == "correct horse"
    assert client.client_secret_hash is not None
    assert client.client_secret_hash.startswith("pbkdf2_sha256$")


def test_public_client_has_no_secret_and_cannot_use_client_credentials() -> None:
    client, secret = new_client(client_id="p", public=True, redirect_uris=["https://a.example/cb"])
    assert secret is None and client.client_secret_hash is None and client.is_public
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="p", public=True, grant_types=["client_credentials"])
    with pytest.raises(InvalidClientMetadata):
        new_client(
            client_id="p", public=True, client_secret="x", redirect_uris=["https://a.example/cb"]
        )


@pytest.mark.parametrize("client_id", ["", "a\nb", "é", "x" * 300])
def test_bad_client_ids_are_refused(client_id: str) -> None:
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id=client_id, grant_types=["client_credentials"])


def test_other_metadata_rules() -> None:
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="c", grant_types=["client_credentials"], scope='bad"scope')
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="c", grant_types=["magic"])
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="c", grant_types=["client_credentials"],
                   token_endpoint_auth_method="private_key_jwt")
    with pytest.raises(InvalidClientMetadata):
        new_client(client_id="c", redirect_uris="https://a.example/cb")
    client, _ = new_client(client_id="c", grant_types=["client_credentials"], scope="a  b a")
    assert client.scope == "a b"
    assert client.created_at is not None and client.created_at.tzinfo is not None
