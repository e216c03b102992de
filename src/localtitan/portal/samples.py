"""Code samples of calls, in curl, Python (httpx), JavaScript (fetch) and C# (HttpClient).

Every sample reads the credentials from four environment variables (``ST_CLIENT_ID``,
``ST_CLIENT_SECRET``, ``ST_APP_KEY``, ``ST_TENANT_ID``) so it runs as printed, and is filled with
this server's URLs for the request that shows it. ``tests/e2e/test_code_samples.py`` runs the
curl, Python and JavaScript versions of every sample against a live server.

A Markdown page shows one with a fenced block whose info string is ``sample <name>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup
from starlette.requests import Request

from localtitan.platform.environments import Environment
from localtitan.portal.templating import EnvironmentUrls, server_urls
from localtitan.spec import Manifest

__all__ = [
    "LANGUAGES",
    "SAMPLES",
    "Sample",
    "code",
    "module_sample",
    "render_code",
    "render_sample",
]

LANGUAGES: tuple[tuple[str, str], ...] = (
    ("curl", "curl"),
    ("python", "Python (httpx)"),
    ("javascript", "JavaScript (fetch)"),
    ("csharp", "C# (HttpClient)"),
)
_HIGHLIGHT = {"curl": "sh", "python": "python", "javascript": "javascript", "csharp": "csharp"}


@dataclass(frozen=True, slots=True)
class Sample:
    """A token call, then (unless ``token_only``) one GET under the API base.

    ``loop`` = "export" follows ``continueFrom`` while ``hasMore``; "pages" follows ``page``.
    """

    title: str
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)
    environment: Environment = Environment.INTEGRATION
    token_only: bool = False
    loop: str = ""


SAMPLES: dict[str, Sample] = {
    "token": Sample("Get an access token (integration)", token_only=True),
    "first-call": Sample(
        "Token, then a list of customers",
        "/crm/v2/tenant/{tenant}/customers",
        {"page": "1", "pageSize": "50"},
    ),
    "employees": Sample(
        "Token, then the tenant's employees", "/settings/v2/tenant/{tenant}/employees"
    ),
    "production-call": Sample(
        "The same call against production",
        "/crm/v2/tenant/{tenant}/customers",
        {"page": "1", "pageSize": "50"},
        Environment.PRODUCTION,
    ),
    "paging": Sample(
        "Read every page of a list",
        "/crm/v2/tenant/{tenant}/customers",
        {"pageSize": "200", "includeTotal": "true"},
        loop="pages",
    ),
    "export": Sample(
        "Export every customer, then keep the token for the next run",
        "/crm/v2/tenant/{tenant}/export/customers",
        {"includeRecentChanges": "true"},
        loop="export",
    ),
}


def module_sample(manifest: Manifest, module: str) -> Sample | None:
    """A first GET for a module page: its first list (else export) needing only the tenant."""
    for kind in ("list", "export", "get"):
        for op in manifest.operations:
            if op.module != module or op.kind != kind or op.method != "GET":
                continue
            needs = [p for p in op.parameters if p.required and p.name != "tenant"]
            if not needs and op.path.count("{") == 1:
                name = manifest.modules[module].name
                return Sample(f"Token, then {op.operation_id} ({name})", op.path)
    return None


def _resolve(name: str, request: Request) -> Sample:
    if name.startswith("module:"):
        found = module_sample(request.app.state.runtime.manifest, name[len("module:") :])
        if found is None:
            raise KeyError(name)
        return found
    return SAMPLES[name]


def _urls(urls: tuple[EnvironmentUrls, ...], env: Environment) -> EnvironmentUrls:
    return next(u for u in urls if u.environment is env)


def code(sample: Sample, lang: str, urls: tuple[EnvironmentUrls, ...]) -> str:
    """The sample's source in one language, for these base URLs."""
    env = _urls(urls, sample.environment)
    make = {"curl": _curl, "python": _python, "javascript": _javascript, "csharp": _csharp}[lang]
    return make(sample, env.token_url, env.api_base).strip() + "\n"


