"""Database lookups Kontor adds to Django's.

``like_pattern``: ``field LIKE pattern`` where the caller's ``%`` and ``_`` are the wildcards (Bitrix24's
``=%``/``%=`` filters) and every other character, a backslash included, means itself. It is plain SQL
``LIKE``/``ILIKE`` on both databases: both match in time linear in the text for any pattern, where a
regular expression built from the pattern could backtrack for minutes (issue 16: one filter stalled
every SQLite worker).
"""

from __future__ import annotations

from django.db.models import CharField, Lookup, TextField


def escape_like_pattern(pattern: str) -> str:
    """``pattern`` with backslashes escaped, so only ``%`` and ``_`` stay special."""
    return pattern.replace("\\", "\\\\")


class LikePattern(Lookup):
    """Case-insensitive ``LIKE`` with the value's own ``%``/``_`` wildcards (``ESCAPE '\\'``)."""

    lookup_name = "like_pattern"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [escape_like_pattern(str(value))]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # SQLite's LIKE ignores ASCII case already; PostgreSQL needs ILIKE.
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


CharField.register_lookup(LikePattern)
TextField.register_lookup(LikePattern)
