"""crm.activity.fields and crm.product.fields: written against the survivors of the run over
``kontor.bitrix.methods.activities`` and ``kontor.bitrix.methods.products`` (var/mut-bx2), the mutants of
``ActivityEntity.fields_description`` and ``ProductEntity.fields_description``.

Covered here: each answer in full, as any webhook user (admin and manager) receives it: the field names,
and for each field its type, title and the flags isRequired, isReadOnly, isImmutable, isMultiple and
isDynamic, each a JSON boolean. The field names and types follow Bitrix24's pages for both methods
(b24restdocs); the titles are Kontor's own, Bitrix24's differ by portal language anyway.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FLAGS = {"required": "isRequired", "read-only": "isReadOnly", "immutable": "isImmutable",
         "multiple": "isMultiple"}

#: crm.activity.fields: name, type, title, flags
ACTIVITY_FIELDS = [
    ("ID", "integer", "ID", "read-only"),
    ("OWNER_ID", "integer", "Owner ID", "required immutable"),
    ("OWNER_TYPE_ID", "integer", "Owner type", "required immutable"),
    ("TYPE_ID", "crm_enum_activitytype", "Type", "required immutable"),
    ("PROVIDER_ID", "string", "Provider", "immutable"),
    ("SUBJECT", "string", "Subject", "required"),
    ("DESCRIPTION", "string", "Description", ""),
    ("START_TIME", "datetime", "Start time", ""),
    ("END_TIME", "datetime", "End time", ""),
    ("DEADLINE", "datetime", "Deadline", ""),
    ("COMPLETED", "char", "Completed", ""),
    ("STATUS", "crm_enum_activitystatus", "Status", "read-only"),
    ("RESPONSIBLE_ID", "user", "Responsible person", "required"),
    ("PRIORITY", "crm_enum_activitypriority", "Priority", ""),
    ("DIRECTION", "crm_enum_activitydirection", "Direction", ""),
    ("AUTHOR_ID", "user", "Created by", "read-only"),
    ("CREATED", "datetime", "Created on", "read-only"),
    ("LAST_UPDATED", "datetime", "Modified on", "read-only"),
    ("BINDINGS", "crm_activity_binding", "Bindings", "read-only multiple"),
    ("COMMUNICATIONS", "crm_activity_communication", "Communications", "required multiple"),
]

#: crm.product.fields: name, type, title, flags
PRODUCT_FIELDS = [
    ("ID", "integer", "ID", "read-only"),
    ("NAME", "string", "Name", "required"),
    ("DESCRIPTION", "string", "Description", ""),
    ("PRICE", "double", "Price", ""),
    ("CURRENCY_ID", "crm_currency", "Currency", ""),
    ("VAT_RATE", "double", "VAT rate (%)", ""),
    ("VAT_INCLUDED", "char", "VAT included", ""),
    ("MEASURE_NAME", "string", "Unit", ""),
    ("ACTIVE", "char", "Active", ""),
    ("SORT", "integer", "Sort", ""),
    ("XML_ID", "string", "External code", ""),
    ("SECTION_ID", "integer", "Section", "read-only"),
    ("CATALOG_ID", "integer", "Catalogue", "read-only"),
    ("DATE_CREATE", "datetime", "Created on", "read-only"),
    ("TIMESTAMP_X", "datetime", "Modified on", "read-only"),
]


def _expected(table: list[tuple[str, str, str, str]]) -> dict:
    """The ``*.fields`` answer a table describes: every flag not named is ``false``."""
    answer = {}
    for name, type_, title, flags in table:
        named = flags.split()
        assert set(named) <= set(FLAGS), named  # a typo in the table must not pass as "false"
        answer[name] = {"type": type_, **{key: word in named for word, key in FLAGS.items()},
                        "isDynamic": False, "title": title}
    return answer


@pytest.mark.parametrize("client", ["bx", "bx_manager"])
def test_activity_fields_answer_in_full(request, client):
    assert request.getfixturevalue(client).ok("crm.activity.fields") == _expected(ACTIVITY_FIELDS)


@pytest.mark.parametrize("client", ["bx", "bx_manager"])
def test_product_fields_answer_in_full(request, client):
    assert request.getfixturevalue(client).ok("crm.product.fields") == _expected(PRODUCT_FIELDS)
