"""Importing contacts, companies, leads and deals from CSV/XLSX files.

Columns map to fields of the record specs (``kontor.crm.fields.specs_for``, custom fields
included); ``default_mapping`` guesses the mapping from native names, German and English labels,
Bitrix24 names and Bitrix24's export headers. Every row is validated by ``clean_record`` as the API
validates input; a bad row is reported (summary + rejected-rows CSV with the reason) and never
stops the import or leaves part of a record behind (each row runs in its own savepoint).

Rows are processed in batches, one transaction each. New contacts and companies are written
set-based (``bulk_create`` of the records, their phones/e-mails, links and timeline entries) — the
rows were validated exactly as the services validate them; updates, leads (which simple mode
converts at once, as every new lead) and deals go through the services.

Duplicates are found as intake finds a customer (``kontor.modes.matching``): normalised phone and
e-mail for contacts and leads, the case-folded title for companies, ``originator_id``+``origin_id``
for every kind. ``on_duplicate``: ``skip`` the row, ``update`` the record found (its phones and
e-mails are merged: new ones are added, the ones it has stay), or ``create`` another one. Before
matching, a batch takes the same per-key locks as an inquiry (``lock_customer_keys``), so an import and
a web-form inquiry for the same new customer never make two contacts. A phone or e-mail may carry
its type in brackets (``0170 1234567 (MOBILE)``), as the export writes it. A dry run does all of it
and rolls each batch back.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.core.normalize import normalize_title
from kontor.crm.enums import COMM_VALUE_TYPES, CommType, EntityType, TimelineKind
from kontor.crm.fields import Cleaned, FieldSpec, Kind, clean_record, specs_for
from kontor.crm.models import (
    Communication,
    Company,
    Contact,
    ContactCompany,
    Deal,
    DirectoryItem,
    Lead,
    LeadStatus,
    Source,
    TimelineEntry,
)
from kontor.data.tables import Table, table_open
from kontor.events.bus import Event, emit
from kontor.events.names import IMPORTED_BATCH
from kontor.modes.matching import customer_keys, lock_customer_keys

KINDS: dict[str, EntityType] = {
    "contacts": EntityType.CONTACT, "companies": EntityType.COMPANY, "leads": EntityType.LEAD,
    "deals": EntityType.DEAL,
}
MODELS = {EntityType.CONTACT: Contact, EntityType.COMPANY: Company, EntityType.LEAD: Lead, EntityType.DEAL: Deal}
ON_DUPLICATE = ("skip", "update", "create")
BATCH_SIZE = 500

#: Words in Bitrix24's and Excel's export headers that name a phone/e-mail column beyond the field's own
#: label ("Telefon geschäftlich", "Mobiltelefon", "Work phone", "E-Mail privat"); the value type they imply.
COMM_HINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "PHONE": (("mobil", "MOBILE"), ("handy", "MOBILE"), ("fax", "FAX"), ("privat", "HOME"), ("home", "HOME"),
              ("telefon", "WORK"), ("phone", "WORK"), ("tel", "WORK")),
    "EMAIL": (("privat", "HOME"), ("home", "HOME"), ("email", "WORK"), ("mail", "WORK")),
    "WEB": (("webseite", "WORK"), ("website", "WORK"), ("homepage", "WORK"), ("url", "WORK")),
}


def header_key(text: str) -> str:
    """A header as compared: case-folded, letters and digits only ("E-Mail (Arbeit)" → "emailarbeit")."""
    return re.sub(r"[\W_]+", "", text.casefold())


def importable_specs(entity: EntityType) -> list[FieldSpec]:
    """The fields a column may fill: every writable field of the kind, custom fields included."""
    return [s for s in specs_for(entity) if not s.read_only]


def default_mapping(entity: EntityType, headers: Iterable[str]) -> dict[str, str | None]:
    """``{header: field name or None}``: the field each column fills by default."""
    specs = importable_specs(entity)
    exact: dict[str, str] = {}
    for spec in specs:
        names = [spec.name, spec.label_de, spec.label_en, spec.bitrix or ""]
        if spec.name.endswith("_id"):
            names.append(spec.name[:-3])
        if spec.custom is not None:
            names.append(spec.name.upper())
        for name in names:
            if name:
                exact.setdefault(header_key(name), spec.name)
    multis = {s.comm_type: s.name for s in specs if s.kind == Kind.MULTI}
    # Headers of read-only fields ("ID", "Hat Telefon", "Erstellt am") stay unmapped, hints or not.
    read_only = {header_key(n) for s in specs_for(entity) if s.read_only
                 for n in (s.name, s.label_de, s.label_en, s.bitrix or "") if n}
    out: dict[str, str | None] = {}
    for header in headers:
        key = header_key(header)
        found = exact.get(key)
        if found is None and key not in read_only:
            for comm_type, hints in COMM_HINTS.items():
                if comm_type in multis and any(word in key for word, _ in hints):
                    found = multis[comm_type]
                    break
        out[header] = found
    return out


def comm_value_type(header: str, comm_type: str) -> str | None:
    """The value type a phone/e-mail column's header implies ("Mobiltelefon" → ``MOBILE``)."""
    key = header_key(header)
    for word, value_type in COMM_HINTS.get(comm_type, ()):
        if word in key:
            return value_type
    return None


