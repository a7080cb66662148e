import sys

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kontor.core"
    label = "core"

    def ready(self) -> None:
        from kontor.core import lookups  # noqa: F401  (registers the lookups on the field classes)
        from kontor.core.logmask import install

        install()  # webhook secrets never reach a log line (kontor.core.logmask)
        from django.core.signals import request_finished, request_started

        from kontor.core.generation import request_generation_reset

        request_started.connect(request_generation_reset, dispatch_uid="kontor_generation_started")
        request_finished.connect(request_generation_reset, dispatch_uid="kontor_generation_finished")
        if "db_worker" in sys.argv[1:3]:
            from kontor.core.health import start_heartbeat

            start_heartbeat()  # /healthz sees that a worker is alive
            from kontor.core.sqlite.base import checkpointer_start

            checkpointer_start()  # SQLite: the switch's COMMITs do not checkpoint inline
