"""oauth2-core-redis: codes and tokens on Redis or Redis Cluster, expiring by native TTL.

>>> from oauth2_core.storage import open_storage
>>> storage = open_storage("redis://127.0.0.1:6379/0?prefix=myapp")           # doctest: +SKIP
>>> storage = open_storage("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")    # doctest: +SKIP
"""

from oauth2_core_redis.storage import RedisStorage, open_storage

__all__ = ["RedisStorage", "open_storage"]
