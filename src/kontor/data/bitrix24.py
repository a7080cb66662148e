"""``kontor import_bitrix24 WEBHOOK_URL``: copy a Bitrix24 portal into Kontor through its REST API.

The source is read only through an inbound webhook (``https://portal/rest/USER/SECRET/``): lists with
``start=-1`` and ``filter[>ID]`` ordered by ``ID`` (the fast keyset paging Bitrix24 recommends), the
per-record look-ups (a deal's contacts, product rows, comments) 50 to a ``batch``. ``SourcePortal``
keeps within the portal's limit (a token bucket: ``rate`` requests per second with a ``burst``) and
backs off and retries on ``QUERY_LIMIT_EXCEEDED`` or a busy server.

Writes go through Kontor's own facade code in-process (``kontor.bitrix``), so a Bitrix24 field is
mapped to Kontor exactly as a Bitrix24 client's call would be: the field declarations
(``kontor.crm.fields.bitrix_map``) decide what is copied, custom fields included. Ids that point
elsewhere (responsible user, company, contacts, pipeline and stage, list items of custom fields,
activity owners, products) are translated through ``BitrixImportMap``, which remembers what every
source record became: a second run updates what changed and leaves the rest alone, and a run that
stopped half-way continues where it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from kontor.bitrix.errors import RestError
from kontor.bitrix.mapping import LINK_PREFIXES
from kontor.bitrix.registry import Call, dispatch
from kontor.core.errors import KontorError
from kontor.crm.enums import EntityType
from kontor.crm.fields import Kind, bitrix_map
from kontor.data.models import BitrixImportMap

log = logging.getLogger(__name__)

PAGE = 50
BATCH = 50
#: Directories copied besides lead statuses and sources (deal stages come with their pipelines).
DIRECTORIES = ("STATUS", "SOURCE", "HONORIFIC", "CONTACT_TYPE", "COMPANY_TYPE", "DEAL_TYPE", "INDUSTRY",
               "EMPLOYEES")
RECORD_KINDS = ("company", "contact", "lead", "deal")
ENTITY_TYPES = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT,
                "company": EntityType.COMPANY}
TYPE_KINDS = {1: "lead", 2: "deal", 3: "contact", 4: "company"}


class SourceError(Exception):
    """The source portal refused a call (after retries) or cannot be reached."""


def php_query(params: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Parameters as PHP bracket pairs (``filter[>ID]=5``, ``select[0]=ID``), the form ``batch`` commands
    are written in."""
    pairs: list[tuple[str, str]] = []
    if isinstance(params, dict):
        items = list(params.items())
    elif isinstance(params, list | tuple):
        items = list(enumerate(params))
    else:
        return [(prefix, "" if params is None else str(params))]
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict | list | tuple):
            pairs.extend(php_query(value, name))
        elif isinstance(value, bool):
            pairs.append((name, "Y" if value else "N"))
        else:
            pairs.append((name, "" if value is None else str(value)))
    return pairs


