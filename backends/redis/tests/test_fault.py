"""A private Redis stops under load: the engine answers 503, and after the restart no code
is redeemed twice (the consume tombstones survive on the append-only file)."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from oauth2_core_redis import RedisStorage
from oauth2_core_redis.local_servers import LocalRedis, start_redis

from oauth2_core import AuthorizationServer, Clock, FakeClock, OAuth2Request, ServerConfig, Storage
from oauth2_core.errors import TemporarilyUnavailableError
from oauth2_core.pkce import s256_challenge
from oauth2_core.registration import new_client
from oauth2_core.tokens import generate_token

ISSUER = "https://as.redis-tests.example"
REDIRECT_URI = "https://app.example.com/cb"


class Flows:
    """A client driving ``AuthorizationServer`` in-process."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.server = AuthorizationServer(storage, ServerConfig(issuer=ISSUER), clock=clock)
        self.client, secret = new_client(redirect_uris=[REDIRECT_URI], now=clock.now())
        assert secret is not None
        storage.save_client(self.client)
        raw = f"{quote(self.client.client_id, safe='')}:{quote(secret, safe='')}"
        self._basic = "Basic " + base64.b64encode(raw.encode()).decode()

    def authorize(self) -> tuple[str, str]:
        verifier = generate_token()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "read",
                "code_challenge": s256_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        request = OAuth2Request("GET", f"{ISSUER}/authorize?{query}")
        response = self.server.create_authorization_response(request, "user-1")
        location = response.header("Location") or ""
        return parse_qs(urlsplit(location).query)["code"][0], verifier

    def token(self, **form: str) -> tuple[int, dict[str, Any], OAuth2Request | None, Any]:
        headers = [
            ("Authorization", self._basic),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ]
        request = OAuth2Request("POST", f"{ISSUER}/token", headers, urlencode(form))
        response = self.server.create_token_response(request)
        return response.status, json.loads(response.body or b"{}"), request, response

    def exchange(self, code: str, verifier: str) -> tuple[int, dict[str, Any]]:
        status, body, _, _ = self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=verifier,
        )
        return status, body

    def refresh(self, refresh_token: str) -> tuple[int, dict[str, Any]]:
        status, body, _, _ = self.token(grant_type="refresh_token", refresh_token=refresh_token)
        return status, body


pytestmark = pytest.mark.slow

DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture
def durable_redis(tmp_path: Path, redis_server_bin: str) -> Iterator[LocalRedis]:
    server = start_redis(tmp_path / "redis", extra_args=DURABLE)
    yield server
    server.stop()


def test_outage_answers_503_and_no_code_is_redeemed_twice(durable_redis: LocalRedis) -> None:
    clock = FakeClock()
    storage = RedisStorage.from_url(durable_redis.url, prefix="fault", check_deployment=False)
    flows = Flows(storage, clock)
    codes = [flows.authorize() for _ in range(40)]
    spent, waiting = codes[:10], codes[10:]
    refresh_tokens = []
    for code, verifier in spent:
        status, body = flows.exchange(code, verifier)
        assert status == 200, body
        refresh_tokens.append(body["refresh_token"])

    # Load during the crash: four threads redeem codes; the kill lands while each thread has
    # its third and fourth requests in flight, and the rest of each batch comes after it.
    answers: list[tuple[str, int, dict[str, object]]] = []
    lock = threading.Lock()
    warmed_up = threading.Barrier(5)
    killed = threading.Event()

    def redeem(batch: list[tuple[str, str]]) -> None:
        for index, (code, verifier) in enumerate(batch):
            if index == 2:
                warmed_up.wait()
            if index == 4:
                killed.wait()
            status, body = flows.exchange(code, verifier)
            with lock:
                answers.append((code, status, body))

    threads = [threading.Thread(target=redeem, args=(waiting[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    warmed_up.wait()
    durable_redis.stop(crash=True)
    killed.set()
    for thread in threads:
        thread.join()

    # Down for good now: every storage-backed request is a 503, never 500 or invalid_grant.
    status, body, _, response = flows.token(
        grant_type="refresh_token", refresh_token=refresh_tokens[0]
    )
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert response.header("Retry-After")
    status, body = flows.exchange(*spent[0])
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    bearer = OAuth2Request("GET", "https://rs.example/api", [("Authorization", "Bearer x")])
    with pytest.raises(TemporarilyUnavailableError):
        flows.server.validate_bearer_token(bearer)

    for _, status, body in answers:
        assert status == 200 or (status, body.get("error")) == (503, "temporarily_unavailable")
    assert sum(status == 503 for _, status, _ in answers) >= len(waiting) - 4 * 4
    print("during the crash:", Counter(status for _, status, _ in answers))

    durable_redis.start()  # same port, same data directory: the AOF is replayed

    # Codes redeemed before the crash stay consumed: a replay is invalid_grant.
    for code, verifier in spent:
        status, body = flows.exchange(code, verifier)
        assert (status, body["error"]) == (400, "invalid_grant")

    # Then three concurrent retries of every code of the load: one success at most, over
    # the whole run. A code whose consume committed just before the kill, its answer lost,
    # gets no success at all: at most one per thread that was in flight.
    wins = Counter(code for code, status, _ in answers if status == 200)
    retries: list[tuple[str, int]] = []

    def retry(code: str, verifier: str) -> None:
        status, _ = flows.exchange(code, verifier)
        with lock:
            retries.append((code, status))

    racers = [threading.Thread(target=retry, args=pair) for pair in waiting for _ in range(3)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert {status for _, status in retries} <= {200, 400}
    wins.update(code for code, status in retries if status == 200)
    assert max(wins.values()) == 1
    assert len(wins) >= len(waiting) - len(threads)
    storage.close()