# ---------------------------------------------------------------- curl


def _curl(s: Sample, token_url: str, api_base: str) -> str:
    token = (
        f'TOKEN=$(curl -sS --fail-with-body -X POST "{token_url}" \\\n'
        '  -H "Content-Type: application/x-www-form-urlencoded" \\\n'
        "  -d grant_type=client_credentials \\\n"
        '  --data-urlencode "client_id=$ST_CLIENT_ID" \\\n'
        '  --data-urlencode "client_secret=$ST_CLIENT_SECRET" \\\n'
        "  | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
    )
    if s.token_only:
        return token + 'echo "$TOKEN"\n'
    path = s.path.replace("{tenant}", "$ST_TENANT_ID")
    query = "&".join(f"{k}={v}" for k, v in s.query.items())
    url = f"{api_base}{path}" + (f"?{query}" if query else "")
    headers = '  -H "Authorization: $TOKEN" \\\n  -H "ST-App-Key: $ST_APP_KEY"'
    if s.loop == "pages":
        return (
            token + "\npage=1\nwhile :; do\n"
            f'  body=$(curl -sS --fail-with-body "{url}&page=$page" \\\n'
            '    -H "Authorization: $TOKEN" -H "ST-App-Key: $ST_APP_KEY")\n'
            '  echo "$body" | python3 -c \'import json, sys; b = json.load(sys.stdin); '
            'print("page", b["page"], "of", b["totalCount"], "records:", len(b["data"]))\'\n'
            '  more=$(echo "$body" | python3 -c \'import json, sys; '
            'print(json.load(sys.stdin)["hasMore"])\')\n'
            '  [ "$more" = "True" ] || break\n'
            "  page=$((page + 1))\n"
            "done\n"
        )
    if s.loop == "export":
        return (
            token + '\nfrom=""   # empty on the first run; then the continueFrom you stored\n'
            "while :; do\n"
            f'  body=$(curl -sS --fail-with-body -G "{url}" \\\n'
            '    --data-urlencode "from=$from" \\\n'
            '    -H "Authorization: $TOKEN" -H "ST-App-Key: $ST_APP_KEY")\n'
            '  from=$(echo "$body" | python3 -c \'import json, sys; '
            'print(json.load(sys.stdin)["continueFrom"])\')\n'
            '  more=$(echo "$body" | python3 -c \'import json, sys; '
            'print(json.load(sys.stdin)["hasMore"])\')\n'
            '  [ "$more" = "True" ] || break\n'
            "done\n"
            'echo "next run starts from: $from"\n'
        )
    return token + f'\ncurl -sS --fail-with-body "{url}" \\\n{headers}\n'


# ---------------------------------------------------------------- Python


