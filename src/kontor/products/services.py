"""Product catalogue and product rows: the writes every interface calls.

A record's product rows are always set whole (``product_rows_set``), as Bitrix24's
``crm.deal.productrows.set`` does, and the record's amount (``opportunity``) follows them: the sum
of ``price × quantity``, written through the record's own service so its timeline and events see
the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import validation
from kontor.core.money import AMOUNT_RANGE, MAX_AMOUNT
from kontor.crm.models import Deal, Lead
from kontor.crm.services.common import apply_changes, clean_amount, clean_currency, clean_text, unknown_fields
from kontor.products.models import DiscountType, Product, ProductRow

PRODUCT_FIELDS = ("name", "description", "price", "currency", "tax_rate", "tax_included", "measure", "active",
                  "sort", "xml_id")
ROW_FIELDS = ("product_id", "product_name", "price", "quantity", "discount_type", "discount_rate", "discount_sum",
              "tax_rate", "tax_included", "measure", "sort")
MAX_ROWS = 500
CENT = Decimal("0.01")


def _decimal(value: Any, field: str, *, low: Decimal, high: Decimal, places: str = "0.01") -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise validation(f"{field} must be a number", field)
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise validation(f"{field} must be a number", field) from None
    if not number.is_finite() or not low <= number <= high:
        raise validation(f"{field} must be between {low} and {high}", field)
    return number.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _tax_rate(value: Any, field: str = "tax_rate") -> Decimal | None:
    if value is None or value == "":
        return None
    return _decimal(value, field, low=Decimal("0"), high=Decimal("100"))


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise validation(f"{field} must be true or false", field)


def _clean_product(data: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
    unknown_fields(data, PRODUCT_FIELDS)
    values: dict[str, Any] = {}
    if create or "name" in data:
        values["name"] = clean_text(data.get("name"), "name", required=True)
    if "description" in data:
        values["description"] = clean_text(data["description"], "description", max_length=20000)
    if "price" in data:
        values["price"] = clean_amount(data["price"], "price")
    if "currency" in data:
        values["currency"] = clean_currency(data["currency"])
    if "tax_rate" in data:
        values["tax_rate"] = _tax_rate(data["tax_rate"])
    for name in ("tax_included", "active"):
        if name in data:
            values[name] = _flag(data[name], name)
    if "measure" in data:
        values["measure"] = clean_text(data["measure"], "measure", max_length=20)
    if "xml_id" in data:
        values["xml_id"] = clean_text(data["xml_id"], "xml_id")
    if "sort" in data:
        values["sort"] = int(_decimal(data["sort"], "sort", low=Decimal(-(10**9)), high=Decimal(10**9), places="1"))
    return values


@transaction.atomic
def product_create(*, actor=None, data: Mapping[str, Any]) -> Product:
    """A new catalogue entry."""
    return Product.objects.create(**_clean_product(data, create=True))


@transaction.atomic
def product_update(*, product: Product, actor=None, data: Mapping[str, Any]) -> Product:
    """Change a catalogue entry (rows already sold keep their own name and price)."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if apply_changes(product, _clean_product(data, create=False)):
        product.updated_at = timezone.now()
        product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product, actor=None) -> None:
    """Delete a catalogue entry; rows that sold it keep name and price (their link is cleared)."""
    product.delete()