def comm_item(text: str, comm_type: str, default_type: str | None) -> Any:
    """One phone/e-mail cell item: ``"0170 1234567 (MOBILE)"`` → ``{"value", "type": "MOBILE"}``; without a
    known type in brackets, the column's (``default_type``, from its header) or the field's default."""
    found = re.fullmatch(r"(.*?)\s*\(\s*([A-Za-z0-9_]+)\s*\)", text)
    if found and found[2].upper() in COMM_VALUE_TYPES.get(comm_type, ()):
        return {"value": found[1], "type": found[2].upper()}
    return {"value": text, "type": default_type} if default_type else text


def check_mapping(entity: EntityType, headers: list[str], mapping: Mapping[str, Any]) -> dict[str, str | None]:
    """The default mapping changed by a user's (``{header: field}``; ``None`` or "" leaves a column out),
    checked: unknown columns and fields are 422s naming them."""
    fields = {s.name: s for s in importable_specs(entity)}
    out = default_mapping(entity, headers)
    for header, name in mapping.items():
        if header not in out:
            raise validation(f"mapping: the file has no column '{header}' (columns: {', '.join(headers)})",
                             "mapping")
        if name in (None, ""):
            out[header] = None
            continue
        if name not in fields:
            raise validation(f"mapping: '{name}' is not a field of {entity.label} that can be imported", "mapping")
        out[header] = str(name)
    return out


@dataclass
class Summary:
    """What an import did."""

    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    dry_run: bool = False

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.skipped + self.rejected

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "processed": self.processed, "created": self.created,
                "updated": self.updated, "skipped": self.skipped, "rejected": self.rejected,
                "dry_run": self.dry_run}


@dataclass
class _Row:
    number: int  # the line in the file (the header is line 1)
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    cleaned: Cleaned | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    title_key: str = ""
    company_name: str | None = None  # a contact's company given by name: resolved once the batch holds its locks
    origin: tuple[str, str] | None = None
    existing: int | None = None