def _python(s: Sample, token_url: str, api_base: str) -> str:
    head = (
        "import os\n\nimport httpx\n\n"
        "token = (\n"
        "    httpx.post(\n"
        f'        "{token_url}",\n'
        "        data={\n"
        '            "grant_type": "client_credentials",\n'
        '            "client_id": os.environ["ST_CLIENT_ID"],\n'
        '            "client_secret": os.environ["ST_CLIENT_SECRET"],\n'
        "        },\n"
        "    )\n"
        "    .raise_for_status()\n"
        '    .json()["access_token"]\n'
        ")\n"
    )
    if s.token_only:
        return head + "print(token)  # valid for 900 seconds: cache it and reuse it\n"
    path = s.path  # {tenant} is the variable above, in an interpolated string
    setup = (
        'tenant = os.environ["ST_TENANT_ID"]\n'
        'headers = {"Authorization": token, "ST-App-Key": os.environ["ST_APP_KEY"]}\n'
        f'url = f"{api_base}{path}"\n'
    )
    params = json.dumps(s.query)
    if s.loop == "pages":
        return (
            head + "\n" + setup + f"params = {params}\n"
            "page = 1\nwhile True:\n"
            '    body = httpx.get(url, params={**params, "page": page}, headers=headers)'
            ".raise_for_status().json()\n"
            '    print("page", body["page"], "of", body["totalCount"], "records:", '
            'len(body["data"]))\n'
            '    if not body["hasMore"]:\n        break\n'
            "    page += 1\n"
        )
    if s.loop == "export":
        return (
            head + "\n" + setup + f"params = {params}\n"
            'continue_from = ""  # empty on the first run; then the token you stored\n'
            "while True:\n"
            '    body = httpx.get(url, params={**params, "from": continue_from}, headers=headers)'
            ".raise_for_status().json()\n"
            '    print(len(body["data"]), "records")\n'
            '    continue_from = body["continueFrom"]\n'
            '    if not body["hasMore"]:\n        break\n'
            'print("next run starts from:", continue_from)\n'
        )
    call = "response = httpx.get(url, headers=headers"
    call += f", params={params})\n" if s.query else ")\n"
    return head + "\n" + setup + call + "response.raise_for_status()\nprint(response.json())\n"


# ---------------------------------------------------------------- JavaScript


def _javascript(s: Sample, token_url: str, api_base: str) -> str:
    head = (
        "// Node.js 18+ (save as sample.mjs) or any modern runtime with fetch.\n"
        f'const tokenResponse = await fetch("{token_url}", {{\n'
        '  method: "POST",\n'
        '  headers: { "Content-Type": "application/x-www-form-urlencoded" },\n'
        "  body: new URLSearchParams({\n"
        '    grant_type: "client_credentials",\n'
        "    client_id: process.env.ST_CLIENT_ID,\n"
        "    client_secret: process.env.ST_CLIENT_SECRET,\n"
        "  }),\n"
        "});\n"
        "if (!tokenResponse.ok) throw new Error(`token: HTTP ${tokenResponse.status}`);\n"
        "const { access_token: token } = await tokenResponse.json();\n"
    )
    if s.token_only:
        return head + "console.log(token); // valid for 900 seconds: cache it and reuse it\n"
    path = s.path.replace("{tenant}", "${process.env.ST_TENANT_ID}")
    setup = (
        'const headers = { Authorization: token, "ST-App-Key": process.env.ST_APP_KEY };\n'
        f"const url = new URL(`{api_base}{path}`);\n"
        f"const params = {json.dumps(s.query)};\n"
    )
    get = (
        "  url.search = new URLSearchParams({ ...params, %s });\n"
        "  const response = await fetch(url, { headers });\n"
        "  if (!response.ok) throw new Error(`HTTP ${response.status}`);\n"
        "  const body = await response.json();\n"
    )
    if s.loop == "pages":
        return (
            head
            + "\n"
            + setup
            + "for (let page = 1; ; page++) {\n"
            + get % "page: String(page)"
            + '  console.log("page", body.page, "of", body.totalCount, "records:", '
            "body.data.length);\n"
            "  if (!body.hasMore) break;\n}\n"
        )
    if s.loop == "export":
        return (
            head
            + "\n"
            + setup
            + 'let from = ""; // empty on the first run; then the continueFrom you stored\n'
            "for (;;) {\n" + get % "from" + '  console.log(body.data.length, "records");\n'
            "  from = body.continueFrom;\n"
            "  if (!body.hasMore) break;\n}\n"
            'console.log("next run starts from:", from);\n'
        )
    return (
        head + "\n" + setup + "url.search = new URLSearchParams(params);\n"
        "const response = await fetch(url, { headers });\n"
        "if (!response.ok) throw new Error(`HTTP ${response.status}`);\n"
        "console.log(await response.json());\n"
    )


# ---------------------------------------------------------------- C#


