"""Token endpoint throughput: ``POST /auth-integration/connect/token`` with a client-credentials
form, against the bare ASGI app replaying the same response bytes, and against the **token
ceiling** (:mod:`bench.token_ceiling`): a bare app that reads the form, looks the client up
and checks its secret with the server's own functions, and signs the same claims with the same
key through the server's own ``TokenService.issue``, and nothing else.

Every call is a successful one (the endpoint throttles failed attempts only), so this measures
what a good client costs: form parsing, the client lookup and secret check, the scopes read and
an RS256 signature per token. localtitan runs with ``--rate-limit 0`` and its defaults
otherwise (the request log on).

Three comparisons from the same rounds (localtitan vs bare: the target; ceiling vs bare: the
best any server of this response could do here; localtitan vs ceiling), the server CPU per
token of each, and the RSA signature's own CPU per token measured on the server's CPU in the
same run (``GET /_ceiling/sign`` on the ceiling), so the output says what bound the target has
on the machine at hand. The ceiling's response is checked against the server's first: the
same status, headers and JSON, and a token whose JOSE header and claims are the server's but
for the times, the ``jti`` and the issuer's port, signed by the key the server publishes.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from bench._database_cpu import DatabaseCpu
from bench._harness import (
    BenchResult,
    Captured,
    Config,
    HttpLoad,
    HttpRequest,
    LocalTitan,
    Server,
    baseline_server,
    capture,
    free_port,
    localtitan_server,
)
from bench.ceiling import ceiling_notes, compare_with_ceiling, postgres_dsn_of
from bench.token_ceiling import TokenCeilingSettings

NAME = "token_endpoint"
TITLE = "POST /auth-integration/connect/token (form client credentials)"
TARGET = ">= 0.08 req/s ratio on SQLite, >= 0.07 on PostgreSQL (issue 10)"
# Claims that differ between any two tokens: when, and the token's own id.
_PER_TOKEN = frozenset({"iat", "nbf", "exp", "jti"})
_SIGN_SAMPLES = 3


def target_ratio(cfg: Config) -> float:
    return 0.07 if cfg.database_url else 0.08


@contextlib.asynccontextmanager
async def token_ceiling_server(cfg: Config, lt: LocalTitan, workdir: Path) -> AsyncIterator[Server]:
    """The token ceiling on ``lt``'s database and server key."""
    database_url = cfg.database_url or f"sqlite+aiosqlite:///{(lt.data_dir / 'localtitan.db')}"
    settings = TokenCeilingSettings(
        data_dir=str(lt.data_dir),
        database_url=database_url,
        environment="integration",
        prefix=lt.path_of(lt.env()["tokenUrl"]).removesuffix("/connect/token"),
        sqlite_path=None if cfg.database_url else str(lt.data_dir / "localtitan.db"),
        postgres_dsn=postgres_dsn_of(cfg.database_url) if cfg.database_url else None,
    )
    port = free_port()
    config = workdir / f"token-ceiling-{port}.json"
    settings.save(config)
    argv = [sys.executable, "-m", "bench.token_ceiling", "--port", str(port)]
    argv += ["--config", str(config)]
    env = {"LOCALTITAN_SERVER_KEY": cfg.server_key} if cfg.server_key else {}
    server = Server(
        "token ceiling",
        argv,
        port=port,
        log_path=workdir / f"token-ceiling-{port}.log",
        cfg=cfg,
        env=env,
    )
    if settings.postgres_dsn:
        # Its PostgreSQL backends' CPU, reported as the server's are (bench/_database_cpu.py).
        server.database = DatabaseCpu.for_url(settings.postgres_dsn)
    async with server:
        yield server


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def same_token_response(real: Captured, ceiling: Captured, jwks: dict[str, Any]) -> list[str]:
    """What differs between the server's token answer and the ceiling's beyond what must (the
    times, the jti, the issuer's port); empty when nothing does. Both tokens must verify with
    a key the server publishes."""
    out: list[str] = []
    if real.status != ceiling.status:
        out.append(f"status {real.status} vs {ceiling.status}")

    def headers(c: Captured) -> list[tuple[str, str]]:
        return sorted((k.lower(), v) for k, v in c.headers if k.lower() not in ("date", "server"))

    if headers(real) != headers(ceiling):
        out.append(f"headers {headers(real)} vs {headers(ceiling)}")
    ours, theirs = json.loads(real.body), json.loads(ceiling.body)
    tokens = ours.pop("access_token"), theirs.pop("access_token")
    if ours != theirs:
        out.append("the JSON beside the token differs")
    (h1, c1), (h2, c2) = (_parts(t) for t in tokens)
    if h1 != h2:
        out.append(f"JOSE header {h1} vs {h2}")
    iss = c1.pop("iss"), c2.pop("iss")
    if iss[0].rpartition(":")[0] != iss[1].rpartition(":")[0]:
        out.append(f"issuer {iss[0]} vs {iss[1]}")
    if {k: v for k, v in c1.items() if k not in _PER_TOKEN} != {
        k: v for k, v in c2.items() if k not in _PER_TOKEN
    }:
        out.append("claims differ beyond the times and jti")
    keys = {k["kid"]: jwt.PyJWK(k) for k in jwks["keys"]}
    for token, header in zip(tokens, (h1, h2), strict=True):
        try:
            jwt.decode(
                token,
                keys[header["kid"]].key,
                algorithms=["RS256"],
                options={"verify_aud": False},
            )
        except (KeyError, jwt.PyJWTError) as exc:
            out.append(f"a token does not verify with the published key: {exc!r}")
    return out


