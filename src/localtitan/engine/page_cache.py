"""Where deep list pages start, remembered per query while the tenant's data is unchanged.

Finding where page N starts costs a scan of N x pageSize index entries. Clients page forward
one page at a time, and often re-read pages, so each served page records where the next one
starts, keyed by the query and stamped with the collection's newest row version. After a
write, an entry is used again only once the records changed since its stamp are shown not to
lie before its start (see ``generic._cached_start``). An in-process LRU: each worker keeps its
own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["PageCache"]


class PageCache:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[int, int]] = OrderedDict()

    def start(self, key: Hashable, version: int) -> int | None:
        """The first id of the page under ``key`` if it was learned at ``version``."""
        hit = self._entries.get(key)
        if hit is None or hit[0] != version:
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def entry(self, key: Hashable) -> tuple[int, int] | None:
        """(row version it was learned at, first id) for ``key``, however old."""
        return self._entries.get(key)

    def remember(self, key: Hashable, version: int, first_id: int) -> None:
        self._entries[key] = (version, first_id)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
