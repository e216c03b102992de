"""Two localtitan servers under the door's load at the same time, for an A/B of server options:
``python -m bench.side_by_side [--a ARGS] [--b ARGS] [--env-b KEY=VALUE ...] [--rounds N]``.

Both serve the door benchmark's authenticated 50-record page (:mod:`bench.door`), each on its
own 16 connections from this one driver, sharing the server CPU in every round, so the
machine's speed swings (10-20% over seconds here) hit both alike; this prints each round's
CPU per request of both and the median of B / A. ``--a`` and ``--b`` are extra ``serve``
arguments (A defaults to the request log and access log off, B to ``serve``'s defaults);
``--env-b`` sets environment variables for B alone (for instance ``PYTHONPATH`` to a directory
with a ``sitecustomize.py`` that switches one part of the server off, which is how the request
log's parts were measured in ``docs/performance.md``). Run it with A and B the same to see the
method's own spread. A developer's tool, not one of the ratio benchmarks of ``python -m bench``.

``--post`` loads both with ``post_customer``'s create (a customer with one location) instead;
``--env-a`` sets environment variables for A alone. Two trees' code side by side:
``--env-a PYTHONPATH=TREE_A/src --env-b PYTHONPATH=TREE_B/src --a "--no-request-log --quiet"
--b "--no-request-log --quiet"`` (the package's editable install may point at any worktree).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

from bench._harness import (
    Config,
    HttpLoad,
    HttpRequest,
    LocalTitan,
    capture,
    localtitan_server,
    pin_client,
)
from bench.door import LOG_OFF, Settled, _prepared, side_by_side
from bench.post_customer import create_request


async def _main(args: argparse.Namespace) -> None:
    cfg = Config(duration=args.duration, warmup=args.warmup, rounds=args.rounds)
    print(pin_client(cfg))
    env_a = dict(pair.split("=", 1) for pair in args.env_a)
    env_b = dict(pair.split("=", 1) for pair in args.env_b)
    with tempfile.TemporaryDirectory(prefix="bench-side-by-side-") as tmp:
        async with AsyncExitStack() as stack:
            loads = []
            for name, argv, env in (("A", args.a, env_a), ("B", args.b, env_b)):
                saved = {key: os.environ.get(key) for key in env}
                os.environ.update(env)  # the server is started with this process's environment
                try:
                    lt = await stack.enter_async_context(
                        localtitan_server(cfg, Path(tmp), extra_args=shlex.split(argv), name=name)
                    )
                finally:
                    for key, value in saved.items():
                        if value is None:
                            os.environ.pop(key, None)
                        else:
                            os.environ[key] = value
                request = await _create_request(lt) if args.post else (await _prepared(lt))[0]
                loads.append(Settled(HttpLoad(name, lt.server, request, cfg)))
            a, b = loads
            result = await side_by_side("B / A", b, a, cfg, target="report")
            ratios = []
            for number, (sb, sa) in enumerate(zip(result.subject, result.baseline, strict=True)):
                if not (sa.server_cpu and sb.server_cpu and sa.rps and sb.rps):
                    continue
                ca, cb = sa.server_cpu / sa.rps * 1e6, sb.server_cpu / sb.rps * 1e6
                ratios.append(cb / ca)
                print(
                    f"round {number + 1}: A {sa.rps:,.0f} req/s {ca:.0f} µs/request, "
                    f"B {sb.rps:,.0f} req/s {cb:.0f} µs/request, B / A {cb / ca:.3f}"
                )
            if ratios:
                print(
                    f"B / A, CPU per request, median of {len(ratios)} rounds: "
                    f"{statistics.median(ratios):.3f}"
                )


async def _create_request(lt: LocalTitan) -> HttpRequest:
    """``post_customer``'s request, checked to create."""
    request = await create_request(lt)
    answer = await capture(lt.server, request)
    if answer.status != 200:
        raise RuntimeError(f"create answered {answer.status}: {answer.body[:300]!r}")
    return request


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.side_by_side", description=__doc__)
    p.add_argument("--a", default=shlex.join(LOG_OFF), help="serve arguments of A")
    p.add_argument("--b", default="", help="serve arguments of B")
    p.add_argument("--env-a", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--env-b", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--post", action="store_true", help="post_customer's create, not the page")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=float, default=2.0, help="seconds per round")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of load before round 1")
    asyncio.run(_main(p.parse_args()))


if __name__ == "__main__":
    main()
