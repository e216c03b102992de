"""The benchmarks' CPU pinning: the load driver on one CPU, the servers it starts on the others.

A run that prints "client on CPU [0], servers on CPU [1]" must mean it: until 2026-12-02 the
servers inherited the client's CPU (the split was read after the client was pinned), so both
sides shared one CPU and every ratio mixed the client's cost into the server's.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="pinning needs Linux and at least two CPUs",
)

# Run in a child: pin_client() pins the process that calls it, which must not be pytest's.
_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys, tempfile
    from pathlib import Path
    from bench._harness import Config, Server, free_port, pin_client

    async def main():
        cfg = Config(startup_timeout=30)
        said = pin_client(cfg)
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            server = Server(
                "http.server",
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                port=port, log_path=Path(tmp) / "server.log", cfg=cfg,
            )
            await server.start()
            try:
                print(said)
                print(sorted(os.sched_getaffinity(0)))
                print(sorted(os.sched_getaffinity(server.pid)))
            finally:
                await server.stop()

    asyncio.run(main())
    """
)


def test_servers_run_on_other_cpus_than_the_pinned_client() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    said, client, server = done.stdout.strip().splitlines()[-3:]
    client_cpus, server_cpus = set(ast.literal_eval(client)), set(ast.literal_eval(server))
    assert said.startswith("client on CPU")
    assert client_cpus and server_cpus
    assert not client_cpus & server_cpus, (client_cpus, server_cpus)
