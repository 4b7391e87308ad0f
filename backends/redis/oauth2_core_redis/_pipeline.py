"""Independent commands sent together in one non-transactional pipeline: one round trip on a
single server, the nodes answering in parallel on a cluster.

redis-py re-sends a pipeline whose connection failed, so only commands whose replay is
harmless belong here: reads, claims and revocations (see ``_cluster``) and purges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from oauth2_core_redis._codec import text
from oauth2_core_redis._connect import RedisClient, driver_errors

__all__ = ["Step", "pipelined"]


@dataclass(frozen=True, slots=True)
class Step:
    """One command of a pipeline: a script call, or (``script`` None) a GET of ``keys[0]``."""

    script: Script | None
    keys: Sequence[str]
    args: Sequence[Any] = ()

    def queue(self, pipe: Any, client: RedisClient) -> None:
        if self.script is None:
            pipe.get(self.keys[0])
            return
        # By name: redis-py blocks the evalsha method on cluster pipelines, not the command.
        # With its node named, a cluster pipeline does not ask a server for the script's
        # keys (COMMAND GETKEYS, one more round trip per script) before sending it.
        options = {}
        if isinstance(client, RedisCluster):
            options["target_nodes"] = client.get_node_from_key(self.keys[0])  # type: ignore[no-untyped-call]
        command = ("EVALSHA", self.script.sha, len(self.keys), *self.keys, *self.args)
        pipe.execute_command(*command, **options)


def pipelined(redis: RedisClient, steps: Sequence[Step]) -> list[Any]:
    """The replies of ``steps``, in order; a script the server does not hold is loaded and
    only the steps that named it are sent again (a NOSCRIPT step did not run)."""
    results: list[Any] = [None] * len(steps)
    pending = list(range(len(steps)))
    for attempt in range(2):
        with driver_errors():
            pipe = redis.pipeline(transaction=False)
            for index in pending:
                steps[index].queue(pipe, redis)
            replies = pipe.execute(raise_on_error=False)
        unloaded = []
        for index, reply in zip(pending, replies, strict=True):
            if isinstance(reply, NoScriptError) and attempt == 0:
                unloaded.append(index)
            elif isinstance(reply, Exception):
                with driver_errors():
                    raise reply
            else:
                results[index] = text(reply)
        if not unloaded:
            break
        with driver_errors():
            for script in {steps[i].script for i in unloaded}:
                if script is not None:
                    script.sha = redis.script_load(script.script)
        pending = unloaded
    return results
