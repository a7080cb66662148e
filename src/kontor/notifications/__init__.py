"""In-app notifications and their e-mails: a record assigned to you, a web-form inquiry, an activity
due soon or overdue. Everything goes through ``kontor.notifications.services.notify``."""
