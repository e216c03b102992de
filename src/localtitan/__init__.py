"""localtitan: an open, self-hostable implementation of the ServiceTitan public API platform."""

__all__ = ["__version__"]

__version__ = "0.1.0"
