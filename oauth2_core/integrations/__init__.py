"""Thin framework adapters: they translate requests and responses and read settings only."""
