from django.apps import AppConfig


class DevdataConfig(AppConfig):
    name = "kontor.devdata"
    label = "devdata"
