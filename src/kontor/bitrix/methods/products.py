"""crm.product.* (the catalogue) and crm.{deal,lead}.productrows.{get,set} over kontor.products.

Bitrix24's row fields: ``PRICE`` is the final unit price (after discount, tax included) and the
record's ``OPPORTUNITY`` becomes the sum of ``PRICE × QUANTITY``; ``PRICE_EXCLUSIVE`` (after
discount, before tax), ``PRICE_NETTO`` (before discount and tax) and ``PRICE_BRUTTO`` (before
discount, with tax) are derived from it with ``DISCOUNT_*`` and ``TAX_RATE``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db.models import QuerySet

from kontor.bitrix.errors import argument_error, crm_error, translate
from kontor.bitrix.filters import Field
from kontor.bitrix.mapping import Catalog, dt, money, s, yn
from kontor.bitrix.methods.common import Entity, field_meta, text_in
from kontor.bitrix.methods.records import DEALS, LEADS
from kontor.bitrix.params import as_list, get_id, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, method
from kontor.core.errors import KontorError
from kontor.core.money import is_currency
from kontor.products import services
from kontor.products.models import Product, ProductRow

CENT = Decimal("0.01")
PRODUCT_NAMES = {"NAME": "name", "DESCRIPTION": "description", "PRICE": "price", "CURRENCY_ID": "currency",
                 "VAT_RATE": "tax_rate", "VAT_INCLUDED": "tax_included", "MEASURE_NAME": "measure",
                 "ACTIVE": "active", "SORT": "sort", "XML_ID": "xml_id"}
#: Catalogue fields Bitrix24 has and Kontor does not keep; accepted only empty.
PRODUCT_IGNORED = {"ID", "DATE_CREATE", "TIMESTAMP_X", "CREATED_BY", "MODIFIED_BY", "CATALOG_ID", "SECTION_ID",
                   "PREVIEW_PICTURE", "DETAIL_PICTURE", "DESCRIPTION_TYPE", "VAT_ID", "MEASURE"}


class ProductEntity(Entity):
    name = "product"
    model = Product
    order_fields = {"ID": "id", "NAME": "name", "PRICE": "price", "SORT": "sort"}

    def queryset(self) -> QuerySet:
        return Product.objects.all()

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        return {"ID": Field("id"), "NAME": Field("name", kind="str", like=True),
                "PRICE": Field("price", kind="decimal"), "ACTIVE": Field("active", kind="yn", compare=False),
                "XML_ID": Field("xml_id", kind="str", like=True), "CURRENCY_ID": Field("currency", kind="str")}

    def to_bitrix(self, obj: Product, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {"ID": s(obj.pk), "NAME": obj.name, "DESCRIPTION": obj.description or None,
                "PRICE": money(obj.price), "CURRENCY_ID": obj.currency, "ACTIVE": yn(obj.active),
                "VAT_RATE": money(obj.tax_rate) if obj.tax_rate is not None else None,
                "VAT_INCLUDED": yn(obj.tax_included), "MEASURE_NAME": obj.measure or None, "SORT": s(obj.sort),
                "XML_ID": obj.xml_id or None, "SECTION_ID": None, "CATALOG_ID": "0",
                "DATE_CREATE": dt(obj.created_at), "TIMESTAMP_X": dt(obj.updated_at)}

    def data_in(self, fields: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in fields.items():
            if key in PRODUCT_IGNORED:
                continue
            native = PRODUCT_NAMES.get(key)
            if native is None:
                raise argument_error(f"Field '{key}' is not supported by Kontor for products.", "fields")
            if native in ("tax_included", "active"):
                flag = yes_no(value)
                if flag is None:
                    raise crm_error(f"{key}: must be Y or N.")
                value = flag
            elif native == "currency" and not (isinstance(value, str) and is_currency(value)):
                raise crm_error(f"{key}: '{value}' is not an ISO 4217 currency code (such as EUR).")
            elif native in ("name", "description", "measure", "xml_id"):
                value = text_in(value)
            data[native] = value
        return data

    def _call(self, fn, **kwargs) -> Any:
        try:
            return fn(**kwargs)
        except KontorError as exc:
            raise translate(exc, {v: k for k, v in PRODUCT_NAMES.items()}) from exc

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return self._call(services.product_create, actor=call.user, data=self.data_in(fields)).pk

    def update(self, obj: Product, call: Call, fields: dict[str, Any]) -> None:
        self._call(services.product_update, product=obj, actor=call.user, data=self.data_in(fields))

    def delete(self, obj: Product, call: Call) -> None:
        services.product_delete(product=obj, actor=call.user)

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "NAME": field_meta("string", "Name", required=True),
            "DESCRIPTION": field_meta("string", "Description"),
            "PRICE": field_meta("double", "Price"),
            "CURRENCY_ID": field_meta("crm_currency", "Currency"),
            "VAT_RATE": field_meta("double", "VAT rate (%)"),
            "VAT_INCLUDED": field_meta("char", "VAT included"),
            "MEASURE_NAME": field_meta("string", "Unit"),
            "ACTIVE": field_meta("char", "Active"),
            "SORT": field_meta("integer", "Sort"),
            "XML_ID": field_meta("string", "External code"),
            "SECTION_ID": field_meta("integer", "Section", read_only=True),
            "CATALOG_ID": field_meta("integer", "Catalogue", read_only=True),
            "DATE_CREATE": field_meta("datetime", "Created on", read_only=True),
            "TIMESTAMP_X": field_meta("datetime", "Modified on", read_only=True),
        }


PRODUCTS = ProductEntity()
PRODUCTS.register()


# --- product rows ---------------------------------------------------------------------------------


def _d(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def row_out(row: ProductRow, owner_type: str, owner_id: int) -> dict[str, Any]:
    rate = (row.tax_rate or Decimal("0")) / 100
    exclusive = row.price / (1 + rate)
    netto = exclusive + row.discount_sum
    return {
        "ID": s(row.pk), "OWNER_ID": s(owner_id), "OWNER_TYPE": owner_type,
        "PRODUCT_ID": row.product_id or 0, "PRODUCT_NAME": row.product_name,
        "ORIGINAL_PRODUCT_NAME": row.product.name if row.product else row.product_name,
        "PRODUCT_DESCRIPTION": None,
        "PRICE": _d(row.price), "PRICE_EXCLUSIVE": _d(exclusive), "PRICE_NETTO": _d(netto),
        "PRICE_BRUTTO": _d(netto * (1 + rate)), "PRICE_ACCOUNT": str(row.price),
        "QUANTITY": float(row.quantity), "DISCOUNT_TYPE_ID": row.discount_type,
        "DISCOUNT_RATE": float(row.discount_rate), "DISCOUNT_SUM": float(row.discount_sum),
        "TAX_RATE": float(row.tax_rate) if row.tax_rate is not None else None,
        "TAX_INCLUDED": yn(row.tax_included), "CUSTOMIZED": "Y", "MEASURE_CODE": 0,
        "MEASURE_NAME": row.measure or None, "SORT": row.sort, "TYPE": 1, "STORE_ID": None, "XML_ID": None,
    }


ROW_NAMES = {"PRODUCT_ID": "product_id", "PRODUCT_NAME": "product_name", "PRICE": "price", "QUANTITY": "quantity",
             "DISCOUNT_TYPE_ID": "discount_type", "DISCOUNT_RATE": "discount_rate", "DISCOUNT_SUM": "discount_sum",
             "TAX_RATE": "tax_rate", "TAX_INCLUDED": "tax_included", "MEASURE_NAME": "measure", "SORT": "sort"}
#: Row fields Bitrix24 computes or Kontor does not keep; ignored as Bitrix24 ignores computed ones.
ROW_IGNORED = {"ID", "OWNER_ID", "OWNER_TYPE", "PRICE_EXCLUSIVE", "PRICE_NETTO", "PRICE_BRUTTO", "PRICE_ACCOUNT",
               "ORIGINAL_PRODUCT_NAME", "CUSTOMIZED", "MEASURE_CODE", "TYPE", "STORE_ID", "XML_ID",
               "PRODUCT_DESCRIPTION", "RESERVE_ID", "RESERVE_QUANTITY"}


def _row_in(index: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise crm_error(f"rows[{index}] must be an object.")
    data: dict[str, Any] = {}
    for key, value in item.items():
        upper = str(key).upper()
        if upper in ROW_IGNORED:
            continue
        native = ROW_NAMES.get(upper)
        if native is None:
            raise argument_error(f"rows[{index}]: field '{key}' is not supported by Kontor.", "rows")
        if native in ("product_id", "discount_type", "sort"):
            number = to_int(value)
            if value not in (None, "") and number is None:
                raise crm_error(f"rows[{index}].{upper}: must be a whole number.")
            value = number
        elif native == "tax_included":
            value = yes_no(value)
        elif native in ("product_name", "measure"):
            value = text_in(value)
        data[native] = value
    return data


def _rows_handlers(entity: Any, owner_type: str) -> None:
    prefix = f"crm.{entity.name}.productrows"

    def get(call: Call) -> list[dict[str, Any]]:
        owner = entity.get_object(get_id(call.params), call)
        rows = ProductRow.objects.filter(**{entity.name: owner}).select_related("product")
        return [row_out(r, owner_type, owner.pk) for r in rows]

    def set_(call: Call) -> bool:
        owner = entity.get_object(get_id(call.params), call)
        rows = [_row_in(i, item) for i, item in enumerate(as_list(get_param(call.params, "rows")))]
        try:
            services.product_rows_set(owner=owner, rows=rows, actor=call.user)
        except KontorError as exc:
            raise translate(exc, {}) from exc
        return True

    method(f"{prefix}.get")(get)
    method(f"{prefix}.set")(set_)


_rows_handlers(DEALS, "D")
_rows_handlers(LEADS, "L")


# --- crm.item.productrow.* (the universal form: camelCase, owner by type letter and id) -----------

OWNER_TYPES = {"D": DEALS, "L": LEADS}


def _camel(upper: str) -> str:
    head, *rest = upper.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def _item_row(row: ProductRow, owner_type: str, owner_id: int) -> dict[str, Any]:
    out = {_camel(k): v for k, v in row_out(row, owner_type, owner_id).items()}
    out["id"], out["ownerId"] = row.pk, owner_id
    return out


def _owner(call: Call, type_raw: Any, id_raw: Any) -> tuple[str, Any]:
    owner_type = str(type_raw or "").strip().upper()
    if owner_type not in OWNER_TYPES:
        raise argument_error("ownerType must be D (deal) or L (lead).", "ownerType")
    owner_id = to_int(id_raw)
    if owner_id is None or owner_id <= 0:
        raise argument_error("ownerId is not defined or invalid.", "ownerId")
    return owner_type, OWNER_TYPES[owner_type].get_object(owner_id, call)


def item_productrow_list(call: Call) -> dict[str, Any]:
    """Rows of one owner: ``filter`` names ``=ownerType`` and ``=ownerId``."""
    raw = get_param(call.params, "filter")
    flt = {str(k).lstrip("="): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    owner_type, owner = _owner(call, flt.get("ownerType"), flt.get("ownerId"))
    rows = ProductRow.objects.filter(**{OWNER_TYPES[owner_type].name: owner}).select_related("product")
    return {"productRows": [_item_row(r, owner_type, owner.pk) for r in rows]}


method("crm.item.productrow.list")(item_productrow_list)


def item_productrow_get(call: Call) -> dict[str, Any]:
    row = ProductRow.objects.filter(pk=get_id(call.params)).select_related("product").first()
    if row is None:
        raise crm_error("Not found")
    # the check constraint product_row_one_owner gives every row a deal or a lead
    owner_type, owner_id = ("D", row.deal_id) if row.deal_id else ("L", cast(int, row.lead_id))
    return {"productRow": _item_row(row, owner_type, owner_id)}


method("crm.item.productrow.get")(item_productrow_get)


def item_productrow_set(call: Call) -> dict[str, Any]:
    """Replace an owner's rows (``productRows`` in camelCase), as crm.deal.productrows.set does."""
    owner_type, owner = _owner(call, get_param(call.params, "ownerType"), get_param(call.params, "ownerId"))
    upper_names = {_camel(k): k for k in (*ROW_NAMES, *ROW_IGNORED)}
    rows = []
    for index, item in enumerate(as_list(get_param(call.params, "productRows"))):
        if not isinstance(item, dict):
            raise crm_error(f"productRows[{index}] must be an object.")
        rows.append(_row_in(index, {upper_names.get(str(k), str(k)): v for k, v in item.items()}))
    try:
        services.product_rows_set(owner=owner, rows=rows, actor=call.user)
    except KontorError as exc:
        raise translate(exc, {}) from exc
    stored = ProductRow.objects.filter(**{OWNER_TYPES[owner_type].name: owner}).select_related("product")
    return {"productRows": [_item_row(r, owner_type, owner.pk) for r in stored]}


method("crm.item.productrow.set")(item_productrow_set)


def item_productrow_fields(call: Call) -> dict[str, Any]:
    numbers = {"PRICE", "QUANTITY", "DISCOUNT_RATE", "DISCOUNT_SUM", "TAX_RATE"}
    flags = {"TAX_INCLUDED"}  # "Y"/"N", Bitrix24's type "char" (as crm.product.fields has it)
    fields = {_camel(k): field_meta("double" if k in numbers else "char" if k in flags
                                    else "integer" if k.endswith(("_ID", "SORT")) else "string",
                                    k.replace("_", " ").capitalize()) for k in ROW_NAMES}
    return {"fields": {"id": field_meta("integer", "ID", read_only=True),
                       "ownerId": field_meta("integer", "Owner", required=True, immutable=True),
                       "ownerType": field_meta("string", "Owner type (D, L)", required=True, immutable=True),
                       **fields}}


method("crm.item.productrow.fields")(item_productrow_fields)
