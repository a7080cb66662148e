"""Bitrix24 REST methods served by the facade, one module per area; each registers with ``@method``."""
