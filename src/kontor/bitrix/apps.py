from django.apps import AppConfig


class BitrixConfig(AppConfig):
    name = "kontor.bitrix"
    label = "bitrix"