def _csharp(s: Sample, token_url: str, api_base: str) -> str:
    head = (
        "// .NET 6+ top-level program (dotnet new console).\n"
        "using System.Text.Json;\n\n"
        "var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };\n"
        "var form = new FormUrlEncodedContent(new Dictionary<string, string>\n{\n"
        '    ["grant_type"] = "client_credentials",\n'
        '    ["client_id"] = Environment.GetEnvironmentVariable("ST_CLIENT_ID")!,\n'
        '    ["client_secret"] = Environment.GetEnvironmentVariable("ST_CLIENT_SECRET")!,\n'
        "});\n"
        f'var tokenResponse = await http.PostAsync("{token_url}", form);\n'
        "tokenResponse.EnsureSuccessStatusCode();\n"
        "var tokenBody = await tokenResponse.Content.ReadAsStringAsync();\n"
        "using var tokenJson = JsonDocument.Parse(tokenBody);\n"
        'var token = tokenJson.RootElement.GetProperty("access_token").GetString()!;\n'
    )
    if s.token_only:
        return head + "Console.WriteLine(token); // valid for 900 seconds: cache it and reuse it\n"
    path = s.path  # {tenant} is the variable above, in an interpolated string
    query = "&".join(f"{k}={v}" for k, v in s.query.items())
    send = (
        "async Task<JsonElement> Get(string url)\n{\n"
        "    using var request = new HttpRequestMessage(HttpMethod.Get, url);\n"
        '    request.Headers.TryAddWithoutValidation("Authorization", token);\n'
        '    request.Headers.Add("ST-App-Key", Environment.GetEnvironmentVariable("ST_APP_KEY"));\n'
        "    using var response = await http.SendAsync(request);\n"
        "    response.EnsureSuccessStatusCode();\n"
        "    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());\n"
        "    return json.RootElement.Clone();\n}\n\n"
        'var tenant = Environment.GetEnvironmentVariable("ST_TENANT_ID");\n'
    )
    base = f'$"{api_base}{path}'
    if s.loop == "pages":
        return (
            head + "\n" + send + "for (var page = 1; ; page++)\n{\n"
            f'    var body = await Get({base}?{query}&page={{page}}");\n'
            '    Console.WriteLine($"page {page}: {body.GetProperty("data").GetArrayLength()} '
            'records");\n'
            '    if (!body.GetProperty("hasMore").GetBoolean()) break;\n}\n'
        )
    if s.loop == "export":
        return (
            head
            + "\n"
            + send
            + 'var continueFrom = ""; // empty on the first run; then the token you stored\n'
            "while (true)\n{\n"
            "    var position = Uri.EscapeDataString(continueFrom);\n"
            f'    var body = await Get({base}?{query}&from={{position}}");\n'
            '    continueFrom = body.GetProperty("continueFrom").GetString() ?? "";\n'
            '    if (!body.GetProperty("hasMore").GetBoolean()) break;\n}\n'
            'Console.WriteLine($"next run starts from: {continueFrom}");\n'
        )
    suffix = f"?{query}" if query else ""
    return head + "\n" + send + f'Console.WriteLine(await Get({base}{suffix}"));\n'


# ---------------------------------------------------------------- HTML


def render_code(sample: Sample, urls: tuple[EnvironmentUrls, ...]) -> Markup:
    """The sample as one section per language (tabs when JavaScript runs)."""
    parts = [f'<div class="samples"><p class="sample-title">{escape(sample.title)}</p>']
    for lang, label in LANGUAGES:
        source = escape(code(sample, lang, urls))
        parts.append(
            f'<section class="sample" data-lang="{lang}">'
            f'<h4 class="sample-lang">{escape(label)}</h4>'
            f'<pre><code class="language-{_HIGHLIGHT[lang]}">{source}</code></pre></section>'
        )
    parts.append("</div>")
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped above


def render_sample(request: Request, name: str) -> Markup:
    return render_code(_resolve(name, request), server_urls(request))
