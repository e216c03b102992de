"""Serving ServiceTitan's real host names: a local CA, HTTPS, an intercepting proxy and
``localtitan run``, for clients that cannot be given a base URL."""

__all__: list[str] = []