async def sign_cpu(server: Server) -> dict[str, float]:
    """The ceiling's CPU per RSA signature and per issued token, median of a few samples."""
    samples = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as client:
        for _ in range(_SIGN_SAMPLES):
            samples.append((await client.get("/_ceiling/sign", params={"n": 200})).json())
    return {k: statistics.median(s[k] for s in samples) for k in ("sign_us", "issue_us")}


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-token-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir) as lt:
            creds = lt.env("integration")
            form = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": creds["clientId"],
                    "client_secret": creds["clientSecret"],
                }
            ).encode()
            request = HttpRequest(
                "POST",
                lt.path_of(creds["tokenUrl"]),
                (("content-type", "application/x-www-form-urlencoded"),),
                form,
            )
            real = await capture(lt.server, request)
            if real.status != 200:
                raise RuntimeError(f"token endpoint answered {real.status}: {real.body[:300]!r}")
            jwks_path = request.target.removesuffix("/connect/token") + "/.well-known/jwks"
            jwks = json.loads((await capture(lt.server, HttpRequest("GET", jwks_path))).body)
            async with (
                baseline_server(cfg, real, workdir) as base,
                token_ceiling_server(cfg, lt, workdir) as top,
            ):
                replay = await capture(base, request)
                least = await capture(top, request)
                differs = same_token_response(real, least, jwks)
                if differs:
                    raise RuntimeError("the token ceiling differs: " + "; ".join(differs))
                before = await sign_cpu(top)
                comparison, ceiling, gap = await compare_with_ceiling(
                    f"POST {request.target}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("token ceiling", top, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                    target=TARGET,
                )
                after = await sign_cpu(top)
    signing = {k: statistics.median((before[k], after[k])) for k in before}
    ratio = comparison.ratio("rps")
    met = ratio is not None and ratio >= target_ratio(cfg)
    bare_us = comparison.cpu_per_request_us("baseline")
    bound = bare_us / (bare_us + signing["sign_us"]) if bare_us else None
    notes = [
        f"response {len(real.body):,} bytes; the baseline replays one captured token; "
        f"identical status, headers and body: {real.same_payload(replay)}",
        f"target {TARGET}: {'met' if met else 'MISSED'}; request log on (serve's default)",
        "the ceiling's response is the server's but for the token's times, jti and issuer "
        "port (both tokens verify with the published key)",
        *ceiling_notes(
            NAME,
            comparison,
            ceiling,
            True,
            ceiling_work="form, client lookup, secret hash, claims, RS256 signature",
            own_work="failure limits, Starlette, request log, response",
        )[1:],
        f"RS256 signature on the server's CPU, this run: {signing['sign_us']:,.0f} µs CPU per "
        f"token ({signing['issue_us']:,.0f} µs for the whole issue: claims, encoding, "
        f"signature); bare HTTP plus the signature alone bounds the ratio at "
        + (f"{bound:.3f}" if bound is not None else "?")
        + " by CPU",
    ]
    return BenchResult(
        NAME,
        TITLE,
        [comparison, ceiling, gap],
        notes=notes,
        facts={
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "request_bytes": len(form),
            "target": TARGET,
            "met": met,
            "ceiling_vs_bare": ceiling.ratio("rps"),
            "localtitan_vs_ceiling": gap.ratio("rps"),
            "sign_cpu_us": signing["sign_us"],
            "issue_cpu_us": signing["issue_us"],
            "cpu_per_request_us": {
                "localtitan": comparison.cpu_per_request_us("subject"),
                "ceiling": ceiling.cpu_per_request_us("subject"),
                "bare": bare_us,
            },
            "cpu_bound_ratio": bound,
        },
    )
