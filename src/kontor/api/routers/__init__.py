"""One module per resource; ``register`` mounts them under /api/v1/."""

from __future__ import annotations

import importlib

from ninja import NinjaAPI

#: (module under kontor.api.routers, URL prefix, OpenAPI tag)
ROUTERS = [
    # First: its /v1/<records>/export paths must match before the records' /{id} paths.
    ("data", "/v1", "import and export"),
    ("leads", "/v1/leads", "leads"),
    ("lead_convert", "/v1/leads", "leads"),
    ("deals", "/v1/deals", "deals"),
    ("contacts", "/v1/contacts", "contacts"),
    ("companies", "/v1/companies", "companies"),
    ("activities", "/v1/activities", "activities"),
    ("pipelines", "/v1/pipelines", "pipelines"),
    ("lead_statuses", "/v1/lead-statuses", "lead statuses"),
    ("inquiries", "/v1/inquiries", "inquiries"),
    ("crm_mode", "/v1/crm-mode", "CRM mode"),
    ("custom_fields", "/v1/custom-fields", "custom fields"),
    ("users", "/v1/users", "users"),
    ("roles", "/v1/roles", "roles and departments"),
    ("departments", "/v1/departments", "roles and departments"),
    ("webhooks", "/v1/webhooks", "webhooks"),
]


def register(api: NinjaAPI) -> None:
    for module_name, prefix, tag in ROUTERS:
        try:
            module = importlib.import_module(f"kontor.api.routers.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kontor.api.routers.{module_name}":
                continue  # not built yet
            raise
        api.add_router(prefix, module.router, tags=[tag])
