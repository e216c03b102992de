"""Unmodified clients calling ServiceTitan's real host names, through ``localtitan run``.

One data dir (SQLite) for the module. First, with no server running, ``localtitan run``
starts localtitan itself (preparing the demo tenant) for a program; then ``localtitan serve
--https-port --proxy-port`` runs on free ports and every client goes through its proxy:
curl, servicepytan (its API root left at ServiceTitan's), httpx, and Node with ``fetch`` and
with ``https``. Each makes the two-step call to ``auth-integration.servicetitan.io`` and
``api-integration.servicetitan.io`` and prints the names of the demo tenant's first five
customers, which must equal what the server's plain port answers.

The page ``point-an-existing-client.md`` is tested here as well, by running its blocks (see
the docs section below for how).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import localtitan
from conftest import free_port

STARTUP_SECONDS = 180
BIN = Path(sys.executable).parent
LOCALTITAN = str(BIN / "localtitan")
NODE = shutil.which("node")
CURL = shutil.which("curl")
DOCS = Path(localtitan.__file__).parent / "portal/content/docs/point-an-existing-client.md"
HOSTS = (
    "auth.servicetitan.io",
    "auth-integration.servicetitan.io",
    "api.servicetitan.io",
    "api-integration.servicetitan.io",
)
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (CI has it)")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed (CI has it)")


# ---------------------------------------------------------------- the clients, as scripts

CURL_SCRIPT = r"""
set -eu
TOKEN=$(curl -sS --fail https://auth-integration.servicetitan.io/connect/token \
  -d grant_type=client_credentials \
  -d client_id="$ST_CLIENT_ID" -d client_secret="$ST_CLIENT_SECRET" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
curl -sS --fail \
  "https://api-integration.servicetitan.io/crm/v2/tenant/$ST_TENANT_ID/customers?pageSize=5" \
  -H "Authorization: $TOKEN" -H "ST-App-Key: $ST_APP_KEY"
"""

SERVICEPYTAN_SCRIPT = r"""
import json, os
from servicepytan import Endpoint
from servicepytan.auth import servicepytan_connect

conn = servicepytan_connect(
    api_environment="integration",
    app_key=os.environ["ST_APP_KEY"],
    tenant_id=os.environ["ST_TENANT_ID"],
    client_id=os.environ["ST_CLIENT_ID"],
    client_secret=os.environ["ST_CLIENT_SECRET"],
)
assert conn["api_root"] == "https://api-integration.servicetitan.io", conn["api_root"]
assert conn["auth_root"] == "https://auth-integration.servicetitan.io", conn["auth_root"]
page = Endpoint("crm", "customers", conn=conn).get_many({"pageSize": 5})
print(json.dumps(page))
"""

HTTPX_SCRIPT = r"""
import json, os
import httpx

token = httpx.post(
    "https://auth-integration.servicetitan.io/connect/token",
    data={
        "grant_type": "client_credentials",
        "client_id": os.environ["ST_CLIENT_ID"],
        "client_secret": os.environ["ST_CLIENT_SECRET"],
    },
).raise_for_status().json()["access_token"]
page = httpx.get(
    f"https://api-integration.servicetitan.io/crm/v2/tenant/{os.environ['ST_TENANT_ID']}/customers",
    params={"pageSize": 5},
    headers={"Authorization": token, "ST-App-Key": os.environ["ST_APP_KEY"]},
).raise_for_status()
print(json.dumps(page.json()))
"""

NODE_HTTPS_SCRIPT = r"""
const https = require("https");
const { ST_CLIENT_ID, ST_CLIENT_SECRET, ST_APP_KEY, ST_TENANT_ID } = process.env;

function call(url, options, body) {
  return new Promise((resolve, reject) => {
    const request = https.request(url, options, (response) => {
      let text = "";
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => resolve({ status: response.statusCode, text }));
    });
    request.on("error", reject);
    if (body) request.write(body);
    request.end();
  });
}