class SourcePortal:
    """A Bitrix24 portal behind an inbound webhook, called within its request limit."""

    def __init__(self, url: str, *, rate: float = 2.0, burst: int = 50, retries: int = 8, timeout: float = 60,
                 cafile: str | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        parsed = urllib.parse.urlsplit(url.strip())
        parts = [p for p in parsed.path.split("/") if p]
        if parsed.scheme not in ("http", "https") or len(parts) < 3 or parts[-3] != "rest":
            raise SourceError("The webhook URL must look like https://PORTAL/rest/USER_ID/SECRET/")
        self.base = f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}/"
        #: Who the map belongs to: the portal and the webhook's user, never the secret.
        self.key = f"{parsed.netloc}/{'/'.join(parts[:-1])}"
        self.rate, self.burst, self.retries, self.timeout = rate, burst, retries, timeout
        self.sleep = sleep
        self.tokens = float(burst)
        self.last = time.monotonic()
        self.requests = 0
        self.context = ssl.create_default_context(cafile=cafile) if parsed.scheme == "https" else None

    def _take(self) -> None:
        """Wait until the token bucket allows another request."""
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate
            self.sleep(wait)
            self.tokens = 1
            self.last = time.monotonic()
        self.tokens -= 1

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One method; the whole answer (``result``, ``total``, ``next``). Retries when the portal
        says it is over its limit or busy, with a growing pause."""
        body = json.dumps(params or {}).encode()
        delay = 1.0
        for attempt in range(self.retries + 1):
            self._take()
            self.requests += 1
            request = urllib.request.Request(self.base + method + ".json", data=body, method="POST",
                                             headers={"Content-Type": "application/json",
                                                      "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
                    return json.loads(response.read().decode() or "{}")
            except urllib.error.HTTPError as exc:
                try:
                    answer = json.loads(exc.read().decode() or "{}")
                except ValueError:
                    answer = {}
                code = answer.get("error", "") if isinstance(answer, dict) else ""
                busy = code in ("QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT") or exc.code in (429, 502, 503, 504)
                if busy and attempt < self.retries:
                    log.info("%s: %s, waiting %.1f s", method, code or exc.code, delay)
                    self.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    self.tokens = 0
                    continue
                description = answer.get("error_description", "") if isinstance(answer, dict) else ""
                raise SourceError(f"{method}: {code or exc.code} {description}".strip()) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt < self.retries:
                    self.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                raise SourceError(f"{method}: {exc}") from None
        raise SourceError(f"{method}: no answer")  # pragma: no cover - the loop returns or raises

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.call(method, params).get("result")

    def batch(self, commands: dict[str, tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Up to 50 commands per ``batch`` call: ``(results, errors)`` by key."""
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        keys = list(commands)
        for start in range(0, len(keys), BATCH):
            cmd = {key: f"{commands[key][0]}?{urllib.parse.urlencode(php_query(commands[key][1]))}"
                   for key in keys[start : start + BATCH]}
            answer = self.result("batch", {"halt": 0, "cmd": cmd}) or {}
            results.update(answer.get("result") or {})
            errors.update(answer.get("result_error") or {})
        return results, errors

    def rows(self, method: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every row of a ``*.list`` method: ``start=-1`` (no counting) and ``filter[>ID]`` after the
        last id, ordered by ``ID``."""
        params = dict(params or {})
        base_filter = dict(params.pop("filter", {}) or {})
        last = 0
        while True:
            page = self.result(method, {**params, "filter": {**base_filter, ">ID": last}, "order": {"ID": "ASC"},
                                        "start": -1}) or []
            if isinstance(page, dict):  # crm.item.list-like answers
                page = next(iter(page.values()), [])
            yield from page
            if len(page) < PAGE:
                return
            last = int(page[-1]["ID"])

    def pages(self, method: str, params: dict[str, Any] | None = None, *, key: str | None = None) -> Iterator[Any]:
        """Every row of a method paged with ``start``/``next`` (users, categories)."""
        start = 0
        while True:
            answer = self.call(method, {**(params or {}), "start": start})
            result = answer.get("result") or []
            yield from (result.get(key) or []) if key and isinstance(result, dict) else result
            nxt = answer.get("next")
            if not nxt:
                return
            start = int(nxt)


@dataclass
class Counts:
    """What happened to one kind of thing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


@dataclass
class Summary:
    """Per kind: created, updated, unchanged, failed; and why each failure failed."""

    counts: dict[str, Counts] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    mode: str = ""

    def count(self, kind: str) -> Counts:
        return self.counts.setdefault(kind, Counts())

    def lines(self) -> list[str]:
        out = [f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, {c.failed} failed"
               for kind, c in self.counts.items()]
        out.extend(f"  not copied: {p}" for p in self.problems[:200])
        if len(self.problems) > 200:
            out.append(f"  … and {len(self.problems) - 200} more")
        return out


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:40]


class _Rollback(Exception):
    """Ends a dry run: everything written is rolled back."""


