"""One OpenAPI 3.1 document per API module, generated from the manifest for this server.

The manifest holds facts only (paths, parameters, schemas, scopes). Every sentence a reader
sees here (summaries, descriptions) is generated from an operation's kind and resource, never
taken from ServiceTitan's prose. ``servers`` and the token URLs name the server the document is
served from, so a viewer's try-it calls this server and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from localtitan.platform.environments import ENVIRONMENTS, Environment, api_prefix, auth_prefix
from localtitan.spec import Manifest, Operation

__all__ = [
    "APP_KEY_SCHEME",
    "OPENAPI_VERSION",
    "build_document",
    "oauth_scheme",
    "summary_of",
]

OPENAPI_VERSION = "3.1.0"
APP_KEY_SCHEME = "appKey"

_VERBS = {
    "list": "List",
    "get": "Get one of the",
    "create": "Create in",
    "update": "Update one of the",
    "replace": "Replace one of the",
    "delete": "Delete one of the",
    "export": "Export",
    "download": "Download from",
}


def oauth_scheme(env: Environment) -> str:
    """The security scheme name of one environment's client-credentials flow."""
    return f"oauth2{env.value.capitalize()}"


def _words(segment: str) -> str:
    return segment.replace("-", " ").replace("_", " ")


def _noun(resource: str) -> str:
    """``customers/{}/contacts`` -> ``contacts of customers``."""
    literals = [s for s in resource.split("/") if s and s != "{}"]
    if not literals:
        return "records"
    noun = _words(literals[-1])
    if "{}" in resource.split("/") and len(literals) > 1:
        owner = [s for s in resource.split("/") if s]
        idx = len(owner) - 1 - owner[::-1].index("{}")
        before = [s for s in owner[:idx] if s != "{}"]
        if before and _words(before[-1]) != noun:
            noun = f"{noun} of {_words(before[-1])}"
    return noun


def summary_of(op: Operation) -> str:
    """A one-line summary made from the operation's kind, method and resource."""
    noun = _noun(op.resource)
    if op.kind in _VERBS:
        return f"{_VERBS[op.kind]} {noun}"
    literals = [s for s in op.path.split("/") if s and not s.startswith("{")]
    last = _words(literals[-1]) if literals else op.method.lower()
    if op.kind == "action":
        return f"{last.capitalize()} ({noun})"
    return f"{op.method.capitalize()} {last} ({noun})"


def _description(op: Operation, implemented: str | None) -> str:
    status = {
        "behaviour": "localtitan implements this operation with its own behaviour.",
        "generic": "localtitan implements this operation with its generic "
        f"{op.kind} handler over stored records.",
    }.get(implemented or "", "localtitan does not implement this operation yet: it answers 501.")
    return f"`{op.method} {op.path}` needs the scope `{op.scope}`. {status}"


class _Schemas:
    """Rewrites the manifest's schemas (``module:Name`` refs, 3.0 ``nullable``) into 3.1."""

    def __init__(self, module: str) -> None:
        self.prefix = module + ":"
        self.used: set[str] = set()

    def ref(self, ref: str) -> str:
        if not ref.startswith(self.prefix):
            raise ValueError(f"schema {ref!r} is not part of this module")
        name = ref[len(self.prefix) :]
        self.used.add(name)
        return f"#/components/schemas/{name}"

    def convert(self, src: Any) -> Any:
        if not isinstance(src, Mapping):
            return src
        out: dict[str, Any] = {}
        for key, value in src.items():
            if key == "$ref":
                out["$ref"] = self.ref(value)
            elif key == "type":
                out["type"] = value[0] if isinstance(value, list) and len(value) == 1 else value
            elif key == "properties":
                out["properties"] = {k: self.convert(v) for k, v in value.items()}
            elif key in ("items", "additionalProperties"):
                out[key] = self.convert(value)
            elif key in ("oneOf", "anyOf", "allOf"):
                out[key] = [self.convert(b) for b in value]
            elif key != "nullable":
                out[key] = value
        if src.get("nullable") is True and "$ref" in out:
            # OpenAPI 3.1 has no ``nullable``: a nullable reference is "the ref or null".
            ref = out.pop("$ref")
            out["anyOf"] = [{"$ref": ref}, {"type": "null"}]
        return out


