"""``{% unread_notifications as n %}``: the bell's count in the page header."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from kontor.notifications.services import unread_count

    return unread_count(user)


@register.filter
def notification_text(n) -> str:
    from kontor.notifications.services import notification_text as text

    return text(n)


@register.filter
def notification_url(n) -> str:
    from kontor.notifications.services import notification_url as url

    return url(n)
