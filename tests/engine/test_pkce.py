"""PKCE (SECURITY.md, PKCE; RFC 7636)."""

from __future__ import annotations

import inspect

import pytest
from conftest import ISSUER, VERIFIER, Env, make_env, redirect_params

from oauth2_core import ServerConfig, pkce
from oauth2_core.pkce import s256_challenge, verify_code_verifier

pytestmark = pytest.mark.security("PKCE")


def test_s256_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verify_code_verifier(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")


def test_pkce_required_for_every_client_by_default(env: Env) -> None:
    for client in ("app", "spa"):
        response = env.authorize(client, code_challenge="<omit>", code_challenge_method="<omit>")
        assert redirect_params(response)["error"] == "invalid_request"


def test_plain_is_off_by_default_and_missing_method_means_plain(env: Env) -> None:
    plain = env.authorize("app", code_challenge=VERIFIER, code_challenge_method="plain")
    assert redirect_params(plain)["error"] == "invalid_request"
    no_method = env.authorize("app", code_challenge=VERIFIER, code_challenge_method="<omit>")
    assert redirect_params(no_method)["error"] == "invalid_request"
    assert env.server.metadata()["code_challenge_methods_supported"] == ["S256"]


def test_plain_opt_in() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, allow_plain_pkce=True))
    env.add_client("app")
    code = env.get_code("app", code_challenge=VERIFIER, code_challenge_method="plain")
    assert env.exchange("app", code).status == 200
    assert env.server.metadata()["code_challenge_methods_supported"] == ["S256", "plain"]


def test_malformed_challenge_is_refused(env: Env) -> None:
    for challenge in ["short", "x" * 44, "+" * 43]:
        response = env.authorize("app", code_challenge=challenge)
        assert redirect_params(response)["error"] == "invalid_request"


def test_verifier_for_code_without_challenge_is_downgrade() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, require_pkce=False))
    env.add_client("app")
    code = env.get_code("app", code_challenge="<omit>", code_challenge_method="<omit>")
    response = env.exchange("app", code)
    assert response.status == 400 and response.json()["error"] == "invalid_request"
    # ... and the attempt consumed the code.
    assert env.exchange("app", code, code_verifier="<omit>").json()["error"] == "invalid_grant"


def test_public_clients_need_pkce_even_when_not_required() -> None:
    env = make_env(ServerConfig(issuer=ISSUER, require_pkce=False))
    env.add_client("spa", public=True)
    response = env.authorize("spa", code_challenge="<omit>", code_challenge_method="<omit>")
    assert redirect_params(response)["error"] == "invalid_request"


def test_missing_verifier_is_invalid_grant(env: Env) -> None:
    response = env.exchange("app", env.get_code("app"), code_verifier="<omit>")
    assert response.status == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "verifier", ["a" * 42, "a" * 129, "a" * 42 + "!", "a" * 42 + " ", "é" * 43]
)
def test_verifier_must_be_43_to_128_unreserved_characters(env: Env, verifier: str) -> None:
    code = env.get_code("app", code_challenge=s256_challenge("a" * 43))
    assert env.exchange("app", code, code_verifier=verifier).json()["error"] == "invalid_grant"


def test_failed_verification_consumes_the_code(env: Env) -> None:
    code = env.get_code("app")
    wrong = env.exchange("app", code, code_verifier="w" * 43)
    assert wrong.json()["error"] == "invalid_grant"
    right = env.exchange("app", code)
    assert right.status == 400 and right.json()["error"] == "invalid_grant"


def test_verifier_comparison_is_constant_time() -> None:
    assert "hmac.compare_digest" in inspect.getsource(pkce.verify_code_verifier)


def test_longest_verifier_works(env: Env) -> None:
    verifier = "~" * 128
    code = env.get_code("app", code_challenge=s256_challenge(verifier))
    assert env.exchange("app", code, code_verifier=verifier).status == 200


def test_token_endpoint_verifies_pkce_through_compare_digest(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behavioural twin of the source check: the exchange itself goes through the
    constant-time comparison, for a wrong verifier as for the right one."""
    seen: list[tuple[bytes, bytes]] = []
    real = pkce.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        if isinstance(a, bytes):  # client secret digests are compared as str
            seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pkce.hmac, "compare_digest", spy)
    wrong = "w" * 43
    assert env.exchange("app", env.get_code("app"), code_verifier=wrong).status == 400
    assert env.exchange("app", env.get_code("app")).status == 200
    challenge = s256_challenge(VERIFIER).encode()
    assert seen == [(s256_challenge(wrong).encode(), challenge), (challenge, challenge)]