(async () => {
  const form = new URLSearchParams({
    grant_type: "client_credentials", client_id: ST_CLIENT_ID, client_secret: ST_CLIENT_SECRET,
  }).toString();
  const token = await call("https://auth-integration.servicetitan.io/connect/token", {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
  }, form);
  if (token.status !== 200) throw new Error(token.text);
  const page = await call(
    `https://api-integration.servicetitan.io/crm/v2/tenant/${ST_TENANT_ID}/customers?pageSize=5`,
    { headers: { Authorization: JSON.parse(token.text).access_token, "ST-App-Key": ST_APP_KEY } },
  );
  if (page.status !== 200) throw new Error(page.text);
  console.log(page.text);
})().catch((error) => { console.error(error.message); process.exit(1); });
"""

NODE_REFUSED_SCRIPT = r"""
fetch("https://example.com/").then(
  () => { console.log("connected"); },
  (error) => { console.log(String(error.cause && error.cause.message)); process.exit(3); },
);
"""


# ---------------------------------------------------------------- the world


@dataclass
class World:
    data_dir: Path
    work: Path
    env: dict[str, str]
    origin: str = ""
    proxy_port: int = 0
    https_port: int = 0
    quickstart: dict[str, Any] | None = None
    expected: list[str] | None = None
    own_proxy_run: subprocess.CompletedProcess[str] | None = None

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``localtitan run -- ARGS`` in the work dir, with the demo credentials set."""
        return self.shell([LOCALTITAN, "run", "--", *args], timeout=timeout)

    def shell(self, command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def script(self, name: str, text: str) -> str:
        path = self.work / name
        path.write_text(text)
        return str(path)


def _credentials(data_dir: Path) -> dict[str, str]:
    q = json.loads((data_dir / "quickstart.json").read_text())
    e = q["environments"]["integration"]
    return {
        "ST_TENANT_ID": str(q["tenantId"]),
        "ST_APP_KEY": q["appKey"],
        "ST_CLIENT_ID": e["clientId"],
        "ST_CLIENT_SECRET": e["clientSecret"],
    }


def _names(output: str) -> list[str]:
    """Customer names from a client's output: a JSON page, or Node's printed array."""
    text = output.strip()
    try:
        return [c["name"] for c in json.loads(text)["data"]]
    except (ValueError, KeyError, TypeError):
        return re.findall(r"'((?:[^'\\]|\\.)*)'", text)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("existing-clients")
    data_dir, work = root / "data", root / "work"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOCALTITAN_")
        and k.lower() not in ("https_proxy", "http_proxy", "no_proxy", "all_proxy")
        and k not in ("NODE_OPTIONS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
        and k not in ("NODE_EXTRA_CA_CERTS", "NODE_USE_ENV_PROXY")
    }
    env["LOCALTITAN_DATA_DIR"] = str(data_dir)
    env["LOCALTITAN_RATE_LIMIT"] = "0"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    made = World(data_dir, work, env)

    # No server yet: `localtitan run` prepares the data dir and starts localtitan itself.
    first = made.run(sys.executable, "-c", "print('ready')", timeout=STARTUP_SECONDS)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "ready"
    env.update(_credentials(data_dir))
    made.script("client.js", _docs_client_js())
    if NODE is not None:
        made.own_proxy_run = made.run("node", "client.js")
    else:
        made.own_proxy_run = made.run(sys.executable, made.script("httpx_client.py", HTTPX_SCRIPT))

    port, made.https_port, made.proxy_port = free_port(), free_port(), free_port()
    made.origin = f"http://127.0.0.1:{port}"
    command = [
        LOCALTITAN,
        "serve",
        "--port",
        str(port),
        "--https-port",
        str(made.https_port),
        "--proxy-port",
        str(made.proxy_port),
    ]
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (data_dir / "proxy.json").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"localtitan serve did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        made.quickstart = json.loads((data_dir / "quickstart.json").read_text())
        made.expected = _expected_names(made)
        yield made
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _expected_names(world: World) -> list[str]:
    """The first five customers, asked of the plain port with the path prefixes."""
    c = world.env
    with httpx.Client(base_url=world.origin, trust_env=False, timeout=30) as http:
        token = http.post(
            "/auth-integration/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": c["ST_CLIENT_ID"],
                "client_secret": c["ST_CLIENT_SECRET"],
            },
        ).json()["access_token"]
        page = http.get(
            f"/api-integration/crm/v2/tenant/{c['ST_TENANT_ID']}/customers",
            params={"pageSize": 5},
            headers={"Authorization": token, "ST-App-Key": c["ST_APP_KEY"]},
        ).json()
    names = [customer["name"] for customer in page["data"]]
    assert len(names) == 5, "the demo tenant should hold demo customers"
    return names


# ---------------------------------------------------------------- clients through the proxy