class _Resolver:
    """Turns what people write in a file into what the fields take: a user's name or e-mail into their id,
    a directory's label into its code, a company's name into its id (made when missing)."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self._users: dict[str, int | None] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self.companies: dict[str, int] = {}

    def user(self, text: str) -> Any:
        if re.fullmatch(r"\s*\d+\s*", text):
            return text
        key = text.strip().casefold()
        if key not in self._users:
            users = get_user_model().objects.filter(is_active=True)
            parts = text.split()
            query = Q(username__iexact=text.strip()) | Q(email__iexact=text.strip())
            if len(parts) >= 2:
                query |= Q(first_name__iexact=parts[0], last_name__iexact=" ".join(parts[1:]))
            self._users[key] = users.filter(query).order_by("id").values_list("id", flat=True).first()
        found = self._users[key]
        if found is None:
            raise validation(f"no active user '{text.strip()}'", "assigned_id")
        return found

    def directory(self, spec: FieldSpec, text: str) -> Any:
        if spec.is_custom or not spec.directory:
            return text
        if spec.directory not in self._labels:
            pairs: Iterable[tuple[str, str]]
            if spec.directory == "SOURCE":
                pairs = Source.objects.values_list("code", "name")
            elif spec.directory == "STATUS":
                pairs = LeadStatus.objects.values_list("code", "name")
            else:
                pairs = DirectoryItem.objects.filter(directory=spec.directory).values_list("code", "name")
            self._labels[spec.directory] = {str(name).casefold(): code for code, name in pairs}
        return self._labels[spec.directory].get(text.strip().casefold(), text)

    def company(self, text: str) -> Any:
        if re.fullmatch(r"\s*\d+\s*", text):
            return text
        key = normalize_title(text)
        if key not in self.companies:
            found = Company.objects.filter(title_normalized=key[:255]).order_by("id").values_list("id", flat=True)
            pk = found.first()
            if pk is None:
                from kontor.crm.services.companies import company_create

                pk = company_create(actor=self.actor, data={"title": text.strip()}).pk
            self.companies[key] = pk
        return self.companies[key]


@dataclass
class _NewRecord:
    values: dict[str, Any]
    companies: list[int]
    pk: int = 0


def _insert(model: Any, records: list[_NewRecord]) -> None:
    """Insert the records in one multi-row ``INSERT … RETURNING id`` and set their ids.

    Only the values a row gives are prepared per row; the columns' defaults are prepared once. (The
    ORM's ``bulk_create`` builds a model instance and prepares every column of every row, which
    costs more than the write.) Ids come back ascending in row order: one statement, one writer."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_attname = {f.attname: f for f in fields}
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, 30000 // len(fields))  # SQLite allows 32,766 parameters per statement
    for start in range(0, len(records), per_statement):
        chunk = records[start:start + per_statement]
        params: list[Any] = []
        for record in chunk:
            row = dict(defaults)
            for name, value in record.values.items():
                row[name] = by_attname[name].get_db_prep_save(value, connection)
            params += [row[f.attname] for f in fields]
        sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES "
               + ", ".join([row_sql] * len(chunk)) + " RETURNING id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = sorted(pk for (pk,) in cursor.fetchall())
        for record, pk in zip(chunk, ids, strict=True):
            record.pk = pk


