from django.apps import AppConfig


class ModesConfig(AppConfig):
    name = "kontor.modes"
    label = "modes"
    verbose_name = "CRM modes"