def _clean_row(index: int, data: Mapping[str, Any], products: Mapping[int, Product]) -> ProductRow:
    where = f"rows[{index}]"
    if not isinstance(data, Mapping):
        raise validation(f"{where} must be an object", "rows")
    unknown = set(data) - set(ROW_FIELDS)
    if unknown:
        raise validation(f"{where}: unknown field {sorted(unknown)[0]}", "rows")
    product = None
    if data.get("product_id") not in (None, "", 0):
        product = products.get(data["product_id"])
        if product is None:
            raise validation(f"{where}.product_id: no product {data['product_id']}", "rows")
    name = clean_text(data.get("product_name") or (product.name if product else ""), f"{where}.product_name")
    if not name:
        raise validation(f"{where}: a product_id or a product_name is required", "rows")
    raw_price = data.get("price")
    price = (clean_amount(raw_price, f"{where}.price") if raw_price not in (None, "")
             else (product.price if product else Decimal("0")))
    quantity = (_decimal(data["quantity"], f"{where}.quantity", low=Decimal("0"), high=Decimal("1e12"),
                         places="0.0001") if data.get("quantity") not in (None, "") else Decimal("1"))
    if price * quantity >= MAX_AMOUNT:
        raise validation(f"{where}: price × quantity must be {AMOUNT_RANGE}", "rows")
    tax_rate = _tax_rate(data.get("tax_rate"), f"{where}.tax_rate") if "tax_rate" in data else (
        product.tax_rate if product else None)
    tax_included = _flag(data["tax_included"], f"{where}.tax_included") if "tax_included" in data else True
    discount_type = data.get("discount_type") or DiscountType.PERCENTAGE
    if discount_type not in DiscountType.values:
        raise validation(f"{where}.discount_type must be 1 (amount) or 2 (percent)", "rows")
    # The price is final (after discount, tax included); the discount says how far below list it is.
    exclusive = price / (1 + (tax_rate or Decimal("0")) / 100)
    if discount_type == DiscountType.PERCENTAGE:
        rate = _decimal(data.get("discount_rate") or 0, f"{where}.discount_rate", low=Decimal("0"),
                        high=Decimal("99.99"))
        netto = exclusive / (1 - rate / 100)
        discount_sum = (netto - exclusive).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        discount_sum = _decimal(data.get("discount_sum") or 0, f"{where}.discount_sum", low=Decimal("0"),
                                high=MAX_AMOUNT - CENT)
        netto = exclusive + discount_sum
        rate = (discount_sum / netto * 100).quantize(CENT, rounding=ROUND_HALF_UP) if netto else Decimal("0")
    if netto >= MAX_AMOUNT:  # a high discount rate or sum makes the list price too large to store
        raise validation(f"{where}: the price before discount must be {AMOUNT_RANGE}", "rows")
    sort = data.get("sort")
    return ProductRow(product=product, product_name=name, price=price, quantity=quantity,
                      discount_type=discount_type, discount_rate=rate, discount_sum=discount_sum,
                      tax_rate=tax_rate, tax_included=tax_included,
                      measure=clean_text(data.get("measure") or (product.measure if product else ""),
                                         f"{where}.measure", max_length=20),
                      sort=int(sort) if isinstance(sort, int) and not isinstance(sort, bool) else (index + 1) * 10)


@transaction.atomic
def product_rows_set(*, owner: Deal | Lead, rows: Sequence[Mapping[str, Any]], actor=None) -> list[ProductRow]:
    """Replace the product rows of a deal or a lead; its amount becomes the rows' sum."""
    from kontor.crm.services import deal_update, lead_update

    if len(rows) > MAX_ROWS:
        raise validation(f"at most {MAX_ROWS} product rows", "rows")
    ids = [r.get("product_id") for r in rows if isinstance(r, Mapping) and isinstance(r.get("product_id"), int)]
    products = Product.objects.in_bulk(ids)
    cleaned = [_clean_row(i, r, products) for i, r in enumerate(rows)]
    if isinstance(owner, Deal):
        ProductRow.objects.filter(deal=owner).delete()
        for row in cleaned:
            row.deal = owner
    else:
        ProductRow.objects.filter(lead=owner).delete()
        for row in cleaned:
            row.lead = owner
    ProductRow.objects.bulk_create(cleaned)
    total = sum((row.total for row in cleaned), Decimal("0"))
    if owner.opportunity != total:
        if isinstance(owner, Deal):
            deal_update(deal=owner, actor=actor, data={"opportunity": str(total)})
        else:
            lead_update(lead=owner, actor=actor, data={"opportunity": str(total)})
    return cleaned
