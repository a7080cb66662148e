"""WSGI entry point for gunicorn: ``gunicorn kontor.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from kontor.core.sqlite.base import checkpointer_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontor.settings")
application = get_wsgi_application()
checkpointer_start()  # SQLite: WAL checkpoints off the requests' COMMITs (kontor.core.sqlite.base)

# Import every view now (not in the first request) and then take what start-up built — about 120,000
# objects — out of the garbage collector's full collections: walking them took 80–130 ms on the
# 2-core test machine (measured with gc.callbacks; 1–6 ms after freezing), a pause that a request
# now and then waited through.
# ``gc.freeze()`` is Python's tool for exactly this (see its documentation); request garbage is
# still collected as before.
get_resolver().url_patterns  # noqa: B018  (loads the URL conf and with it every view and API module)
gc.freeze()