def _responses(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, resp in sorted(op.responses.items()):
        try:
            phrase = HTTPStatus(int(code)).phrase
        except ValueError:
            phrase = "Response"
        entry: dict[str, Any] = {"description": phrase}
        ctype = resp.get("contentType")
        if ctype:
            schema = resp.get("schema")
            entry["content"] = {ctype: {"schema": schemas.convert(schema) if schema else {}}}
        out[code] = entry
    return out


def _operation(op: Operation, schemas: _Schemas, implemented: Mapping[str, str]) -> dict[str, Any]:
    how = implemented.get(op.id)
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": summary_of(op),
        "description": _description(op, how),
        "tags": [op.tag or op.module],
        "parameters": [
            {
                "name": p.name,
                "in": p.location,
                "required": True if p.location == "path" else p.required,
                "schema": schemas.convert(p.schema),
            }
            for p in op.parameters
        ],
        "responses": _responses(op, schemas),
        "security": [{oauth_scheme(env): [op.scope], APP_KEY_SCHEME: []} for env in ENVIRONMENTS],
        "x-localtitan-implemented": how is not None,
        "x-localtitan-kind": op.kind,
    }
    if how is not None:
        doc["x-localtitan-handler"] = how
    if op.deprecated:
        doc["deprecated"] = True
    body = op.request_body
    if body is not None and body.get("contentType"):
        schema = body.get("schema")
        doc["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {body["contentType"]: {"schema": schemas.convert(schema) if schema else {}}},
        }
    return doc


def _scope_text(scope: str, module_name: str) -> str:
    name, _, access = scope.partition(":")
    what = _words(name.split(".")[-1])
    verb = {"r": "Read", "w": "Write"}.get(access, "Use")
    return f"{verb} {what} ({module_name})"


def build_document(
    manifest: Manifest, module: str, base_url: str, implemented: Mapping[str, str]
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one module, for a server reached at ``base_url``.

    ``implemented`` maps operation ids to ``"behaviour"`` or ``"generic"`` (see
    ``localtitan.operations.implemented_operations``). Raises ``KeyError`` for an unknown module.
    """
    mod = manifest.modules[module]
    base = base_url.rstrip("/")
    ops = sorted(
        (op for op in manifest.operations if op.module == module),
        key=lambda o: (o.path, o.method),
    )
    schemas = _Schemas(module)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas, implemented)
    # Schemas reach other schemas: convert until no new name turns up.
    components: dict[str, Any] = {}
    while pending := sorted(schemas.used - components.keys()):
        for name in pending:
            components[name] = schemas.convert(manifest.schemas[schemas.prefix + name])
    scopes = sorted({op.scope for op in ops})
    done = sum(1 for op in ops if op.id in implemented)
    security_schemes: dict[str, Any] = {
        oauth_scheme(env): {
            "type": "oauth2",
            "description": f"Client credentials of the {env.value} environment: trade a client "
            "id and secret for a 900-second bearer token at this server's token URL.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": f"{base}{auth_prefix(env)}/connect/token",
                    "scopes": {s: _scope_text(s, mod.name) for s in scopes},
                }
            },
        }
        for env in ENVIRONMENTS
    }
    security_schemes[APP_KEY_SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "ST-App-Key",
        "description": "The application key of your app; one key serves both environments.",
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{mod.name} API",
            "version": mod.base.rstrip("/").split("/")[-1] if "/v" in mod.base else "1",
            "description": (
                f"The {mod.name} API as served by this localtitan server: {len(ops)} "
                f"operations under `{mod.base}`, {done} of them implemented (the others "
                "answer 501). Get a token from the token URL of an environment with your "
                "client id and secret, then call that environment's server with the token in "
                "`Authorization` and your app key in `ST-App-Key`."
            ),
        },
        "servers": [
            {"url": f"{base}{api_prefix(env)}", "description": env.value.capitalize()}
            for env in ENVIRONMENTS
        ],
        "tags": [{"name": t} for t in sorted({op.tag or op.module for op in ops})],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": security_schemes},
        "x-localtitan-module": module,
    }
