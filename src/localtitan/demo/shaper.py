"""The seeder's record filler: :func:`localtitan.handling.shaping.fill_record`, which is
compiled (``handling/shapers.py``), checked against the readable rules of
:func:`~localtitan.handling.shaping.shape` on the first records of every kind while it runs,
so a change to the rules that the compiled shapers miss fails loudly instead of storing
records in another shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localtitan.handling import shaping
from localtitan.handling.shapers import shapers_for
from localtitan.spec import Manifest

__all__ = ["Filler", "ShapeMismatchError"]


class ShapeMismatchError(RuntimeError):
    """The compiled filler and ``shape`` disagree: ``shaping`` changed under us."""


class Filler:
    """Fills records of one manifest to their collection's stored shape."""

    def __init__(self, manifest: Manifest, *, verify_first: int = 3) -> None:
        self.manifest = manifest
        self._shapers = shapers_for(manifest)
        self._verified: dict[str, int] = {}
        self._verify_first = verify_first

    def fill(self, collection: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """``fill_record(manifest, collection, data)``."""
        out: dict[str, Any] = self._shapers.record(collection.properties)(data)
        seen = self._verified.get(collection.kind, 0)
        if seen < self._verify_first:
            self._verified[collection.kind] = seen + 1
            schema = {"type": ["object"], "properties": collection.properties}
            if shaping.shape(self.manifest, schema, data) != out:
                raise ShapeMismatchError(
                    f"The compiled shapers and shape() disagree on {collection.kind}; "
                    "update localtitan.handling.shapers to match handling.shaping."
                )
        return out
