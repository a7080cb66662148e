"""A small product catalogue and the product rows of deals and leads (Bitrix24's crm.product.* and
crm.{deal,lead}.productrows.*)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone


class DiscountType(models.IntegerChoices):
    """How a row's discount is given (Bitrix24 DISCOUNT_TYPE_ID)."""

    MONETARY = 1, "Amount"  # DISCOUNT_SUM per unit
    PERCENTAGE = 2, "Percent"  # DISCOUNT_RATE of the list price


class Product(models.Model):
    """A catalogue entry: name and list price (gross, in ``currency``) with its tax rate."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="EUR")
    #: VAT in percent; ``None``: no tax applies.
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    tax_included = models.BooleanField(default=True)
    measure = models.CharField(max_length=20, blank=True, default="")
    active = models.BooleanField(default=True)
    sort = models.IntegerField(default=500)
    xml_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.name


class ProductRow(models.Model):
    """One line of a deal or a lead: what is sold, at which final unit price, how many.

    ``price`` is Bitrix24's ``PRICE``: per unit, after discount, tax included. The record's amount is
    the sum of ``price × quantity`` over its rows.
    """

    deal = models.ForeignKey("crm.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="product_rows")
    lead = models.ForeignKey("crm.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="product_rows")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="rows")
    product_name = models.CharField(max_length=255)
    price = models.DecimalField(max_digits=18, decimal_places=2)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("1"))
    discount_type = models.PositiveSmallIntegerField(choices=DiscountType.choices, default=DiscountType.PERCENTAGE)
    discount_rate = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    #: Discount per unit, before tax.
    discount_sum = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal("0"))
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    tax_included = models.BooleanField(default=True)
    measure = models.CharField(max_length=20, blank=True, default="")
    sort = models.IntegerField(default=10)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(deal__isnull=False, lead__isnull=True) | models.Q(deal__isnull=True, lead__isnull=False),
            name="product_row_one_owner")]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"

    @property
    def total(self) -> Decimal:
        return (self.price * self.quantity).quantize(Decimal("0.01"))
