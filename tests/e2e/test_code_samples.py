"""Every code sample the docs show runs, as shown, against a live server (no browser needed).

The samples are taken from the served pages themselves (so the test sees exactly what a
reader copies, with this server's URLs), run with the quickstart credentials in the four
variables the samples read: curl in bash and Python with this interpreter (httpx), every one;
JavaScript with Node (the system's, or the one inside the Playwright wheel) for every shape of
sample. C# is not run: there is no .NET here.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import playwright
import pytest

from localtitan.portal.docs import all_pages

from .live_server import LiveServer

_SAMPLE = re.compile(
    r'<section class="sample" data-lang="(\w+)">.*?<code[^>]*>(.*?)</code>', re.DOTALL
)
_SH_BLOCK = re.compile(r'<pre><code class="language-sh">(.*?)</code></pre>', re.DOTALL)


def _samples(server: LiveServer, lang: str) -> Iterator[tuple[str, str]]:
    """(code, first page showing it) for every distinct sample in ``lang``."""
    seen: set[str] = set()
    for page in all_pages():
        r = httpx.get(server.origin + page.href, timeout=30)
        assert r.status_code == 200, page.href
        for found_lang, source in _SAMPLE.findall(r.text):
            code = html.unescape(source)
            if found_lang == lang and code not in seen:
                seen.add(code)
                yield code, page.href


def _env(server: LiveServer, code: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "LOCALTITAN_"))}
    environment = "production" if "/auth/connect/token" in code else "integration"
    env.update(server.env(environment))
    return env


def _node() -> str | None:
    found = shutil.which("node")
    if found:
        return found
    bundled = Path(playwright.__file__).parent / "driver" / "node"
    return str(bundled) if bundled.exists() else None


def _run(command: list[str], code: str, env: dict[str, str], where: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (
        f"sample on {where} failed ({done.returncode}):\n{code}\n--- stderr:\n{done.stderr}"
    )
    assert done.stdout.strip(), f"sample on {where} printed nothing:\n{code}"
    return done.stdout


def _check_output(out: str, code: str, where: str) -> None:
    if "/export/" in code:
        assert "next run starts from" in out, where
    elif "page" in code and "hasMore" in code:
        assert "records" in out, where
    elif "/tenant/" in code:
        assert "data" in out, f"{where}: no data in {out[:300]}"


def test_curl_samples_run(live_server: LiveServer) -> None:
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed; scripts/setup dev installs it as root.")
    ran = 0
    for code, where in _samples(live_server, "curl"):
        out = _run(["bash", "-euo", "pipefail", "-c", code], code, _env(live_server, code), where)
        _check_output(out, code, where)
        ran += 1
    assert ran >= 6 + 20  # the named samples and one per module (a few modules share one)


def test_python_samples_run(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first runs in an interpreter of its own, exactly as a reader would; the rest run in
    this one (a fresh namespace each, stdout captured) to save an interpreter start each."""
    ran = 0
    for code, where in _samples(live_server, "python"):
        env = _env(live_server, code)
        if ran == 0:
            out = _run([sys.executable, "-c", code], code, env, where)
        else:
            for name in ("ST_CLIENT_ID", "ST_CLIENT_SECRET", "ST_APP_KEY", "ST_TENANT_ID"):
                monkeypatch.setenv(name, env[name])
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                # Our own docs sample, run as the test subject.
                exec(compile(code, f"<sample on {where}>", "exec"), {"__name__": "__main__"})  # noqa: S102
            out = printed.getvalue()
            assert out.strip(), f"sample on {where} printed nothing:\n{code}"
        _check_output(out, code, where)
        ran += 1
    assert ran >= 26


def test_javascript_samples_run(live_server: LiveServer, tmp_path: Path) -> None:
    """Every sample of the docs pages, and the module pages' sample (they differ only in path,
    which the curl and Python runs check for every module) for two modules."""
    node = _node()
    if node is None:
        pytest.fail("No Node.js: neither `node` on PATH nor the one inside the playwright wheel.")
    ran = 0
    chosen = [
        (code, where)
        for code, where in _samples(live_server, "javascript")
        if not where.startswith("/docs/api-resources-")
        or where in ("/docs/api-resources-crm", "/docs/api-resources-settings")
    ]
    for i, (code, where) in enumerate(chosen):
        script = tmp_path / f"sample{i}.mjs"
        script.write_text(code)
        out = _run([node, str(script)], code, _env(live_server, code), where)
        _check_output(out, code, where)
        ran += 1
    assert ran >= 7  # the settings module's sample is the employees one


def test_every_sample_comes_in_four_languages(live_server: LiveServer) -> None:
    r = httpx.get(live_server.origin + "/docs/get-going-first-api-call", timeout=30)
    langs = re.findall(r'<section class="sample" data-lang="(\w+)">', r.text)
    assert langs[:4] == ["curl", "python", "javascript", "csharp"]
    assert len(langs) % 4 == 0
    assert f"{live_server.origin}/auth-integration/connect/token" in html.unescape(r.text)


def test_the_credentials_snippet_sets_the_four_variables(live_server: LiveServer) -> None:
    r = httpx.get(live_server.origin + "/docs/get-going-first-api-call", timeout=30)
    block = next(html.unescape(b) for b in _SH_BLOCK.findall(r.text) if "quickstart --json" in b)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "LOCALTITAN_"))}
    env["LOCALTITAN_DATA_DIR"] = str(live_server.data_dir)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    script = block + '\necho "$ST_TENANT_ID $ST_APP_KEY $ST_CLIENT_ID $ST_CLIENT_SECRET"\n'
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = live_server.env("integration")
    assert done.stdout.split() == [
        expected["ST_TENANT_ID"],
        expected["ST_APP_KEY"],
        expected["ST_CLIENT_ID"],
        expected["ST_CLIENT_SECRET"],
    ]
