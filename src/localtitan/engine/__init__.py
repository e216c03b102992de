"""The engine: generic handlers that serve an operation from its manifest entry alone.

It imports no behaviour module; ``localtitan.operations`` puts both in one dispatch table.
"""
