"""Import every behaviour module so its handlers register themselves."""

from __future__ import annotations

__all__ = ["load_behaviours"]

_loaded = False


def load_behaviours() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # Importing a module registers its handlers.
    from localtitan.domain import (  # noqa: F401
        attachments,
        bookings,
        bookkeeping,
        budget_codes,
        business_hours,
        capacity,
        contact_relationships,
        crm,
        dispatch,
        invoice_items,
        job_equipment,
        job_reasons,
        journal_entry_sync,
        jpm,
        marketing_costs,
        people,
        pricebook_bulk,
        proposal_types,
        reporting,
        sales,
        scheduler_performance,
        task_client_data,
    )
    from localtitan.engine import generic  # noqa: F401
