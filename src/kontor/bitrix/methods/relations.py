"""Links between records: crm.deal.contact.*, crm.contact.company.*, crm.company.contact.* and
crm.lead.contact.*.

Each link set is read as an ordered list of ids (the primary one first) and written whole through
the record's service, so the timeline, events and the primary flag follow the same rules as
``CONTACT_IDS`` / ``COMPANY_IDS`` in crm.*.update. ``add``, ``delete``, ``items.set`` and
``items.delete`` are edits of that list.

A Kontor lead has one contact (``CONTACT_ID``): crm.lead.contact.* work on a list of at most one,
and adding a second contact is a 400 that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from kontor.bitrix.errors import crm_error
from kontor.bitrix.mapping import yn
from kontor.bitrix.methods.common import field_meta, fields_param
from kontor.bitrix.methods.records import COMPANIES, CONTACTS, DEALS, LEADS
from kontor.bitrix.params import as_list, get_id, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, method
from kontor.crm import services
from kontor.crm.models import Company, Contact, ContactCompany, DealContact


@dataclass
class LinkSet:
    """One kind of link: ``owner`` → ordered ids of ``other`` records."""

    prefix: str  # "crm.deal.contact"
    other_key: str  # "CONTACT_ID"
    owner: Any  # the facade entity of the owner (for get_object / "Not found")
    read: Callable[[Any], list[tuple[int, int, bool]]]  # owner → [(id, sort, primary)]
    write: Callable[[Any, list[int], Any], Any]  # owner, ordered ids, actor
    exists: Callable[[int], bool]
    limit: int | None = None

    def register(self) -> None:
        method(f"{self.prefix}.add")(self.add)
        method(f"{self.prefix}.delete")(self.delete)
        method(f"{self.prefix}.items.get")(self.items_get)
        method(f"{self.prefix}.items.set")(self.items_set)
        method(f"{self.prefix}.items.delete")(self.items_delete)
        method(f"{self.prefix}.fields")(self.fields)

    # --- reading --------------------------------------------------------------------------------
    def items_get(self, call: Call) -> list[dict[str, Any]]:
        owner = self.owner.get_object(get_id(call.params), call)
        return [{self.other_key: pk, "SORT": sort, "ROLE_ID": 0, "IS_PRIMARY": yn(primary)}
                for pk, sort, primary in self.read(owner)]

    def fields(self, call: Call) -> dict[str, Any]:
        kind = self.other_key.removesuffix("_ID").lower()
        return {self.other_key: field_meta("integer", kind.capitalize(), required=True),
                "SORT": field_meta("integer", "Sort"), "ROLE_ID": field_meta("integer", "Role", read_only=True),
                "IS_PRIMARY": field_meta("char", "Primary")}

    # --- writing --------------------------------------------------------------------------------
    def _other(self, raw: Any) -> int:
        pk = to_int(raw)
        if pk is None or pk <= 0:
            raise crm_error(f"The field {self.other_key} is not defined or invalid.")
        if not self.exists(pk):
            raise crm_error(f"{self.other_key}: record {pk} not found.")
        return pk

    def _save(self, owner: Any, ids: list[int], call: Call) -> bool:
        if self.limit is not None and len(ids) > self.limit:
            raise crm_error(f"Kontor's {self.owner.name}s have at most {self.limit} {self.other_key.lower()[:-3]}; "
                            f"delete the current one first.")
        with transaction.atomic():
            self.write(owner, ids, call.user)
        return True

    def add(self, call: Call) -> bool:
        owner = self.owner.get_object(get_id(call.params), call)
        fields = fields_param(call.params)
        pk = self._other(fields.get(self.other_key))
        rows = [r for r in self.read(owner) if r[0] != pk]
        sort = to_int(fields.get("SORT"))
        primary = bool(yes_no(fields.get("IS_PRIMARY", "N")))
        if primary:
            return self._save(owner, [pk, *(r[0] for r in rows)], call)
        # The current primary stays first; the rest (the new one included) go by SORT.
        head = rows[:1] if rows and rows[0][2] else []
        new = (pk, sort if sort is not None else max((r[1] for r in rows), default=0) + 10, False)
        rest = sorted([*rows[len(head):], new], key=lambda r: r[1])
        return self._save(owner, [r[0] for r in [*head, *rest]], call)

    def delete(self, call: Call) -> bool:
        owner = self.owner.get_object(get_id(call.params), call)
        pk = to_int(fields_param(call.params).get(self.other_key))
        if pk is None or pk <= 0:
            raise crm_error(f"The field {self.other_key} is not defined or invalid.")
        ids = [r[0] for r in self.read(owner)]
        if pk not in ids:
            raise crm_error(f"{self.other_key} {pk} is not linked.")
        return self._save(owner, [i for i in ids if i != pk], call)

    def items_set(self, call: Call) -> bool:
        owner = self.owner.get_object(get_id(call.params), call)
        rows: list[tuple[bool, int, int, int]] = []
        for index, item in enumerate(as_list(get_param(call.params, "items"))):
            if not isinstance(item, dict):
                raise crm_error(f"Parameter 'items' must be array of objects with {self.other_key}.")
            upper = {str(k).upper(): v for k, v in item.items()}
            pk = self._other(upper.get(self.other_key))
            sort = to_int(upper.get("SORT"))
            rows.append((not yes_no(upper.get("IS_PRIMARY", "N")), sort if sort is not None else (index + 1) * 10,
                         index, pk))
        ordered: list[int] = []
        for *_, pk in sorted(rows):
            if pk not in ordered:
                ordered.append(pk)
        return self._save(owner, ordered, call)

    def items_delete(self, call: Call) -> bool:
        owner = self.owner.get_object(get_id(call.params), call)
        return self._save(owner, [], call)


def _deal_contacts(deal) -> list[tuple[int, int, bool]]:
    return list(DealContact.objects.filter(deal=deal).order_by("-is_primary", "sort", "id")
                .values_list("contact_id", "sort", "is_primary"))


def _contact_companies(contact) -> list[tuple[int, int, bool]]:
    return list(ContactCompany.objects.filter(contact=contact).order_by("-is_primary", "sort", "id")
                .values_list("company_id", "sort", "is_primary"))


def _company_contacts(company) -> list[tuple[int, int, bool]]:
    return list(ContactCompany.objects.filter(company=company).order_by("sort", "contact_id")
                .values_list("contact_id", "sort", "is_primary"))


def _set_company_contacts(company, ids: list[int], actor) -> None:
    """The contacts of a company are each contact's company list: add or remove this company there."""
    current = [r[0] for r in _company_contacts(company)]
    for contact in Contact.objects.filter(pk__in=set(current) | set(ids)).order_by("pk"):
        companies = [r[0] for r in _contact_companies(contact)]
        if contact.pk in ids and company.pk not in companies:
            services.contact_update(contact=contact, actor=actor, data={"company_ids": [*companies, company.pk]})
        elif contact.pk not in ids and company.pk in companies:
            services.contact_update(contact=contact, actor=actor,
                                    data={"company_ids": [c for c in companies if c != company.pk]})


