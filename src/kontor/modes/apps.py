import sys
import threading

from django.apps import AppConfig


class ModesConfig(AppConfig):
    name = "kontor.modes"
    label = "modes"
    verbose_name = "CRM modes"

    def ready(self) -> None:
        from kontor.events import bus
        from kontor.modes.hooks import convert_new_lead

        bus.subscribe("lead.created", convert_new_lead, phase=bus.Phase.IN_TRANSACTION, order=bus.REACT)
        # django-tasks' database worker does not retry a task whose process died while running it.
        # So every worker watches for switches whose runner's lease ran out and queues them again:
        # restarting the worker after a crash resumes the conversion.
        if "db_worker" in sys.argv[1:3]:
            threading.Thread(target=_watchdog, name="kontor-switch-watchdog", daemon=True).start()


def _watchdog() -> None:
    import logging
    import time

    from django.db import connection

    from kontor.modes import jobs

    log = logging.getLogger("kontor.modes.watchdog")
    time.sleep(0.5)
    while True:
        try:
            ids = jobs.requeue_stale_switches()
            if ids:
                log.info("re-queued CRM-mode switch(es) %s after their runner stopped", ids)
        except Exception:
            log.debug("watchdog pass failed", exc_info=True)
        finally:
            connection.close()
        time.sleep(max(1.0, min(jobs.LEASE_SECONDS / 2, 15.0)))