def test_run_starts_localtitan_itself_when_no_server_is_running(world: World) -> None:
    done = world.own_proxy_run
    assert done is not None
    assert done.returncode == 0, done.stderr
    assert "starting localtitan for this command" in " ".join(done.stderr.split())
    assert _names(done.stdout) == world.expected


@needs_curl
def test_curl(world: World) -> None:
    done = world.run("sh", world.script("curl_client.sh", CURL_SCRIPT))
    assert done.returncode == 0, done.stderr
    assert _names(done.stdout) == world.expected


def test_servicepytan_with_its_default_api_root(world: World) -> None:
    done = world.run(sys.executable, world.script("servicepytan_client.py", SERVICEPYTAN_SCRIPT))
    assert done.returncode == 0, done.stderr
    assert _names(done.stdout) == world.expected


def test_httpx(world: World) -> None:
    done = world.run(sys.executable, world.script("httpx_client.py", HTTPX_SCRIPT))
    assert done.returncode == 0, done.stderr
    assert _names(done.stdout) == world.expected


@needs_node
def test_node_fetch(world: World) -> None:
    done = world.run("node", "client.js")
    assert done.returncode == 0, done.stderr
    assert _names(done.stdout) == world.expected


@needs_node
def test_node_https_module(world: World) -> None:
    done = world.run("node", world.script("https_client.js", NODE_HTTPS_SCRIPT))
    assert done.returncode == 0, done.stderr
    assert _names(done.stdout) == world.expected


@needs_curl
def test_other_hosts_are_refused_naming_the_four_served(world: World) -> None:
    done = world.run("curl", "-sS", "https://example.com/")
    assert done.returncode == 56, (done.stdout, done.stderr)
    assert "403" in done.stderr
    done = world.run("curl", "-sS", "http://example.com/")
    body = json.loads(done.stdout)
    assert body["status"] == 403
    for host in HOSTS:
        assert host in body["title"]


@needs_node
def test_node_is_told_why_another_host_is_refused(world: World) -> None:
    done = world.run("node", world.script("refused.js", NODE_REFUSED_SCRIPT))
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "refused example.com:443 (403)" in done.stdout
    assert "api-integration.servicetitan.io" in done.stdout


def test_python_is_refused_for_another_host(world: World) -> None:
    code = "import httpx; httpx.get('https://www.example.org/')"
    done = world.run(sys.executable, "-c", code)
    assert done.returncode != 0
    assert "ProxyError" in done.stderr
    assert "403" in done.stderr


@needs_curl
def test_without_the_ca_the_certificate_is_refused(world: World) -> None:
    url = "https://api-integration.servicetitan.io/"
    done = world.run("env", "-u", "CURL_CA_BUNDLE", "-u", "SSL_CERT_FILE", "curl", "-sS", url)
    assert done.returncode == 60, (done.stdout, done.stderr)  # peer certificate not trusted
    done = world.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "404"  # trusted, and localtitan has nothing at /


@needs_node
def test_node_without_the_ca_refuses_the_certificate(world: World) -> None:
    done = world.run("env", "-u", "NODE_EXTRA_CA_CERTS", "node", "client.js")
    assert done.returncode != 0
    assert "certificate" in done.stderr.lower()


def test_print_env_points_a_shell_at_the_running_proxy(world: World) -> None:
    done = world.shell([LOCALTITAN, "run", "--print-env"])
    assert done.returncode == 0, done.stderr
    assert f"export HTTPS_PROXY=http://127.0.0.1:{world.proxy_port}\n" in done.stdout
    bundle = (world.data_dir / "ca" / "bundle.pem").resolve()
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert f"export {name}={bundle}\n" in done.stdout
    shown = world.shell(["sh", "-c", f'eval "$({LOCALTITAN} run --print-env)"; env'])
    seen = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
    assert seen["NO_PROXY"] == "localhost,127.0.0.1,::1"
    assert seen["NODE_USE_ENV_PROXY"] == "1"
    assert "node_preload.cjs" in seen["NODE_OPTIONS"]


def test_run_returns_the_programs_exit_status(world: World) -> None:
    assert world.run("sh", "-c", "exit 7").returncode == 7
    missing = world.run("no-such-program-here")
    assert missing.returncode == 127
    assert "no such program" in missing.stderr


