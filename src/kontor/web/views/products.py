"""Product rows of a deal or a lead (shown on its page, edited on their own page) and the product catalogue.

The rows are always saved whole through ``kontor.products.services.product_rows_set``, as the facade's
``crm.deal.productrows.set`` does; the deal's amount follows them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kontor.accounts.models import Action
from kontor.core.errors import KontorError
from kontor.core.money import AmountError, currency_choices, input_amount, is_currency, parse_amount
from kontor.crm import access
from kontor.crm.models import Deal, Lead
from kontor.products.models import Product
from kontor.products.services import product_create, product_delete, product_rows_set
from kontor.web.views.common import error_message

#: Empty lines offered below the deal's rows for new ones.
NEW_ROWS = 3
MAX_FORM_ROWS = 200


def _record(request: HttpRequest, model: type[Deal] | type[Lead], pk: int) -> Deal | Lead:
    record = access.scope(model.objects.all(), request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def _number(text: str, label: str, row: int, places: int) -> Decimal | None:
    try:
        return parse_amount(text, places=places)
    except AmountError as exc:
        raise ValueError(_("Row %(row)s: %(field)s \u201c%(text)s\u201d is not a number (write it like %(example)s).")
                         % {"row": row, "field": label, "text": exc.text, "example": exc.example}) from None


def _posted(request: HttpRequest) -> list[dict[str, str]]:
    """The rows as typed (shown again when something is wrong)."""
    raw = request.POST.get("rows") or ""
    count = min(int(raw) if raw.isdigit() else 0, MAX_FORM_ROWS)
    typed = []
    for i in range(count):
        entered = {name: (request.POST.get(f"row-{i}-{name}") or "").strip()
                   for name in ("product_id", "name", "price", "quantity", "discount", "tax")}
        entered["delete"] = "1" if request.POST.get(f"row-{i}-delete") else ""
        typed.append(entered)
    return typed


def _rows(typed: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The typed rows as the service takes them; deleted and empty lines left out."""
    rows: list[dict[str, Any]] = []
    for i, entered in enumerate(typed):
        if entered["delete"] or not (entered["product_id"] or entered["name"]):
            continue
        row: dict[str, Any] = {"product_name": entered["name"]}
        if entered["product_id"].isdigit():
            row["product_id"] = int(entered["product_id"])
        for key, name, label, places in (("price", "price", _("Price"), 2), ("quantity", "quantity", _("Quantity"), 4),
                                         ("discount", "discount_rate", _("Discount"), 2)):
            number = _number(entered[key], label, i + 1, places)
            if number is not None:
                row[name] = number
        if entered["tax"] != "":
            row["tax_rate"] = _number(entered["tax"], _("Tax"), i + 1, 2)
        rows.append(row)
    return rows


def _typed_rows(deal: Deal | Lead) -> list[dict[str, str]]:
    rows = [{"product_id": str(r.product_id or ""), "name": r.product_name, "price": input_amount(r.price),
             "quantity": input_amount(r.quantity.normalize() if r.quantity == r.quantity.to_integral() else r.quantity)
             if r.quantity is not None else "",
             "discount": input_amount(r.discount_rate) if r.discount_rate else "",
             "tax": input_amount(r.tax_rate) if r.tax_rate is not None else "", "delete": ""}
            for r in deal.product_rows.all()]
    return rows + [{"product_id": "", "name": "", "price": "", "quantity": "", "discount": "", "tax": "",
                    "delete": ""} for _ in range(NEW_ROWS)]


@login_required
@require_http_methods(["GET", "POST"])
def deal_products(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a deal's product rows: change, delete (tick), add (the empty lines, a catalogue product or
    a name of one's own)."""
    return _products(request, _record(request, Deal, pk), "web:deal_detail")


@login_required
@require_http_methods(["GET", "POST"])
def lead_products(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a lead's product rows, as a deal's (a converted lead is read-only history)."""
    return _products(request, _record(request, Lead, pk), "web:lead_detail")


def _set_currency(deal: Deal | Lead, currency: str, actor) -> None:
    """The rows are in the record's currency: choosing another one on the rows' page changes it."""
    from kontor.crm.services import deal_update, lead_update

    if currency == deal.currency:
        return
    if isinstance(deal, Deal):
        deal_update(deal=deal, actor=actor, data={"currency": currency})
    else:
        lead_update(lead=deal, actor=actor, data={"currency": currency})


def _products(request: HttpRequest, deal: Deal | Lead, detail_url: str) -> HttpResponse:
    errors: list[str] = []
    typed = _typed_rows(deal)
    currency = deal.currency
    if request.method == "POST":
        try:
            access.require(request.user, deal, Action.EDIT)
            typed = _posted(request)
            currency = (request.POST.get("currency") or deal.currency).strip().upper()
            if not is_currency(currency):
                raise ValueError(_("%(code)s is not a currency code (ISO 4217, such as EUR).")
                                 % {"code": currency[:20]})
            with transaction.atomic():  # currency and rows together, or neither
                _set_currency(deal, currency, request.user)
                product_rows_set(owner=deal, rows=_rows(typed), actor=request.user)
        except ValueError as exc:
            errors.append(str(exc))
        except KontorError as exc:
            errors.append(error_message(exc))
        else:
            messages.success(request, _("Product rows saved."))
            return redirect(detail_url, pk=deal.pk)
        while len(typed) < NEW_ROWS:
            typed.append({"product_id": "", "name": "", "price": "", "quantity": "", "discount": "", "tax": "",
                          "delete": ""})
    products = Product.objects.filter(active=True).order_by("sort", "name")
    return render(request, "web/deals/products.html", {
        "object": deal, "rows": typed, "products": products, "errors": errors, "detail_url": detail_url,
        "is_lead": isinstance(deal, Lead), "currency": currency, "currencies": currency_choices(keep=currency),
    }, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue: every product with its price and tax; add one (name, price, currency, tax)."""
    errors: list[str] = []
    entered = {"name": "", "price": "", "currency": "EUR", "tax": ""}
    if request.method == "POST":
        entered = {k: (request.POST.get(k) or "").strip() for k in entered}
        try:
            data: dict[str, Any] = {"name": entered["name"], "currency": entered["currency"] or "EUR"}
            try:
                price = parse_amount(entered["price"])
                tax = parse_amount(entered["tax"]) if entered["tax"] else None
            except AmountError as exc:
                raise ValueError(_("\u201c%(text)s\u201d is not a number (write it like %(example)s).")
                                 % {"text": exc.text, "example": exc.example}) from None
            if price is not None:
                data["price"] = price
            if tax is not None:
                data["tax_rate"] = tax
            product_create(actor=request.user, data=data)
        except ValueError as exc:
            errors.append(str(exc))
        except KontorError as exc:
            errors.append(error_message(exc))
        else:
            messages.success(request, _("Product added."))
            return redirect("web:product_list")
    return render(request, "web/products/list.html", {
        "products": Product.objects.order_by("sort", "name"), "errors": errors, "entered": entered,
        "currencies": currency_choices(keep=entered["currency"]),
    }, status=400 if errors else 200)


@login_required
@require_http_methods(["POST"])
def product_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a catalogue entry (admins); rows that sold it keep their name and price."""
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise Http404
    if not getattr(request.user, "is_crm_admin", False):
        messages.error(request, _("Your role does not allow this."))
    else:
        product_delete(product=product, actor=request.user)
        messages.success(request, _("Product deleted."))
    return redirect("web:product_list")
