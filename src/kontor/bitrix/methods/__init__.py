"""Bitrix24 REST methods served by the facade, one module per area.

Each module registers its handlers with ``method(name)(handler)`` after defining them.
"""