class Importer:
    """One import of one file. ``run`` reads it in batches and returns the ``Summary``."""

    def __init__(self, *, table: Table, entity: EntityType, mapping: Mapping[str, str | None] | None = None,
                 on_duplicate: str = "skip", dry_run: bool = False, actor=None,
                 rejected_path: Path | None = None, batch_size: int = BATCH_SIZE) -> None:
        if on_duplicate not in ON_DUPLICATE:
            raise validation(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}", "on_duplicate")
        self.table = table
        self.entity = entity
        self.mapping = (check_mapping(entity, table.headers, mapping) if mapping is not None
                        else default_mapping(entity, table.headers))
        if not any(self.mapping.values()):
            raise validation("no column maps to a field; give a mapping", "mapping")
        self.specs = {s.name: s for s in specs_for(entity)}
        self.on_duplicate = on_duplicate
        self.dry_run = dry_run
        self.actor = actor
        self.rejected_path = rejected_path
        self.batch_size = batch_size
        self.summary = Summary(dry_run=dry_run)
        self._columns = [(i, self.specs[name], comm_value_type(h, self.specs[name].comm_type or ""))
                         for i, (h, name) in enumerate(self.mapping.items()) if name]
        self._resolver = _Resolver(actor)

    # --- reading a row --------------------------------------------------------------------------

    def _data(self, cells: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for index, spec, value_type in self._columns:
            text = cells[index].strip()
            if not text:
                continue
            if spec.kind == Kind.MULTI:
                items = [v.strip() for v in re.split(r"[,;\n]", text) if v.strip()]
                data.setdefault(spec.name, []).extend(comm_item(v, spec.comm_type or "", value_type) for v in items)
            elif spec.kind == Kind.LINKS:
                data.setdefault(spec.name, []).extend(v for v in re.split(r"[,;\s]+", text) if v)
            elif spec.kind == Kind.USER:
                data[spec.name] = self._resolver.user(text)
            elif spec.kind == Kind.ENUM:
                data[spec.name] = self._resolver.directory(spec, text)
            elif spec.is_custom and spec.multiple:
                data.setdefault(spec.name, []).extend(v.strip() for v in text.split(",") if v.strip())
            else:
                data[spec.name] = text
        return data

    def _prepare(self, row: _Row) -> None:
        """Validate the row as the services do (raises ``KontorError``); note its duplicate keys."""
        data = self._data(row.cells)
        if not data:
            raise validation("the row is empty in every mapped column", "row")
        company_name = None
        if self.entity == EntityType.CONTACT and not re.fullmatch(r"\s*\d*\s*", data.get("company_id") or ""):
            company_name = data.pop("company_id").strip()
            if len(company_name) > 255:
                raise validation("company_id: a company name is longer than 255 characters", "company_id")
        cleaned = clean_record(self.entity, data, create=True, specs=self.specs)
        values = cleaned.values
        # Resolved (and made, when new) by _resolve_companies once the rest of the row is valid and the
        # batch holds its locks: a rejected row leaves nothing behind.
        row.company_name = company_name
        row.data = data
        if self.entity == EntityType.CONTACT and not (values.get("name") or values.get("last_name")):
            raise validation("name or last_name is required", "name")
        if self.entity == EntityType.COMPANY:
            if not values.get("title"):
                raise validation("title is required", "title")
            row.title_key = normalize_title(values["title"])[:255]
        row.cleaned = cleaned
        row.phones = [c["normalized"] for c in cleaned.comms.get(CommType.PHONE, [])]
        row.emails = [c["normalized"] for c in cleaned.comms.get(CommType.EMAIL, [])]
        if values.get("origin_id"):
            row.origin = (values.get("originator_id") or "", values["origin_id"])

    # --- duplicates -----------------------------------------------------------------------------

    def _lock(self, rows: list[_Row]) -> None:
        """The locks an inquiry takes for the same phones, e-mails and company titles (PostgreSQL advisory
        locks, held until the batch commits; SQLite serialises writers anyway), all at once and sorted, so
        an import and a concurrent inquiry for one new customer never both create it."""
        phones = {p for r in rows for p in r.phones}
        emails = {e for r in rows for e in r.emails}
        keys = customer_keys(phones=phones, emails=emails)
        keys += [f"company:{t}" for t in {r.title_key for r in rows if r.title_key}
                 | {normalize_title(r.company_name) for r in rows if r.company_name}]
        lock_customer_keys(keys)

    def _resolve_companies(self, rows: list[_Row]) -> None:
        for row in rows:
            if row.company_name is not None and row.cleaned is not None:
                # The id is known to exist, so it skips clean_record's check.
                row.data["company_id"] = row.cleaned.values["company_id"] = self._resolver.company(row.company_name)

    def _find_existing(self, rows: list[_Row]) -> None:
        """Set ``row.existing`` to the oldest record each row duplicates (one query per key kind per batch)."""
        entity = self.entity
        by_phone: dict[str, int] = {}
        by_email: dict[str, int] = {}
        if entity in (EntityType.CONTACT, EntityType.LEAD, EntityType.COMPANY):
            for type_, target, keys in ((CommType.PHONE, by_phone, {p for r in rows for p in r.phones}),
                                        (CommType.EMAIL, by_email, {e for r in rows for e in r.emails})):
                if keys:
                    found = (Communication.objects.filter(entity_type=entity, type=type_, normalized__in=keys)
                             .order_by("entity_id").values_list("normalized", "entity_id"))
                    for key, pk in found:
                        target.setdefault(key, pk)
        by_title: dict[str, int] = {}
        titles = {r.title_key for r in rows if r.title_key}
        if titles:
            for key, pk in (Company.objects.filter(title_normalized__in=titles).order_by("id")
                            .values_list("title_normalized", "id")):
                by_title.setdefault(key, pk)
        by_origin: dict[tuple[str, str], int] = {}
        origins = {r.origin for r in rows if r.origin}
        if origins:
            model = MODELS[entity]
            for originator, origin, pk in (model._default_manager
                                           .filter(origin_id__in={o for _, o in origins}).order_by("id")
                                           .values_list("originator_id", "origin_id", "id")):
                by_origin.setdefault((originator or "", origin), pk)
        for row in rows:
            candidates = [by_origin.get(row.origin) if row.origin else None, by_title.get(row.title_key),
                          *(by_phone.get(p) for p in row.phones), *(by_email.get(e) for e in row.emails)]
            row.existing = next((pk for pk in candidates if pk), None)

    # --- writing --------------------------------------------------------------------------------

    def _update(self, row: _Row) -> None:
        from kontor.crm.services import companies, contacts, deals, leads

        assert row.existing is not None
        pk, actor, data = row.existing, self.actor, self._merged(row)
        if self.entity == EntityType.CONTACT:
            contacts.contact_update(contact=Contact.objects.get(pk=pk), actor=actor, data=data)
        elif self.entity == EntityType.COMPANY:
            companies.company_update(company=Company.objects.get(pk=pk), actor=actor, data=data)
        elif self.entity == EntityType.LEAD:
            leads.lead_update(lead=Lead.objects.get(pk=pk), actor=actor, data=data)
        else:
            deals.deal_update(deal=Deal.objects.get(pk=pk), actor=actor, data=data)

    def _merged(self, row: _Row) -> dict[str, Any]:
        """The row's values for an update: phones, e-mails, websites and messengers are added to the
        record's own (a value it has already — by its normalised form — is not added twice), never
        replacing them."""
        assert row.existing is not None and row.cleaned is not None
        data = dict(row.data)
        for spec in self.specs.values():
            if spec.kind != Kind.MULTI or spec.name not in data:
                continue
            existing = list(Communication.objects.filter(entity_type=self.entity, entity_id=row.existing,
                                                         type=spec.comm_type).order_by("id"))
            have = {c.normalized or c.value.strip().casefold() for c in existing}
            items: list[Any] = [{"id": c.pk, "value": c.value, "type": c.value_type, "lenient": not c.normalized}
                                for c in existing]
            for item in row.cleaned.comms.get(CommType(spec.comm_type), []):
                key = item["normalized"] or item["value"].strip().casefold()
                if key not in have:
                    have.add(key)
                    items.append({"value": item["value"], "type": item["value_type"]})
            data[spec.name] = items
        return data

    def _create_one(self, row: _Row) -> None:
        from kontor.crm.services.deals import deal_create
        from kontor.crm.services.leads import lead_create

        if self.entity == EntityType.LEAD:
            lead_create(actor=self.actor, data=row.data)  # simple mode converts it at once, as every new lead
        else:
            deal_create(actor=self.actor, data=row.data)

    def _bulk_create(self, rows: list[_Row]) -> None:
        """New contacts or companies, set-based: the records, then their phones/e-mails, companies and
        timeline entries — the same rows ``contact_create``/``company_create`` write."""
        entity = self.entity
        model = MODELS[entity]
        records = []
        for row in rows:
            assert row.cleaned is not None
            values = dict(row.cleaned.values)
            company_ids: list[int] = []
            if entity == EntityType.CONTACT:
                company_ids = list(row.cleaned.links.get("company_ids", []))
                primary = values.pop("company_id", None)
                if primary:
                    company_ids = [primary, *[pk for pk in company_ids if pk != primary]]
                values["company_id"] = company_ids[0] if company_ids else None
            else:
                values["title_normalized"] = row.title_key
            values["created_by_id"] = self.actor.pk if self.actor else None
            values.setdefault("assigned_id", self.actor.pk if self.actor else None)
            values["uf"] = {k: v for k, v in row.cleaned.uf.items() if v is not None} or None
            records.append(_NewRecord(values=values, companies=company_ids))
        _insert(model, records)
        # One event for the batch (it commits with it), not one per record: a webhook subscribed to
        # ``contact.imported_batch`` gets the ids of 100,000 imported contacts in 200 requests.
        emit(Event(name=IMPORTED_BATCH[entity.name.lower()], data={
            "count": len(records), "ids": [r.pk for r in records]}))
        comms: list[tuple] = []
        links: list[tuple] = []
        for row, record in zip(rows, records, strict=True):
            assert row.cleaned is not None
            for type_, items in row.cleaned.comms.items():
                comms += [(int(entity), record.pk, str(type_), item["value_type"], item["value"], item["normalized"])
                          for item in items]
            links += [(record.pk, pk, (i + 1) * 10, i == 0) for i, pk in enumerate(record.companies)]
        # Plain executemany for the narrow rows: the ORM's per-object preparation would cost more than
        # the writes themselves (the values are already clean).
        now = timezone.now()
        actor_id = self.actor.pk if self.actor else None
        with connection.cursor() as cursor:
            if comms:
                cursor.executemany(
                    f"INSERT INTO {Communication._meta.db_table} (entity_type, entity_id, type, value_type, value,"
                    " normalized) VALUES (%s, %s, %s, %s, %s, %s)", comms)
            if links:
                cursor.executemany(
                    f"INSERT INTO {ContactCompany._meta.db_table} (contact_id, company_id, sort, is_primary)"
                    " VALUES (%s, %s, %s, %s)", links)
            cursor.executemany(
                f"INSERT INTO {TimelineEntry._meta.db_table} (entity_type, entity_id, kind, data, actor_id,"
                " created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                [(int(entity), r.pk, str(TimelineKind.CREATED), '{"import": true}', actor_id, now)
                 for r in records])

    # --- the run --------------------------------------------------------------------------------

    def _reject(self, writer: Any, row: _Row, exc: KontorError) -> None:
        self.summary.rejected += 1
        if writer is not None:
            reason = f"{exc.field}: {exc.message}" if exc.field and not exc.message.startswith(exc.field) \
                else exc.message
            writer.writerow([row.number, reason, *row.cells])

    def _batch(self, rows: list[_Row], writer: Any) -> None:
        good: list[_Row] = []
        for row in rows:
            try:
                self._prepare(row)
                good.append(row)
            except KontorError as exc:
                self._reject(writer, row, exc)
        self._lock(good)
        self._resolve_companies(good)
        self._find_existing(good)
        new: list[_Row] = []
        seen: dict[str, _Row] = {}  # duplicates within the batch: the first row stands for the others
        for row in good:
            keys = ([f"o:{row.origin}"] if row.origin else []) + ([f"t:{row.title_key}"] if row.title_key else []) \
                + [f"p:{p}" for p in row.phones] + [f"e:{e}" for e in row.emails]
            twin = next((seen[k] for k in keys if k in seen), None)
            if row.existing is None and twin is not None and self.on_duplicate != "create":
                if self.on_duplicate == "skip" or twin.existing is None:
                    self.summary.skipped += 1  # (an update of a row created in this same batch: skipped too)
                    continue
                row.existing = twin.existing
            for k in keys:
                seen.setdefault(k, row)
            if row.existing is not None and self.on_duplicate == "skip":
                self.summary.skipped += 1
            elif row.existing is not None and self.on_duplicate == "update":
                try:
                    with transaction.atomic():
                        self._update(row)
                    self.summary.updated += 1
                except KontorError as exc:
                    self._reject(writer, row, exc)
            elif self.entity in (EntityType.CONTACT, EntityType.COMPANY):
                new.append(row)
            else:
                try:
                    with transaction.atomic():
                        self._create_one(row)
                    self.summary.created += 1
                except KontorError as exc:
                    self._reject(writer, row, exc)
        if new:
            self._bulk_create(new)
            self.summary.created += len(new)

    def run(self, *, progress: Callable[[Summary], None] | None = None, total: int | None = None) -> Summary:
        """Import every row; ``progress(summary)`` after each batch."""
        self.summary.total = total if total is not None else 0
        with contextlib.ExitStack() as stack:
            out = (stack.enter_context(open(self.rejected_path, "w", encoding="utf-8-sig", newline=""))
                   if self.rejected_path else None)
            writer = csv.writer(out, delimiter=";") if out else None
            if writer:
                writer.writerow(["row", "reason", *self.table.headers])
            batch: list[_Row] = []
            for number, cells in self.table.rows():
                batch.append(_Row(number=number, cells=cells))
                if len(batch) >= self.batch_size:
                    self._commit(batch, writer, progress)
                    batch = []
            if batch:
                self._commit(batch, writer, progress)
        if not self.summary.total:
            self.summary.total = self.summary.processed
        return self.summary

    def _commit(self, batch: list[_Row], writer: Any, progress: Callable[[Summary], None] | None) -> None:
        with transaction.atomic():
            self._batch(batch, writer)
            if self.dry_run:
                transaction.set_rollback(True)
        if progress:
            progress(self.summary)


def records_import(*, path: Path | str, kind: str, mapping: Mapping[str, str | None] | None = None,
                   on_duplicate: str = "skip", dry_run: bool = False, actor=None,
                   rejected_path: Path | None = None, progress: Callable[[Summary], None] | None = None,
                   count: bool = False) -> Summary:
    """Import a CSV/XLSX file of ``kind`` (``contacts``, ``companies``, ``leads``, ``deals``).

    ``count``: read the file once first for the total (the progress bar's end)."""
    if kind not in KINDS:
        raise KontorError(ErrorCode.VALIDATION, f"kind must be one of {', '.join(KINDS)}", field="kind")
    table = table_open(path)
    importer = Importer(table=table, entity=KINDS[kind], mapping=mapping, on_duplicate=on_duplicate,
                        dry_run=dry_run, actor=actor, rejected_path=rejected_path)
    return importer.run(progress=progress, total=table.count() if count else None)
