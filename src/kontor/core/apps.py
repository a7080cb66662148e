import sys

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kontor.core"
    label = "core"

    def ready(self) -> None:
        from kontor.core import lookups  # noqa: F401  (registers the lookups on the field classes)
        from kontor.core.logmask import install

        install()  # webhook secrets never reach a log line (kontor.core.logmask)
        if "db_worker" in sys.argv[1:3]:
            from kontor.core.health import start_heartbeat

            start_heartbeat()  # /healthz sees that a worker is alive
