"""The engine: handlers for operations, generic by kind or registered per operation."""

from localtitan.engine.call import Call, Result
from localtitan.engine.dispatch import handler_for, implemented_operations, register

__all__ = ["Call", "Result", "handler_for", "implemented_operations", "register"]
