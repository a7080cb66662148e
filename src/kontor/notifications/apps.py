import sys
import threading

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kontor.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kontor.notifications import subscribers

        subscribers.register()
        if "db_worker" in sys.argv[1:3]:
            # Every worker sends the waiting e-mails and the activities' reminders; the claims in
            # the database make sure each goes out once.
            threading.Thread(target=_sweeper, name="kontor-notification-sweeper", daemon=True).start()


def _sweeper() -> None:
    import logging
    import time

    from django.conf import settings
    from django.db import connection

    from kontor.notifications import services

    log = logging.getLogger("kontor.notifications.sweeper")
    time.sleep(0.5)
    while True:
        try:
            services.run_pass()
        except Exception:
            log.warning("notification pass failed", exc_info=True)
        finally:
            connection.close()
        time.sleep(float(getattr(settings, "KONTOR_NOTIFICATION_SWEEP_SECONDS", 15)))
