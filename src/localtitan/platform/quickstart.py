"""The first-start bundle: a demo tenant, an app holding every scope, one connection per
environment, written to ``<data-dir>/quickstart.json`` (mode 0600) so a newcomer can call
the API at once."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from localtitan.platform.apps import create_app
from localtitan.platform.credentials import connect_app
from localtitan.platform.environments import ENVIRONMENTS, api_prefix, auth_prefix
from localtitan.platform.server_key import ServerKey
from localtitan.platform.tenants import create_tenant, get_tenant
from localtitan.platform.users import Role, create_user, find_user, grant_role, set_password
from localtitan.private_files import private_dir
from localtitan.store import Connection

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_DEVELOPER_EMAIL",
    "FIELDS",
    "QUICKSTART_FILE",
    "create_quickstart",
    "curl_example",
    "ensure_portal_users",
    "field",
    "quickstart_is_current",
    "quickstart_path",
    "read_quickstart",
    "with_base_url",
    "write_quickstart",
]

QUICKSTART_FILE = "quickstart.json"
DEMO_DEVELOPER_EMAIL = "developer@localtitan.example"
DEMO_ADMIN_EMAIL = "admin@localtitan.example"


def quickstart_path(data_dir: Path) -> Path:
    return data_dir / QUICKSTART_FILE


def read_quickstart(data_dir: Path) -> dict[str, Any] | None:
    path = quickstart_path(data_dir)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


async def quickstart_is_current(conn: Connection, data_dir: Path) -> bool:
    """True when the file exists and names a tenant this database still has."""
    data = read_quickstart(data_dir)
    return data is not None and await get_tenant(conn, int(data["tenantId"])) is not None


def with_base_url(data: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Fill in the URLs for the address the server listens on now."""
    out: dict[str, Any] = json.loads(json.dumps(data))
    if "portal" in out:
        out["portal"]["url"] = f"{base_url}/signin"
    for env in ENVIRONMENTS:
        entry = out["environments"][env.value]
        entry["tokenUrl"] = f"{base_url}{auth_prefix(env)}/connect/token"
        entry["apiBaseUrl"] = f"{base_url}{api_prefix(env)}"
    return out


async def create_quickstart(
    conn: Connection,
    server_key: ServerKey,
    data_dir: Path,
    base_url: str,
    scopes: frozenset[str],
) -> dict[str, Any]:
    tenant = await create_tenant(conn, name="Demo Heating & Air")
    app = await create_app(
        conn,
        name="localtitan quickstart",
        organization="localtitan",
        scopes=scopes,
        tenant_ids=[tenant.id],
        owner_tenant_id=tenant.id,
    )
    envs: dict[str, Any] = {}
    for env in ENVIRONMENTS:
        connection, issued = await connect_app(
            conn, server_key, app_id=app.id, tenant_id=tenant.id, environment=env
        )
        envs[env.value] = {"clientId": connection.client_id, "clientSecret": issued.secret}
    data = with_base_url(
        {
            "tenantId": tenant.id,
            "appId": app.id,
            "appKey": app.app_key,
            "environments": envs,
            "portal": await _portal_users(conn, tenant.id),
        },
        base_url,
    )
    write_quickstart(data_dir, data)
    return data


async def _portal_users(conn: Connection, tenant_id: int) -> dict[str, Any]:
    """The demo developer (My Apps) and demo tenant admin (API Application Access) of the
    quickstart tenant, in both environments, with fresh random passwords."""
    out: dict[str, Any] = {"url": ""}
    for key, email, name, role in (
        ("developer", DEMO_DEVELOPER_EMAIL, "Demo Developer", Role.DEVELOPER),
        ("tenantAdmin", DEMO_ADMIN_EMAIL, "Demo Tenant Admin", Role.TENANT_ADMIN),
    ):
        password = secrets.token_urlsafe(12)
        user = await find_user(conn, email)
        if user is None:
            user = await create_user(conn, email=email, name=name, password=password)
        else:
            await set_password(conn, user.id, password)
        await grant_role(conn, user.id, role, tenant_id=tenant_id)
        out[key] = {"email": email, "password": password}
    return out


async def ensure_portal_users(
    conn: Connection, data_dir: Path, data: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """Give a quickstart made before the portal had accounts its demo users (once)."""
    if "portal" in data:
        return data
    data = dict(data)
    data["portal"] = await _portal_users(conn, int(data["tenantId"]))
    data = with_base_url(data, base_url)
    write_quickstart(data_dir, data)
    return data


def write_quickstart(data_dir: Path, data: dict[str, Any]) -> None:
    private_dir(data_dir)
    path = quickstart_path(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


# What ``localtitan quickstart --get`` prints, and where each value is in the bundle.
FIELDS = (
    "tenant_id",
    "app_id",
    "app_key",
    "client_id",
    "client_secret",
    "token_url",
    "api_base_url",
)


def field(data: dict[str, Any], name: str, env: str = "integration") -> str:
    """One value of the bundle by its ``FIELDS`` name (``-`` may stand for ``_``)."""
    key = name.strip().lower().replace("-", "_")
    if key not in FIELDS:
        raise KeyError(name)
    if key in ("tenant_id", "app_id", "app_key"):
        return str(data[{"tenant_id": "tenantId", "app_id": "appId", "app_key": "appKey"}[key]])
    camel = {
        "client_id": "clientId",
        "client_secret": "clientSecret",
        "token_url": "tokenUrl",
        "api_base_url": "apiBaseUrl",
    }[key]
    return str(data["environments"][env][camel])


def curl_example(data: dict[str, Any], env: str = "integration", secret: str | None = None) -> str:
    """The two-step call; ``secret`` replaces the client secret (a shell expression, say)."""
    e = data["environments"][env]
    shown = e["clientSecret"] if secret is None else secret
    return (
        f"TOKEN=$(curl -s -X POST {e['tokenUrl']} \\\n"
        f"  -d grant_type=client_credentials \\\n"
        f"  -d client_id={e['clientId']} \\\n"
        f"  -d client_secret={shown} | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'curl -s "{e["apiBaseUrl"]}/crm/v2/tenant/{data["tenantId"]}/customers?pageSize=5" \\\n'
        f'  -H "Authorization: $TOKEN" -H "ST-App-Key: {data["appKey"]}"'
    )
