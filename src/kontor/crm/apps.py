from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "kontor.crm"
    label = "crm"
    verbose_name = "CRM"
