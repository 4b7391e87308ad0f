"""oauth2-core-mongo: the oauth2-core storage contract on MongoDB.

Open it from a URL (``mongodb://`` or ``mongodb+srv://``; the path names the database)::

    storage = open_storage("mongodb://db1,db2,db3/oauth2?replicaSet=rs0")

or around an existing client: ``MongoStorage(client, "oauth2")``.
"""

from __future__ import annotations

from oauth2_core_mongo.storage import MongoStorage

__all__ = ["MongoStorage", "open_storage"]


def open_storage(url: str) -> MongoStorage:
    """Entry point of the ``oauth2_core.storage`` group for ``mongodb`` and ``mongodb+srv``."""
    return MongoStorage.from_url(url)
