"""Segment-trie router from request paths to manifest operations.

Matching follows ASP.NET Core endpoint routing: literals are case-insensitive, a literal
segment beats a parameter at the same depth, and a trailing slash is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from localtitan.spec.manifest import Manifest, Operation

__all__ = ["Match", "Router", "router_for"]

_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
_MAX_SEGMENTS = 32
# The most (method, path) pairs Router.match remembers before it starts again.
_SEEN_MOST = 4096


@dataclass(frozen=True, slots=True)
class Match:
    operation: Operation
    path_params: dict[str, str]


@dataclass(slots=True)
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    # method -> (operation, parameter names in path order)
    methods: dict[str, tuple[Operation, tuple[str, ...]]] = field(default_factory=dict)


def _split(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    inner = path[1:-1] if path.endswith("/") and len(path) > 1 else path[1:]
    segments = inner.split("/")
    if len(segments) > _MAX_SEGMENTS:
        return None
    return segments


class Router:
    """Built once from the operations; ``match`` costs one trie walk per request."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._root = _Node()
        for op in operations:
            self._add(op)
        # (method, path) -> its operation and parameters: a client repeats its paths (a
        # create's, a page's), and the walk costs more than the look-up. Bounded.
        self._seen: dict[tuple[str, str], tuple[Operation, dict[str, str]] | None] = {}

    def _add(self, op: Operation) -> None:
        node = self._root
        names: list[str] = []
        for segment in op.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                names.append(segment[1:-1])
                if node.param is None:
                    node.param = _Node()
                node = node.param
            elif "{" in segment or "}" in segment:
                raise ValueError(f"{op.id}: unsupported path segment {segment!r}")
            else:
                node = node.literals.setdefault(segment.lower(), _Node())
        method = op.method.upper()
        if method in node.methods:
            other = node.methods[method][0]
            raise ValueError(f"{op.id} and {other.id} both route {method} {op.path}")
        node.methods[method] = (op, tuple(names))

    def match(self, method: str, path: str) -> Match | None:
        """The operation for ``method`` at ``path`` (after the environment prefix)."""
        key = (method, path)
        try:
            seen = self._seen[key]
        except KeyError:
            found = self._walk(method, path)
            if len(self._seen) >= _SEEN_MOST:
                self._seen.clear()
            self._seen[key] = None if found is None else (found.operation, dict(found.path_params))
            return found
        # A copy of the parameters each time: a caller may change its own.
        return None if seen is None else Match(seen[0], dict(seen[1]))

    def _walk(self, method: str, path: str) -> Match | None:
        segments = _split(path)
        if segments is None:
            return None
        lowered = [s.lower() for s in segments]
        return _find(self._root, segments, lowered, 0, method.upper(), [])

    def allowed_methods(self, path: str) -> list[str]:
        """Methods of every template matching ``path``; empty when nothing matches (404)."""
        segments = _split(path)
        if segments is None:
            return []
        found: set[str] = set()
        _collect(self._root, segments, [s.lower() for s in segments], 0, found)
        return sorted(found, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else 9, m))


def _find(
    node: _Node, segments: list[str], lowered: list[str], i: int, method: str, values: list[str]
) -> Match | None:
    if i == len(segments):
        entry = node.methods.get(method)
        if entry is None:
            return None
        op, names = entry
        return Match(op, dict(zip(names, values, strict=True)))
    child = node.literals.get(lowered[i])
    if child is not None:
        found = _find(child, segments, lowered, i + 1, method, values)
        if found is not None:
            return found
    # Backtrack into the parameter branch: the literal branch had no endpoint for method.
    if node.param is not None and segments[i]:
        values.append(segments[i])
        found = _find(node.param, segments, lowered, i + 1, method, values)
        values.pop()
        return found
    return None


def _collect(node: _Node, segments: list[str], lowered: list[str], i: int, out: set[str]) -> None:
    if i == len(segments):
        out.update(node.methods)
        return
    child = node.literals.get(lowered[i])
    if child is not None:
        _collect(child, segments, lowered, i + 1, out)
    if node.param is not None and segments[i]:
        _collect(node.param, segments, lowered, i + 1, out)


def router_for(manifest: Manifest) -> Router:
    """The router over all of ``manifest``'s operations, built once per manifest."""
    router = manifest.cache.get("router")
    if router is None:
        router = manifest.cache["router"] = Router(manifest.operations)
    assert isinstance(router, Router)
    return router
