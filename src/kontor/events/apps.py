import sys
import threading

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "kontor.events"
    label = "events"
    verbose_name = "Events and outbound webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kontor.events import bus, outbox

        # The outbox row is written in the changing transaction (committed together, never lost);
        # the worker is woken once it committed.
        bus.subscribe("*", outbox.queue_deliveries, phase=bus.Phase.IN_TRANSACTION,
                      order=bus.RECORD)
        # The timeline is written by a subscriber too: the same entries whichever path made the change.
        from kontor.events import timeline

        timeline.register()
        if "db_worker" in sys.argv[1:3]:
            # Retries and deliveries whose wake-up was lost (a crash between commit and enqueue) are
            # picked up by this sweep in every worker process.
            threading.Thread(target=_sweeper, name="kontor-webhook-sweeper", daemon=True).start()


def _sweeper() -> None:
    import logging
    import time

    from django.db import connection

    from kontor.events import delivery

    log = logging.getLogger("kontor.events.sweeper")
    time.sleep(0.5)
    while True:
        try:
            delivery.enqueue_due()
        except Exception:
            log.debug("webhook sweep failed", exc_info=True)
        finally:
            connection.close()
        time.sleep(delivery.SWEEP_SECONDS)
