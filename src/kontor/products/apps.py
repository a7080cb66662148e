from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "kontor.products"
    label = "products"
    verbose_name = "Products and product rows"
    default_auto_field = "django.db.models.BigAutoField"
