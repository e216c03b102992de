"""Code samples: four languages, this server's URLs, the credentials from the environment."""

from __future__ import annotations

import ast

from localtitan.platform.environments import Environment
from localtitan.portal import samples
from localtitan.portal.templating import EnvironmentUrls
from localtitan.spec import load_manifest

URLS = (
    EnvironmentUrls(
        Environment.INTEGRATION,
        "Integration",
        "http://h:1/auth-integration/connect/token",
        "http://h:1/api-integration",
    ),
    EnvironmentUrls(
        Environment.PRODUCTION, "Production", "http://h:1/auth/connect/token", "http://h:1/api"
    ),
)


def _all() -> list[samples.Sample]:
    manifest = load_manifest()
    found = list(samples.SAMPLES.values())
    found += [s for k in manifest.modules if (s := samples.module_sample(manifest, k))]
    return found


def test_every_sample_in_every_language_names_the_urls_and_headers() -> None:
    for sample in _all():
        env = URLS[0] if sample.environment is Environment.INTEGRATION else URLS[1]
        for lang, _label in samples.LANGUAGES:
            code = samples.code(sample, lang, URLS)
            assert env.token_url in code, (sample.title, lang)
            assert "ST_CLIENT_SECRET" in code and "client_credentials" in code
            if not sample.token_only:
                assert env.api_base in code, (sample.title, lang)
                assert "ST-App-Key" in code and "ST_TENANT_ID" in code
            # No secret is ever written into a sample.
            assert "cs1." not in code and "ak1." not in code


def test_python_samples_are_valid_python() -> None:
    for sample in _all():
        ast.parse(samples.code(sample, "python", URLS))


def test_html_escapes_the_code() -> None:
    html = str(samples.render_code(samples.SAMPLES["first-call"], URLS))
    assert "&lt;" not in html or "<script" not in html
    assert 'data-lang="csharp"' in html
    assert "Dictionary&lt;string, string&gt;" in html
