"""localtitan's benchmarks: ratios against a baseline measured in the same run.

Run them with ``scripts/bench`` (or ``python -m bench --help``); never as unit tests.
The shared machinery is in :mod:`bench._harness`.
"""
