"""WSGI entry point for gunicorn: ``gunicorn kontor.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontor.settings")
application = get_wsgi_application()
