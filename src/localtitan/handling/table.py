"""One behaviour module's handlers, by operation id.

A module fills its own table (``HANDLERS = Handlers("localtitan.domain.jpm")`` and
``@HANDLERS.register("jpm.Jobs_Cancel")``) and nothing else: importing it changes no shared
state. The composition root (``localtitan.operations``) reads every module's table, checks it
against the manifest and builds the one dispatch table the server uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from localtitan.handling.call import Handler

__all__ = ["HandlerTableError", "Handlers", "handler_name"]


class HandlerTableError(RuntimeError):
    """The handlers do not fit the manifest: an id no operation has, or one served twice."""


def handler_name(fn: Handler) -> str:
    """``module.function`` of a handler, as a person would look it up."""
    module = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{module}.{name}"


class Handlers(Mapping[str, Handler]):
    """operation id (``<module>.<operationId>``) -> handler, for one behaviour module."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._by_id: dict[str, Handler] = {}

    def register(self, *operation_ids: str) -> Callable[[Handler], Handler]:
        """A decorator that serves ``operation_ids`` with the function it decorates."""

        def wrap(fn: Handler) -> Handler:
            for op_id in operation_ids:
                first = self._by_id.get(op_id)
                if first is not None:
                    raise HandlerTableError(
                        f"{op_id} has two handlers in {self.module}: "
                        f"{handler_name(first)} and {handler_name(fn)}"
                    )
                self._by_id[op_id] = fn
            return fn

        return wrap

    def __getitem__(self, op_id: str) -> Handler:
        return self._by_id[op_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)
