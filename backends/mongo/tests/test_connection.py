"""Opening the backend: URLs, the registry, durability defaults, borrowed clients."""

from __future__ import annotations

import pytest
from oauth2_core_mongo import MongoStorage
from pymongo import MongoClient
from pymongo.write_concern import WriteConcern

from oauth2_core.errors import ConfigurationError
from oauth2_core.storage import open_storage


def test_registry_opens_mongodb_urls_with_majority_and_retryable_writes() -> None:
    storage = open_storage("mongodb://127.0.0.1:1/tenant_a")
    try:
        assert isinstance(storage, MongoStorage)
        assert storage.database.name == "tenant_a"
        assert storage.database.write_concern.document == {"w": "majority"}
        assert storage.database.client.options.retry_writes is True
    finally:
        storage.close()


def test_srv_urls_are_registered_and_resolved_lazily() -> None:
    storage = open_storage("mongodb+srv://cluster0.example.invalid/prod")
    try:
        assert isinstance(storage, MongoStorage)
        assert storage.database.name == "prod"
    finally:
        storage.close()


def test_url_options_override_the_defaults() -> None:
    storage = MongoStorage.from_url("mongodb://127.0.0.1:1/?w=1&retryWrites=false")
    try:
        assert storage.database.name == "oauth2"
        assert storage.database.write_concern.document == {"w": 1}
        assert storage.database.client.options.retry_writes is False
    finally:
        storage.close()


def test_invalid_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        MongoStorage.from_url("mongodb://127.0.0.1:notaport/db")


def test_borrowed_client_is_left_open_and_gets_majority_by_default(secantus_url: str) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(secantus_url)
    try:
        storage = MongoStorage(client, "borrowed_check")
        assert storage.database.write_concern.document == {"w": "majority"}
        assert storage.query_client("nobody") is None
        storage.close()
        assert client.admin.command("ping")["ok"] == 1
        explicit = MongoStorage(client, "borrowed_check", write_concern=WriteConcern(w=1))
        assert explicit.database.write_concern.document == {"w": 1}
        client.drop_database("borrowed_check")
    finally:
        client.close()


def test_deployment_warnings_accept_a_majority_replica_set(storage: MongoStorage) -> None:
    assert storage.deployment_warnings() == []


def test_deployment_warnings_name_a_weak_write_concern(secantus_url: str) -> None:
    storage = MongoStorage.from_url(secantus_url + "&w=1", database="warn_check")
    try:
        warnings = storage.deployment_warnings()
        assert len(warnings) == 1
        assert "w='majority'" in warnings[0]
    finally:
        storage.close()
