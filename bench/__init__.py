"""Benchmarks: oauth2-core against Authlib and against the raw store floor.

``uv run nox -s bench`` (or ``python -m bench``) measures in one run, so that ratios hold
even when absolute figures drift on a shared machine. Results go to ``bench/results/`` as
JSON lines; the summary and charts go to ``docs/performance/``.
"""
