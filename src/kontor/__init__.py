"""Kontor — a self-hosted CRM server with Bitrix24-style classic and simple CRM modes."""

__version__ = "0.1.0"