# ---------------------------------------------------------------- the docs page
#
# Every fenced block of the page is handled by its info string:
#   sh                     run with bash in the work dir, the credentials block first;
#                          a block that starts `localtitan serve` is checked against the
#                          module's server instead (its flags must be ones it was given);
#   python                 run with this Python;
#   js                     the page's client.js, which the Node tests run;
#   json                   the connector settings, checked for the plain port's URLs;
#   text                   the /etc/hosts line;
#   sh hosts-file          run with the /etc/hosts line simulated: curl gets --resolve for
#                          each name on it, and https://NAME/ becomes https://NAME:PORT/;
#   sh changes-your-machine  not run (sudo, system settings); each line must start with sudo.
# The page's default ports (8080, 8899, 443/8443) are replaced by the module server's.

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(info.strip(), body) for info, body in FENCE.findall(DOCS.read_text())]


def _docs_client_js() -> str:
    scripts = [body for info, body in _blocks() if info == "js"]
    assert len(scripts) == 1
    return scripts[0]


def _ported(world: World, text: str) -> str:
    port = world.origin.rsplit(":", 1)[1]
    return text.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace(
        "localhost:8443", f"localhost:{world.https_port}"
    )


def _bash(world: World, body: str) -> subprocess.CompletedProcess[str]:
    credentials = next(b for info, b in _blocks() if info == "sh")
    return world.shell(["bash", "-euc", credentials + "\n" + body], timeout=120)


def test_the_page_has_its_agreed_title_and_every_block_is_known() -> None:
    assert DOCS.read_text().splitlines()[0] == "# Point an existing client at localtitan"
    known = {"sh", "python", "js", "json", "text", "sh hosts-file", "sh changes-your-machine"}
    assert {info for info, _ in _blocks()} <= known
    for info, body in _blocks():
        if info == "sh changes-your-machine":
            for line in body.strip().splitlines():
                assert line.startswith("sudo "), line


def test_the_pages_shell_commands_work(world: World) -> None:
    ran = 0
    for info, body in _blocks():
        if info != "sh":
            continue
        if body.startswith("localtitan serve"):
            flags = set(re.findall(r"--[a-z-]+", body))
            assert flags <= {"--https-port", "--proxy-port"}, body
            continue
        done = _bash(world, _ported(world, body))
        assert done.returncode == 0, (body, done.stdout, done.stderr)
        if "node " in body:
            if NODE is None:
                pytest.skip("node is not installed (CI has it)")
            for name in world.expected or []:
                assert name in done.stdout, (body, done.stdout)
        ran += 1
    assert ran >= 3  # the credentials, `localtitan run -- node` and the --print-env shell


def test_the_pages_servicepytan_override(world: World) -> None:
    (body,) = [b for info, b in _blocks() if info == "python"]
    done = world.shell([sys.executable, "-c", _ported(world, body)])
    assert done.returncode == 0, done.stderr
    assert ast.literal_eval(done.stdout.strip()) == world.expected


def test_the_pages_connector_settings(world: World, tmp_path: Path) -> None:
    (body,) = [b for info, b in _blocks() if info == "json"]
    settings = json.loads(_ported(world, body))
    with httpx.Client(trust_env=False) as http:
        token = http.post(
            settings["auth_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": world.env["ST_CLIENT_ID"],
                "client_secret": world.env["ST_CLIENT_SECRET"],
            },
        )
        assert token.status_code == 200, token.text
        page = http.get(
            f"{settings['api_url']}/crm/v2/tenant/{world.env['ST_TENANT_ID']}/customers",
            params={"pageSize": 5},
            headers={
                "Authorization": token.json()["access_token"],
                "ST-App-Key": world.env["ST_APP_KEY"],
            },
        )
    assert [c["name"] for c in page.json()["data"]] == world.expected


@needs_curl
def test_the_pages_hosts_file_line_and_ca_trust(world: World) -> None:
    (hosts_line,) = [b for info, b in _blocks() if info == "text"]
    address, *names = hosts_line.split()
    assert address == "127.0.0.1"
    assert sorted(names) == sorted(HOSTS)
    (body,) = [b for info, b in _blocks() if info == "sh hosts-file"]
    resolve = " ".join(f"--resolve {n}:{world.https_port}:127.0.0.1" for n in names)
    simulated = body.replace("curl ", f"curl {resolve} ")
    for name in names:
        simulated = simulated.replace(f"https://{name}/", f"https://{name}:{world.https_port}/")
    done = _bash(world, simulated)
    assert done.returncode == 0, (done.stdout, done.stderr)
    discovery = json.loads(done.stdout)
    assert discovery["token_endpoint"].endswith("/connect/token")