def _lead_contacts(lead) -> list[tuple[int, int, bool]]:
    return [(lead.contact_id, 10, True)] if lead.contact_id else []


LINKS = [
    LinkSet("crm.deal.contact", "CONTACT_ID", DEALS, _deal_contacts,
            lambda deal, ids, actor: services.deal_contacts_set(deal=deal, contact_ids=ids, actor=actor),
            lambda pk: Contact.objects.filter(pk=pk).exists()),
    LinkSet("crm.contact.company", "COMPANY_ID", CONTACTS, _contact_companies,
            lambda contact, ids, actor: services.contact_update(contact=contact, actor=actor,
                                                                data={"company_ids": ids}),
            lambda pk: Company.objects.filter(pk=pk).exists()),
    LinkSet("crm.company.contact", "CONTACT_ID", COMPANIES, _company_contacts, _set_company_contacts,
            lambda pk: Contact.objects.filter(pk=pk).exists()),
    LinkSet("crm.lead.contact", "CONTACT_ID", LEADS, _lead_contacts,
            lambda lead, ids, actor: services.lead_update(lead=lead, actor=actor,
                                                          data={"contact_id": ids[0] if ids else None}),
            lambda pk: Contact.objects.filter(pk=pk).exists(), limit=1),
]
for _link in LINKS:
    _link.register()
