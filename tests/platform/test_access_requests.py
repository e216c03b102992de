"""Request Access: the form's rules, approval (tenant, account, mail, audit), decline."""

from __future__ import annotations

import pytest

from localtitan.app import LocalTitan
from localtitan.platform import access, audit, mail, onboarding, users
from localtitan.platform.environments import Environment
from localtitan.platform.tenants import get_tenant

MODULES = frozenset({"crm", "jpm"})


def _form(**changes: object) -> access.RequestForm:
    base: dict[str, object] = {
        "name": "Riley Dev",
        "email": "Riley@Builder.example",
        "company": "Builder Apps",
        "website": "https://builder.example",
        "kind": "developer",
        "integration": "A dispatch board for HVAC companies.",
        "modules": ("crm",),
        "accepted_terms": True,
    }
    base.update(changes)
    return access.RequestForm(**base)  # type: ignore[arg-type]


def test_form_rules() -> None:
    assert access.check_request(_form(), MODULES) == {}
    bad = access.check_request(
        _form(
            name="",
            email="x",
            company="",
            website="builder",
            kind="spy",
            integration="",
            modules=("nope",),
            accepted_terms=False,
        ),
        MODULES,
    )
    assert set(bad) == {
        "name",
        "email",
        "company",
        "website",
        "kind",
        "integration",
        "modules",
        "terms",
    }


async def test_approval_makes_a_tenant_an_account_and_a_mail(app: LocalTitan) -> None:
    rt = app.runtime
    actor = audit.Actor("operator@localtitan.example", "127.0.0.1")
    async with rt.db.begin() as conn:
        request, receipt = await onboarding.submit(conn, _form(), MODULES, actor)
    assert request.reference.startswith("LTA-") and request.status == "pending"
    assert request.reference in receipt.subject and receipt.to == "riley@builder.example"
    approval = await onboarding.approve(
        rt.db,
        rt.manifest,
        rt.server_key,
        request.id,
        actor=actor,
        base_url="http://portal.test",
        seed=False,
        smtp_url=None,
    )
    async with rt.db.begin() as conn:
        tenant = await get_tenant(conn, approval.tenant_id)
        grants = await users.grants_of(conn, approval.user_id)
        entries = await audit.list_entries(conn, tenant_ids=[approval.tenant_id])
        with pytest.raises(access.AccessError, match="already approved"):
            await onboarding.decline(conn, request.id, actor=actor)
    assert tenant is not None and tenant.environments == (Environment.INTEGRATION,)
    assert {(g.role, g.tenant_id, g.environment) for g in grants} == {
        (users.Role.DEVELOPER, approval.tenant_id, "integration"),
        (users.Role.TENANT_ADMIN, approval.tenant_id, "integration"),
    }
    assert entries[0].action == "access.approved" and entries[0].address == "127.0.0.1"
    sent = (await mail.outbox(rt.db, to="riley@builder.example", limit=1))[0]
    assert sent.kind == "accounts.access-approved"
    assert str(approval.tenant_id) in sent.body and "http://portal.test/signin" in sent.body
    link = next(w for w in sent.body.split() if "/reset-password?token=" in w)
    async with rt.db.begin() as conn:
        token = link.split("token=", 1)[1]
        found = await users.user_for_reset_token(conn, rt.server_key, token)
    assert found is not None and found.id == approval.user_id


async def test_decline(app: LocalTitan) -> None:
    rt = app.runtime
    async with rt.db.begin() as conn:
        request, _ = await onboarding.submit(
            conn, _form(email="other@builder.example"), MODULES, audit.SYSTEM
        )
        done, message = await onboarding.decline(
            conn, request.id, actor=audit.CLI, reason="No site"
        )
    assert done.status == "declined" and done.tenant_id is None
    assert "No site" in message.text and message.to == "other@builder.example"
