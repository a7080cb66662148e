"""Who may do what, for every route there is: each native API operation (from the OpenAPI schema),
each facade method (from the facade's registry) and each web URL (from the URL conf) is called as an
anonymous visitor, a manager and an admin, and the answers are compared with the declared table in
``role_matrix.py``. A route missing from the table (or an entry for a route that is gone) fails
``test_every_route_has_an_entry``.

"Refused" means: API 401 (anonymous) / 403 (manager); facade 401 / ``Access denied.``; web a redirect
to the login page (anonymous) / 403. "Allowed" means anything else (404, 409 or 422 for the sample
arguments is fine: the role check let the caller through). Each call runs in a savepoint that is rolled
back, so a DELETE or a mode switch does not change what the next call sees.

``ROLE_MATRIX_PRINT=1 pytest tests/security/test_role_matrix.py -s`` prints the observed table, to add
entries for new routes after checking them against the specification.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kontor.accounts.services import token_create
from kontor.bitrix.services import webhook_create, webhook_path

from . import role_matrix as table
from .role_matrix import ADMIN, PUBLIC, USER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- the routes ------------------------------------------------------------------------------------


def openapi() -> dict:
    from kontor.api.api import api

    return api.get_openapi_schema()


def api_operations() -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, ops in openapi()["paths"].items() for method in ops
                  if method in ("get", "post", "put", "patch", "delete"))


def facade_methods() -> list[str]:
    from kontor.bitrix import registry

    registry._load()
    return sorted(registry.METHODS)


def web_routes() -> dict[str, str]:
    """``name -> pattern`` of every URL outside /api/ and /rest/ (Django's admin as one entry)."""
    routes: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            pattern = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if pattern.startswith(("api/", "^rest")):
                    continue
                if pattern.startswith("admin/"):
                    routes["admin:index"] = "admin/"
                    continue
                walk(p.url_patterns, pattern, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                routes[namespace + p.name] = pattern

    walk(get_resolver().url_patterns, "", "")
    return routes


def test_every_route_has_an_entry():
    missing = [f"API {m} {p}" for m, p in api_operations() if (m, p) not in table.API]
    missing += [f"facade {name}" for name in facade_methods() if name not in table.FACADE]
    missing += [f"web {name}" for name in web_routes() if name not in table.WEB]
    stale = [f"API {m} {p}" for m, p in table.API if (m, p) not in set(api_operations())]
    stale += [f"facade {name}" for name in table.FACADE if name not in set(facade_methods())]
    stale += [f"web {name}" for name in table.WEB if name not in web_routes()]
    assert not missing, "routes without an entry in tests/security/role_matrix.py:\n" + "\n".join(missing)
    assert not stale, "entries in tests/security/role_matrix.py for routes that are gone:\n" + "\n".join(stale)


# --- sample records the calls refer to ---------------------------------------------------------------


@pytest.fixture
def sample(admin_user, manager_user) -> dict[str, Any]:
    """One record of each kind, the manager responsible where records have one, and their ids by the
    names the routes give their parameters."""
    from kontor.crm.enums import EntityType
    from kontor.crm.models import CrmSettings, Pipeline
    from kontor.crm.services.custom_fields import custom_field_create
    from kontor.events.models import OutgoingWebhook
    from kontor.modes.models import ModeSwitch, SwitchStatus
    from kontor.web.models import WebForm

    _, raw = token_create(user=admin_user)

    def made(path: str, body: dict) -> dict:
        r = Client().post(path, data=json.dumps(body), content_type="application/json",
                          headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code in (200, 201), (path, r.content)
        return r.json()

    contact = made("/api/v1/contacts", {"name": "Kai", "emails": ["kai@x.de"]})
    company = made("/api/v1/companies", {"title": "Kai GmbH"})
    deal = made("/api/v1/deals", {"title": "Deal", "contact_id": contact["id"]})
    activity = made("/api/v1/activities", {"type": "call", "subject": "Ruf an",
                                           "bindings": [{"entity": "deal", "id": deal["id"]}]})
    CrmSettings.objects.filter(pk=1).update(mode="classic")
    lead = made("/api/v1/leads", {"title": "Lead", "name": "Lea"})
    pipeline = Pipeline.objects.order_by("id").first()
    stage = pipeline.stages.order_by("sort", "id").first()
    field = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="UF_CRM_ROLE", type="string",
                                label_de="Rolle")
    hook = OutgoingWebhook.objects.create(url="https://example.org/hook", events=["deal.created"])
    switch = ModeSwitch.objects.create(status=SwitchStatus.DONE, from_mode="classic", to_mode="simple",
                                       actor=admin_user)
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    token, _ = token_create(user=manager_user)
    ids = {"lead_id": lead["id"], "deal_id": deal["id"], "contact_id": contact["id"], "company_id": company["id"],
           "activity_id": activity["id"], "pipeline_id": pipeline.pk, "stage_id": stage.pk, "code": "NEW",
           "field_id": field.pk, "webhook_id": hook.pk, "switch_id": switch.pk, "user_id": manager_user.pk,
           "token_id": token.pk, "delivery_id": 1, "import_id": 1, "role_id": 1, "department_id": 1,
           "webform_id": webform.pk, "slug": webform.slug}
    return ids


# --- callers -----------------------------------------------------------------------------------------


def _rolled_back(call):
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def _example(schema: dict, components: dict, depth: int = 0) -> Any:
    """A minimal value that passes the schema (required properties only), so that validation does not
    answer before the role check does."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _example(props.get(k, {}), components, depth + 1) for k in schema.get("required", [])}
    return {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind, "x")


def _body(op: dict, spec: dict) -> Any:
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(content["application/json"]["schema"], spec.get("components", {}).get("schemas", {}))


def _denied_api(response, role: str) -> bool:
    return response.status_code == (401 if role == "anonymous" else 403)


def _denied_facade(response) -> bool:
    if response.status_code in (401, 403):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return body.get("error_description") == "Access denied." or body.get("error") in ("ACCESS_DENIED",
                                                                                        "INSUFFICIENT_SCOPE")


def _denied_web(response, role: str) -> bool:
    if role == "anonymous":
        return response.status_code == 302 and "login" in response["Location"]
    return response.status_code == 403 or (response.status_code == 302 and "/admin/login" in response["Location"])


def _expected(rule: str, role: str) -> bool:
    """Whether ``role`` may use a route with this rule."""
    return rule == PUBLIC or (rule == USER and role != "anonymous") or role == "admin"


def _clients(admin_user, manager_user) -> dict[str, dict[str, Any]]:
    _, admin_token = token_create(user=admin_user)
    _, manager_token = token_create(user=manager_user)
    admin_web, manager_web = Client(), Client()
    admin_web.force_login(admin_user)
    manager_web.force_login(manager_user)
    admin_hook, admin_raw = webhook_create(user=admin_user, name="matrix")
    manager_hook, manager_raw = webhook_create(user=manager_user, name="matrix")
    return {
        "anonymous": {"token": None, "web": Client(), "hook": "/rest/"},
        "manager": {"token": manager_token, "web": manager_web, "hook": webhook_path(manager_hook, manager_raw)},
        "admin": {"token": admin_token, "web": admin_web, "hook": webhook_path(admin_hook, admin_raw)},
    }


ROLES = ("anonymous", "manager", "admin")
PRINT = bool(os.environ.get("ROLE_MATRIX_PRINT"))


def _verdicts(observed: dict[str, dict[str, bool]], rules: dict) -> list[str]:
    wrong = []
    for route, allowed in observed.items():
        rule = rules.get(route)
        if rule is None:
            continue  # reported by test_every_route_has_an_entry
        for role in ROLES:
            if allowed[role] != _expected(rule, role):
                wrong.append(f"{route}: {role} {'allowed' if allowed[role] else 'refused'}, table says {rule}")
    return wrong


def _print(kind: str, observed: dict[str, dict[str, bool]]) -> None:
    if PRINT:
        for route, allowed in observed.items():
            rule = PUBLIC if allowed["anonymous"] else USER if allowed["manager"] else ADMIN
            print(f"OBSERVED {kind} {route!r}: {rule.upper()},")


def test_native_api_roles(admin_user, manager_user, sample):
    spec = openapi()
    clients = _clients(admin_user, manager_user)
    observed: dict[str, dict[str, bool]] = {}
    for method, path in api_operations():
        op = spec["paths"][path][method.lower()]
        url = re.sub(r"{(\w+)}", lambda m: str(sample.get(m.group(1), 1)), path)
        body = table.API_BODIES.get((method, path), _body(op, spec))
        allowed = {}
        for role in ROLES:
            token = clients[role]["token"]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs.update(data=json.dumps(body), content_type="application/json")
            send = getattr(Client(), method.lower())
            response = _rolled_back(lambda send=send, url=url, kwargs=kwargs: send(url, **kwargs))
            allowed[role] = not _denied_api(response, role) and response.status_code not in (401, 403)
        observed[f"{method} {path}"] = allowed
    _print("API", observed)
    rules = {f"{m} {p}": rule for (m, p), rule in table.API.items()}
    assert not (wrong := _verdicts(observed, rules)), "\n".join(wrong)


def test_facade_roles(admin_user, manager_user, sample):
    clients = _clients(admin_user, manager_user)
    observed: dict[str, dict[str, bool]] = {}
    for name in facade_methods():
        params = table.FACADE_PARAMS.get(name, {})
        params = json.loads(json.dumps(params).replace('"$pipeline"', str(sample["pipeline_id"])))
        allowed = {}
        for role in ROLES:
            url = clients[role]["hook"] + name

            def call(url=url, params=params):
                return Client().post(url, data=json.dumps(params), content_type="application/json")

            allowed[role] = not _denied_facade(_rolled_back(call))
        observed[name] = allowed
    _print("facade", observed)
    assert not (wrong := _verdicts(observed, table.FACADE)), "\n".join(wrong)


def _web_url(pattern: str, sample: dict[str, Any], name: str) -> str:
    def value(match) -> str:
        param = match.group(2)
        if param == "pk":
            kind = name.split(":")[-1].split("_")[0]
            return str(sample.get(f"{kind}_id", sample.get(table.WEB_PK.get(name, ""), 1)))
        return str(table.WEB_KWARGS.get(name, {}).get(param, sample.get(param, "x")))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, pattern)


def test_web_roles(admin_user, manager_user, sample):
    clients = _clients(admin_user, manager_user)
    observed: dict[str, dict[str, bool]] = {}
    for name, pattern in sorted(web_routes().items()):
        if name in table.WEB_SKIP:
            continue
        url = _web_url(pattern, sample, name)
        allowed = {}
        for role in ROLES:
            client = clients[role]["web"]
            response = _rolled_back(lambda client=client, url=url: client.get(url))
            if response.status_code == 405:  # POST-only: the role check must still come first
                response = _rolled_back(lambda client=client, url=url: client.post(url, {}))
            allowed[role] = not _denied_web(response, role)
        observed[name] = allowed
    _print("web", observed)
    assert not (wrong := _verdicts(observed, table.WEB)), "\n".join(wrong)
