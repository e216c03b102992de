"""The ServiceTitan API description: manifest, router and request validation."""

from localtitan.spec.manifest import (
    Manifest,
    Module,
    Operation,
    Parameter,
    load_manifest,
    parse_manifest,
)
from localtitan.spec.router import Match, Router, router_for
from localtitan.spec.validation import (
    DEFAULT_MAX_IDS,
    MAX_DEPTH,
    RequestValidationError,
    UnsupportedMediaTypeError,
    ValidatedRequest,
    validate_request,
)

__all__ = [
    "DEFAULT_MAX_IDS",
    "MAX_DEPTH",
    "Manifest",
    "Match",
    "Module",
    "Operation",
    "Parameter",
    "RequestValidationError",
    "Router",
    "UnsupportedMediaTypeError",
    "ValidatedRequest",
    "load_manifest",
    "parse_manifest",
    "router_for",
    "validate_request",
]
