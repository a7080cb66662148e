from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "kontor.data"
    label = "data"
    verbose_name = "Data in and out"
