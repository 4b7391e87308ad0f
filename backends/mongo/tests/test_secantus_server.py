"""The SecantusDB fixture helper starts a real server, and stops it on exit."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from oauth2_core_mongo.testing import secantus_server
from pymongo import MongoClient


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def test_secantus_server_serves_mongodb_wire_protocol_then_stops() -> None:
    with secantus_server("helper_check") as url:
        parts = urlsplit(url)
        assert parts.scheme == "mongodb"
        assert parts.hostname == "127.0.0.1"
        assert parts.path == "/helper_check"
        client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=5000)
        try:
            collection = client.get_default_database()["probe"]
            collection.insert_one({"_id": "x", "n": 1})
            assert collection.find_one({"_id": "x"}) == {"_id": "x", "n": 1}
        finally:
            client.close()
        port = parts.port
        assert port is not None
    assert not _port_open(port)
