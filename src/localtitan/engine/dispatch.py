"""The dispatch table from operation id to the handler that gives it behaviour.

An operation with no entry answers 501 naming its operationId (see ``localtitan.api``);
``localtitan coverage`` counts the entries per module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from localtitan.engine.call import Call, Result
from localtitan.spec import Operation

__all__ = ["Handler", "handler_for", "implemented_operations", "register"]

Handler = Callable[[Call], Awaitable[Result]]

# operation id ("<module>.<operationId>") -> handler, filled by @register in behaviour modules.
_HANDLERS: dict[str, Handler] = {}
# Generic handlers that serve an operation from its manifest description alone, tried in order.
_GENERIC: list[Callable[[Operation], Handler | None]] = []


def register(*operation_ids: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        for op_id in operation_ids:
            if op_id in _HANDLERS:
                raise RuntimeError(f"Two handlers registered for {op_id}")
            _HANDLERS[op_id] = fn
        return fn

    return wrap


def register_generic(factory: Callable[[Operation], Handler | None]) -> None:
    _GENERIC.append(factory)


def handler_for(operation: Operation) -> tuple[Handler, str] | None:
    """The handler for ``operation`` and how it is served: 'behaviour' or 'generic'."""
    fn = _HANDLERS.get(operation.id)
    if fn is not None:
        return fn, "behaviour"
    for factory in _GENERIC:
        generic = factory(operation)
        if generic is not None:
            return generic, "generic"
    return None


def implemented_operations(operations: tuple[Operation, ...]) -> dict[str, str]:
    """operation id -> 'behaviour' | 'generic' for every operation that has a handler."""
    found: dict[str, str] = {}
    for op in operations:
        hit = handler_for(op)
        if hit is not None:
            found[op.id] = hit[1]
    return found