class PortalImport:
    """One run of the migration: reads ``source``, writes as ``actor`` (an admin), reports to
    ``progress(kind, done)`` and fills ``summary``."""

    def __init__(self, source: SourcePortal, *, actor: Any, dry_run: bool = False,
                 progress: Callable[[str, int], None] | None = None) -> None:
        self.source = source
        self.actor = actor
        self.dry_run = dry_run
        self.progress = progress or (lambda kind, done: None)
        self.summary = Summary()
        self.maps: dict[str, dict[str, int]] = {}
        self.digests: dict[tuple[str, str], str] = {}
        self.uf_items: dict[tuple[str, str, str], int] = {}  # (kind, FIELD_NAME, source item) → target item
        self.deal_leads: dict[str, str] = {}  # source deal → its source lead
        self.converted_leads: set[str] = set()  # source leads in a converted status

    # --- the map ---------------------------------------------------------------------------------
    def _load_map(self, kind: str) -> dict[str, int]:
        if kind not in self.maps:
            rows = BitrixImportMap.objects.filter(portal=self.source.key, kind=kind)
            self.maps[kind] = {}
            for source_id, target_id, digest in rows.values_list("source_id", "target_id", "digest"):
                self.maps[kind][source_id] = target_id
                self.digests[(kind, source_id)] = digest
        return self.maps[kind]

    def target(self, kind: str, source_id: Any) -> int | None:
        if source_id in (None, "", 0, "0"):
            return None
        return self._load_map(kind).get(str(source_id))

    def remember(self, kind: str, source_id: Any, target_id: int, digest: str = "") -> None:
        BitrixImportMap.objects.update_or_create(
            portal=self.source.key, kind=kind, source_id=str(source_id),
            defaults={"target_id": target_id, "digest": digest, "updated_at": timezone.now()})
        self._load_map(kind)[str(source_id)] = target_id
        self.digests[(kind, str(source_id))] = digest

    def facade(self, method: str, params: dict[str, Any]) -> Any:
        """A facade method of this Kontor, in-process, as the importing admin."""
        return dispatch(Call(method=method, user=self.actor, params=params)).result

    def fail(self, kind: str, source_id: Any, reason: str) -> None:
        self.summary.count(kind).failed += 1
        self.summary.problems.append(f"{kind} {source_id}: {reason}")

    # --- the run ---------------------------------------------------------------------------------
    def run(self) -> Summary:
        try:
            with transaction.atomic():
                self._run()
                if self.dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        self.summary.requests = self.source.requests
        return self.summary

    def _run(self) -> None:
        self.users()
        self.directories()
        self.pipelines()
        self.userfields()
        self.products()
        for kind in RECORD_KINDS:
            self.records(kind)
        self.product_rows("lead")  # before lead_links: a converted lead is read-only once converted
        self.lead_links()
        self.product_rows("deal")
        self.activities()
        self.comments()
        self.mode()

    # --- users -----------------------------------------------------------------------------------
    def users(self) -> None:
        User = get_user_model()
        counts = self.summary.count("users")
        # Active and former employees both own records; asked for separately, since a portal may answer
        # only the active ones when no filter is given.
        seen: set[str] = set()
        rows = (row for active in (True, False)
                for row in self.source.pages("user.get", {"sort": "ID", "order": "ASC", "FILTER": {"ACTIVE": active}}))
        for done, row in enumerate(rows, start=1):
            source_id = str(row.get("ID"))
            if source_id in seen:
                continue
            seen.add(source_id)
            email = str(row.get("EMAIL") or "").strip()
            user = User.objects.filter(pk=self.target("user", source_id)).first() if self.target(
                "user", source_id) else None
            if user is None and email:
                user = User.objects.filter(email__iexact=email).order_by("id").first()
            if user is not None:
                if self.target("user", source_id) is None:
                    self.remember("user", source_id, user.pk)
                counts.unchanged += 1
            else:
                base = (email or str(row.get("LOGIN") or "") or f"bitrix24-{source_id}")[:140]
                username, n = base, 1
                while User.objects.filter(username=username).exists():
                    n += 1
                    username = f"{base}-{n}"
                # Inactive: ownership of the copied records is kept, but nobody can log in as them.
                user = User(username=username, email=email, first_name=str(row.get("NAME") or "")[:150],
                            last_name=str(row.get("LAST_NAME") or "")[:150], is_active=False)
                user.set_unusable_password()
                user.save()
                self.remember("user", source_id, user.pk)
                counts.created += 1
            self.progress("users", done)

    # --- directories -----------------------------------------------------------------------------
    def _entries(self, entity_id: str, *, local: bool) -> list[dict[str, Any]]:
        params = {"filter": {"ENTITY_ID": entity_id}, "order": {"SORT": "ASC"}}
        rows = self.facade("crm.status.list", params) if local else self.source.result("crm.status.list", params)
        return list(rows or [])

    def _sync_entries(self, kind: str, source_entity: str, target_entity: str, prefix_from: str = "",
                      prefix_to: str = "") -> set[str]:
        """Make the directory's entries those of the source (added, renamed, re-sorted); the codes seen."""
        counts = self.summary.count(kind)
        seen: set[str] = set()
        existing = {e["STATUS_ID"]: e for e in self._entries(target_entity, local=True)}
        for entry in self._entries(source_entity, local=False):
            code = str(entry.get("STATUS_ID") or "")
            bare = code.split(":", 1)[1] if prefix_from and ":" in code else code
            target_code = f"{prefix_to}:{bare}" if prefix_to else bare
            seen.add(target_code)
            semantics = entry.get("SEMANTICS") or (entry.get("EXTRA") or {}).get("SEMANTICS") or ""
            semantics = {"success": "S", "failure": "F", "apology": "F", "process": ""}.get(
                str(semantics).lower(), str(semantics).upper())
            try:
                with transaction.atomic():
                    mine = existing.get(target_code)
                    if mine is None:
                        self.facade("crm.status.add", {"fields": {
                            "ENTITY_ID": target_entity, "STATUS_ID": target_code, "NAME": entry.get("NAME"),
                            "SORT": entry.get("SORT"), "SEMANTICS": semantics}})
                        counts.created += 1
                    elif (mine.get("NAME"), str(mine.get("SORT"))) != (entry.get("NAME"), str(entry.get("SORT"))):
                        self.facade("crm.status.update", {"id": mine["ID"], "fields": {
                            "NAME": entry.get("NAME"), "SORT": entry.get("SORT")}})
                        counts.updated += 1
                    else:
                        counts.unchanged += 1
            except (RestError, KontorError) as exc:
                self.fail(kind, f"{source_entity}/{code}", _reason(exc))
        return seen

    def directories(self) -> None:
        types = {str(t.get("ID")) for t in self.source.result("crm.status.entity.types") or []}
        for entity_id in DIRECTORIES:
            if entity_id in types:
                self._sync_entries("directories", entity_id, entity_id)
            self.progress("directories", 1)

    # --- pipelines and stages ----------------------------------------------------------------------
    def pipelines(self) -> None:
        counts = self.summary.count("pipelines")
        categories = list(self.source.pages("crm.category.list", {"entityTypeId": 2}, key="categories"))
        for category in categories:
            source_id = str(category.get("id"))
            name = str(category.get("name") or "")
            created = False
            if str(category.get("isDefault")) in ("Y", "True", "true", "1") or source_id == "0":
                target = 0
                if self.target("pipeline", source_id) is None:
                    self.remember("pipeline", source_id, 0)
                counts.unchanged += 1
            else:
                target_id = self.target("pipeline", source_id)
                created = False
                try:
                    with transaction.atomic():
                        if target_id is None or not self._category_exists(target_id):
                            made = self.facade("crm.category.add", {"entityTypeId": 2, "fields": {
                                "name": name, "sort": category.get("sort") or 500}})
                            target_id = int(made["category"]["id"])
                            self.remember("pipeline", source_id, target_id)
                            counts.created += 1
                            created = True
                        else:
                            counts.unchanged += 1
                except (RestError, KontorError) as exc:
                    self.fail("pipelines", source_id, _reason(exc))
                    continue
                target = target_id
            source_entity = "DEAL_STAGE" if source_id == "0" else f"DEAL_STAGE_{source_id}"
            target_entity = "DEAL_STAGE" if target == 0 else f"DEAL_STAGE_{target}"
            prefix_from = "C" if source_id != "0" else ""
            seen = self._sync_entries("stages", source_entity, target_entity, prefix_from=prefix_from,
                                      prefix_to=f"C{target}" if target else "")
            if target and created and seen:
                # A pipeline made here came with Kontor's default stages: those the portal has not are removed.
                for entry in self._entries(target_entity, local=True):
                    if entry["STATUS_ID"] not in seen:
                        with transaction.atomic():
                            self.facade("crm.status.delete", {"id": entry["ID"]})
            self.progress("pipelines", 1)

    def _category_exists(self, target_id: int) -> bool:
        try:
            self.facade("crm.category.get", {"entityTypeId": 2, "id": target_id})
        except RestError:
            return False
        return True

    def stage(self, source_stage: Any, source_category: Any) -> str | None:
        """A deal's STAGE_ID in this Kontor: ``C<N>:`` re-prefixed for the mapped pipeline."""
        if source_stage in (None, ""):
            return None
        code = str(source_stage)
        bare = code.split(":", 1)[1] if ":" in code else code
        target = self.target("pipeline", source_category or 0)
        if target is None and str(source_category or 0) == "0":
            target = 0
        if target is None:
            return None
        return f"C{target}:{bare}" if target else bare

    # --- custom fields -----------------------------------------------------------------------------
    def userfields(self) -> None:
        counts = self.summary.count("custom fields")
        for kind in RECORD_KINDS:
            mine = {f["FIELD_NAME"]: f for f in self.facade(f"crm.{kind}.userfield.list", {}) or []}
            for uf in self.source.result(f"crm.{kind}.userfield.list", {}) or []:
                name = str(uf.get("FIELD_NAME") or "")
                try:
                    with transaction.atomic():
                        if name not in mine:
                            fields = {k: uf[k] for k in ("FIELD_NAME", "USER_TYPE_ID", "MULTIPLE", "MANDATORY",
                                                         "SORT", "SHOW_FILTER", "SHOW_IN_LIST", "XML_ID")
                                      if uf.get(k) not in (None, "")}
                            fields["EDIT_FORM_LABEL"] = uf.get("EDIT_FORM_LABEL") or name
                            if uf.get("LIST"):
                                fields["LIST"] = [{"VALUE": i.get("VALUE"), "SORT": i.get("SORT"),
                                                   "DEF": i.get("DEF", "N")} for i in uf["LIST"]]
                            new_id = self.facade(f"crm.{kind}.userfield.add", {"fields": fields})
                            mine[name] = self.facade(f"crm.{kind}.userfield.get", {"id": new_id})
                            counts.created += 1
                        else:
                            counts.unchanged += 1
                except (RestError, KontorError) as exc:
                    self.fail("custom fields", f"{kind}/{name}", _reason(exc))
                    continue
                by_value = {i.get("VALUE"): int(i["ID"]) for i in mine[name].get("LIST") or []}
                for item in uf.get("LIST") or []:
                    if item.get("VALUE") in by_value:
                        self.uf_items[(kind, name, str(item.get("ID")))] = by_value[item["VALUE"]]
            self.progress("custom fields", 1)

    # --- products ----------------------------------------------------------------------------------
    def products(self) -> None:
        self.summary.count("products")
        try:
            rows = list(self.source.rows("crm.product.list", {"select": ["*"]}))
        except SourceError as exc:
            self.summary.problems.append(f"products: {exc}")
            return
        for done, row in enumerate(rows, start=1):
            source_id = str(row["ID"])
            fields = {k: row[k] for k in ("NAME", "PRICE", "CURRENCY_ID", "VAT_RATE", "VAT_INCLUDED", "MEASURE_NAME",
                                          "ACTIVE", "SORT", "XML_ID", "DESCRIPTION") if row.get(k) not in (None, "")}
            self._write("products", "product", source_id, fields, add=lambda f: self.facade(
                "crm.product.add", {"fields": f}), update=lambda pk, f: self.facade(
                "crm.product.update", {"id": pk, "fields": f}), exists=lambda pk: _exists("crm.product.get", pk, self))
            self.progress("products", done)

    def _write(self, label: str, kind: str, source_id: str, fields: dict[str, Any], *,
               add: Callable[[dict[str, Any]], Any], update: Callable[[int, dict[str, Any]], Any],
               exists: Callable[[int], bool], after: Callable[[int], None] | None = None) -> int | None:
        """Create or update one record from ``fields`` (already in this Kontor's ids) with its map row,
        in one transaction; unchanged records are not written again."""
        counts = self.summary.count(label)
        digest = _digest(fields)
        target_id = self.target(kind, source_id)
        try:
            with transaction.atomic():
                if target_id is not None and exists(target_id):
                    if self.digests.get((kind, source_id)) == digest:
                        counts.unchanged += 1
                        return target_id
                    update(target_id, fields)
                    counts.updated += 1
                else:
                    target_id = int(add(fields))
                    counts.created += 1
                if after is not None:
                    after(target_id)
                self.remember(kind, source_id, target_id, digest)
                return target_id
        except (RestError, KontorError) as exc:
            self.fail(label, source_id, _reason(exc))
            return None

    # --- records -----------------------------------------------------------------------------------
    def records(self, kind: str) -> None:
        from kontor.bitrix.methods.records import ENTITIES

        entity = ENTITIES[kind]
        specs = bitrix_map(ENTITY_TYPES[kind])
        select = ["*", "UF_*", *(name for name, spec in specs.items() if spec.kind == Kind.MULTI)]
        label = {"company": "companies", "contact": "contacts", "lead": "leads", "deal": "deals"}[kind]
        done = 0
        page: list[dict[str, Any]] = []
        for row in self.source.rows(f"crm.{kind}.list", {"select": select}):
            page.append(row)
            if len(page) == PAGE:
                done = self._record_page(kind, label, entity, specs, page, done)
                page = []
        if page:
            self._record_page(kind, label, entity, specs, page, done)

    def _record_page(self, kind: str, label: str, entity: Any, specs: dict[str, Any], rows: list[dict[str, Any]],
                     done: int) -> int:
        links: dict[str, Any] = {}
        if kind in ("contact", "deal"):
            method = "crm.contact.company.items.get" if kind == "contact" else "crm.deal.contact.items.get"
            links, _ = self.source.batch({str(r["ID"]): (method, {"id": r["ID"]}) for r in rows})
        for row in rows:
            source_id = str(row["ID"])
            fields, later = self._fields(kind, row, specs, links.get(source_id))
            call = Call(method=f"crm.{kind}.import", user=self.actor, params={})

            def add(f: dict[str, Any], call: Call = call) -> int:
                return self._create(kind, entity, call, f)

            def update(pk: int, f: dict[str, Any], call: Call = call) -> None:
                obj = entity.model.objects.get(pk=pk)
                f = {**f, **{name: _replace_multi(f.get(name), entity, obj, specs[name]) for name in f
                             if name in specs and specs[name].kind == Kind.MULTI}}
                if kind == "lead" and obj.converted_at is not None:
                    return  # converted leads are history: Kontor keeps them read-only
                entity.update(obj, call, f)

            def after(pk: int, later: dict[str, Any] = later) -> None:
                if later:
                    entity.model.objects.filter(pk=pk).update(**later)

            self._write(label, kind, source_id, fields, add=add, update=update,
                        exists=lambda pk: entity.model.objects.filter(pk=pk).exists(), after=after)
            done += 1
            self.progress(label, done)
        return done

    def _create(self, kind: str, entity: Any, call: Call, fields: dict[str, Any]) -> int:
        from kontor.crm import services

        data = entity.data_in(call, fields)
        if kind == "lead":
            # Copied leads are history: never converted again here, whatever the CRM mode.
            return services.lead_create(actor=self.actor, data=data, convert_in_simple_mode=False).pk
        return entity.create(call, fields)

    def _fields(self, kind: str, row: dict[str, Any], specs: dict[str, Any],
                links: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The source row as ``fields`` of this Kontor's facade (ids translated), and the columns set
        directly afterwards (inactive responsible users, which the services refuse to assign; a
        converted lead's status)."""
        fields: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for name, value in row.items():
            spec = specs.get(name)
            if spec is None or spec.read_only:
                continue
            if spec.is_custom:
                fields[name] = self._custom(kind, name, spec, value)
            elif spec.kind == Kind.MULTI:
                fields[name] = [{"VALUE": i.get("VALUE"), "VALUE_TYPE": i.get("VALUE_TYPE")}
                                for i in value or [] if isinstance(i, dict) and i.get("VALUE")]
            elif spec.kind == Kind.USER:
                user = self.target("user", value)
                if user is not None:
                    later[spec.column] = user
            elif spec.kind == Kind.LINKS:
                ids = [self.target(spec.link, v) for v in (value or [])] if spec.link in ENTITY_TYPES else []
                fields[name] = [i for i in ids if i]
            elif spec.kind == Kind.LINK:
                fields[name] = self.target(spec.link, value) if spec.link in ENTITY_TYPES else None
            else:
                fields[name] = value
        if kind == "deal":
            if row.get("LEAD_ID") not in (None, "", "0", 0):
                self.deal_leads[str(row["ID"])] = str(row["LEAD_ID"])
            stage = self.stage(row.get("STAGE_ID"), row.get("CATEGORY_ID"))
            category = self.target("pipeline", row.get("CATEGORY_ID") or 0)
            fields["CATEGORY_ID"] = category if category is not None else 0
            if stage:
                fields["STAGE_ID"] = stage
            if isinstance(links, list):
                ids = [self.target("contact", link.get("CONTACT_ID")) for link in links]
                fields["CONTACT_IDS"] = [i for i in ids if i]
                fields.pop("CONTACT_ID", None)
        if kind == "contact" and isinstance(links, list):
            ids = [self.target("company", link.get("COMPANY_ID")) for link in links]
            fields["COMPANY_IDS"] = [i for i in ids if i]
            fields.pop("COMPANY_ID", None)
        if kind == "lead" and str(row.get("STATUS_SEMANTIC_ID") or "") == "S":
            fields.pop("STATUS_ID", None)  # set by lead_links once its deal is there
            self.converted_leads.add(str(row["ID"]))
        return fields, later

    def _custom(self, kind: str, name: str, spec: Any, value: Any) -> Any:
        if spec.kind == Kind.ENUM:
            def item(v: Any) -> Any:
                return self.uf_items.get((kind, name, str(v)))

            if isinstance(value, list):
                return [i for i in map(item, value) if i]
            return item(value) if value not in (None, "", False) else None
        if spec.kind == Kind.USER:
            if isinstance(value, list):
                return [u for u in (self.target("user", v) for v in value) if u]
            return self.target("user", value)
        if spec.kind == Kind.LINK:
            # CRM bindings name their kind ("C_12", "CO_3"): translated; bare ids cannot be, and are left out.
            def link(v: Any) -> str | None:
                prefix, _, pk = str(v).partition("_")
                target_kind = LINK_PREFIXES.get(prefix)
                target = self.target(target_kind, pk) if target_kind else None
                return f"{prefix}_{target}" if target else None

            if isinstance(value, list):
                return [v for v in map(link, value) if v]
            return link(value) if value not in (None, "") else None
        return value

    def lead_links(self) -> None:
        """Converted leads: their status and the records they became, once the deals exist (a deal's
        ``LEAD_ID`` names its lead). Set directly: Kontor's services convert leads only by converting."""
        from kontor.crm.enums import Semantic
        from kontor.crm.models import Deal, Lead, LeadStatus

        converted = LeadStatus.objects.filter(semantic=Semantic.SUCCESS).order_by("sort").first()
        made: dict[int, dict[str, Any]] = {}
        for source_deal, source_lead in self.deal_leads.items():
            deal_pk, lead_pk = self.target("deal", source_deal), self.target("lead", source_lead)
            if deal_pk is None or lead_pk is None:
                continue
            Deal.objects.filter(pk=deal_pk, lead_id=None).update(lead_id=lead_pk)
            deal = Deal.objects.filter(pk=deal_pk).values("contact_id", "company_id").first() or {}
            made.setdefault(lead_pk, {"deal_id": deal_pk, "contact_id": deal.get("contact_id"),
                                      "company_id": deal.get("company_id")})
        if converted is None:
            return
        for source_lead in self.converted_leads:
            lead_pk = self.target("lead", source_lead)
            if lead_pk is None:
                continue
            lead = Lead.objects.filter(pk=lead_pk, converted_at=None).values("contact_id", "company_id").first()
            if lead is None:
                continue
            links = made.get(lead_pk, {"deal_id": None})
            Lead.objects.filter(pk=lead_pk).update(
                status=converted, converted_at=timezone.now(), deal_id=links["deal_id"],
                contact_id=links.get("contact_id") or lead["contact_id"],
                company_id=links.get("company_id") or lead["company_id"])

    # --- product rows, activities, comments ---------------------------------------------------------
    def product_rows(self, kind: str) -> None:
        """The product rows of the copied deals or leads (``crm.{deal,lead}.productrows.get``, 50 to a
        batch); the record's amount follows them, as in Bitrix24. A converted lead's rows stay as first
        copied: it is read-only history, like its fields."""
        from kontor.crm.models import Lead
        from kontor.crm.services.leads import lead_is_converted

        owners = self._load_map(kind)
        rows_kind = f"{kind}_rows"
        self._load_map(rows_kind)  # the digests of the rows written before
        counts = self.summary.count("product rows")
        sources = list(owners)
        for start in range(0, len(sources), BATCH):
            chunk = sources[start : start + BATCH]
            got, _ = self.source.batch({d: (f"crm.{kind}.productrows.get", {"id": d}) for d in chunk})
            for source_owner, rows in got.items():
                rows = [r for r in rows or [] if isinstance(r, dict)]
                if not rows and self.digests.get((rows_kind, source_owner)) is None:
                    continue
                out = []
                for r in rows:
                    item = {k: r[k] for k in ("PRODUCT_NAME", "PRICE", "QUANTITY", "DISCOUNT_TYPE_ID", "DISCOUNT_RATE",
                                              "DISCOUNT_SUM", "TAX_RATE", "TAX_INCLUDED", "MEASURE_NAME", "SORT")
                            if r.get(k) not in (None, "")}
                    product = self.target("product", r.get("PRODUCT_ID"))
                    if product:
                        item["PRODUCT_ID"] = product
                    out.append(item)
                digest = _digest(out)
                if self.digests.get((rows_kind, source_owner)) == digest:
                    counts.unchanged += len(out)
                    continue
                target = owners[source_owner]
                if kind == "lead":
                    lead = Lead.objects.filter(pk=target).select_related("status").first()
                    if lead is None or lead_is_converted(lead):
                        continue
                try:
                    with transaction.atomic():
                        self.facade(f"crm.{kind}.productrows.set", {"id": target, "rows": out})
                        self.remember(rows_kind, source_owner, target, digest)
                        counts.created += len(out)
                except (RestError, KontorError) as exc:
                    self.fail("product rows", f"{kind} {source_owner}", _reason(exc))
            self.progress("product rows", start + len(chunk))

    def activities(self) -> None:
        from kontor.bitrix.methods.activities import ACTIVITIES
        from kontor.crm.models import Activity

        done = 0
        for row in self.source.rows("crm.activity.list", {"select": ["*", "COMMUNICATIONS"]}):
            source_id = str(row["ID"])
            owner_kind = TYPE_KINDS.get(int(row.get("OWNER_TYPE_ID") or 0))
            owner = self.target(owner_kind, row.get("OWNER_ID")) if owner_kind else None
            if owner is None:
                self.fail("activities", source_id, f"its record ({row.get('OWNER_TYPE_ID')}/{row.get('OWNER_ID')}) "
                          "was not copied")
                continue
            comms = []
            for c in row.get("COMMUNICATIONS") or []:
                c_kind = TYPE_KINDS.get(int(c.get("ENTITY_TYPE_ID") or 0))
                c_id = self.target(c_kind, c.get("ENTITY_ID")) if c_kind else None
                comms.append({"VALUE": c.get("VALUE"), "TYPE": c.get("TYPE"),
                              "ENTITY_TYPE_ID": c.get("ENTITY_TYPE_ID") if c_id else None, "ENTITY_ID": c_id})
            fields = {k: row[k] for k in ("TYPE_ID", "PROVIDER_ID", "SUBJECT", "DESCRIPTION", "START_TIME", "END_TIME",
                                          "DEADLINE", "COMPLETED", "PRIORITY", "DIRECTION")
                      if row.get(k) not in (None, "")}
            fields.update(OWNER_TYPE_ID=row.get("OWNER_TYPE_ID"), OWNER_ID=owner, COMMUNICATIONS=comms)
            responsible = self.target("user", row.get("RESPONSIBLE_ID"))
            call = Call(method="crm.activity.import", user=self.actor, params={})

            def update(pk: int, f: dict[str, Any], call: Call = call) -> None:
                f = {k: v for k, v in f.items() if k not in ("OWNER_TYPE_ID", "OWNER_ID", "TYPE_ID", "PROVIDER_ID",
                                                               "DIRECTION")}
                ACTIVITIES.update(Activity.objects.get(pk=pk), call, f)

            def after(pk: int, responsible: int | None = responsible) -> None:
                if responsible:
                    Activity.objects.filter(pk=pk).update(responsible_id=responsible)

            self._write("activities", "activity", source_id, fields,
                        add=lambda f, call=call: ACTIVITIES.create(call, f), update=update,
                        exists=lambda pk: Activity.objects.filter(pk=pk).exists(), after=after)
            done += 1
            self.progress("activities", done)

    def comments(self) -> None:
        from kontor.crm.models import TimelineEntry

        done = 0
        for kind in RECORD_KINDS:
            mapped = self._load_map(kind)
            sources = list(mapped)
            for start in range(0, len(sources), BATCH):
                chunk = sources[start : start + BATCH]
                got, _ = self.source.batch({s: ("crm.timeline.comment.list", {
                    "filter": {"ENTITY_ID": s, "ENTITY_TYPE": kind}, "order": {"ID": "ASC"}}) for s in chunk})
                for source_record, rows in got.items():
                    for row in rows or []:
                        source_id = str(row["ID"])
                        fields = {"ENTITY_TYPE": kind, "ENTITY_ID": mapped[source_record],
                                  "COMMENT": row.get("COMMENT") or ""}
                        author = self.target("user", row.get("AUTHOR_ID"))

                        def after(pk: int, author: int | None = author) -> None:
                            if author:
                                TimelineEntry.objects.filter(pk=pk).update(actor_id=author)

                        self._write("comments", "comment", source_id, fields,
                                    add=lambda f: self.facade("crm.timeline.comment.add", {"fields": f}),
                                    update=lambda pk, f: self.facade("crm.timeline.comment.update", {
                                        "id": pk, "fields": {"COMMENT": f["COMMENT"]}}),
                                    exists=lambda pk: TimelineEntry.objects.filter(pk=pk).exists(), after=after)
                        done += 1
                        self.progress("comments", done)

    # --- the CRM mode ------------------------------------------------------------------------------
    def mode(self) -> None:
        from kontor.crm.models import AuditLog, CrmSettings

        value = self.source.result("crm.settings.mode.get")
        wanted = {1: "classic", 2: "simple", "1": "classic", "2": "simple"}.get(value)
        if wanted is None:
            return
        settings = CrmSettings.load()
        self.summary.mode = wanted
        if settings.mode != wanted:
            old = settings.mode
            settings.mode = wanted
            settings.save()
            AuditLog.objects.create(action="crm_mode.imported", actor=self.actor,
                                    data={"from": old, "to": wanted, "portal": self.source.key})


def _exists(method: str, pk: int, run: PortalImport) -> bool:
    try:
        run.facade(method, {"id": pk})
    except RestError:
        return False
    return True


def _replace_multi(value: Any, entity: Any, obj: Any, spec: Any) -> list[dict[str, Any]]:
    """PHONE/EMAIL items for an update that make the record's list equal the source's: values already
    there stay, missing ones are deleted, new ones added."""
    from kontor.crm.models import Communication

    wanted = [i for i in value or [] if isinstance(i, dict)]
    values = {str(i.get("VALUE")) for i in wanted}
    existing = list(Communication.objects.filter(entity_type=entity.entity_type, entity_id=obj.pk,
                                                 type=spec.comm_type))
    have = {c.value for c in existing}
    out: list[dict[str, Any]] = [{"ID": c.pk, "DELETE": "Y"} for c in existing if c.value not in values]
    out.extend(i for i in wanted if str(i.get("VALUE")) not in have)
    return out


def _reason(exc: Exception) -> str:
    if isinstance(exc, RestError):
        return exc.description
    if isinstance(exc, KontorError):
        return exc.message
    return str(exc)
