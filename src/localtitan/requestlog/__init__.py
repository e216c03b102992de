"""The request log: every call to the token endpoints and the API, kept redacted and bounded.

``facts`` is what the door fills in, ``hook`` wraps a request, ``recorder`` queues and writes
batches (and the access-log lines), ``queries`` reads the log back, ``usage`` sums it up.
"""

from localtitan.requestlog.facts import FACTS_KEY, RequestFacts, facts_of

__all__ = ["FACTS_KEY", "RequestFacts", "facts_of"]
