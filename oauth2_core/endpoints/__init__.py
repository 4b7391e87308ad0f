"""The engine's HTTP endpoints, each a function of an ``EngineContext`` and a request."""
