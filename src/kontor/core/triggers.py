"""The database triggers that renew the configuration generation (``kontor.core.generation``).

Migrations call these with the tables whose rows some process caches: core 0003 the CRM
configuration, core 0004 users and API tokens. ``update_of`` names, per table, the columns whose
update matters where others change often (a webhook's delivery lease).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION kontor_config_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE core_configgeneration SET token = floor((random() - 0.5) * 9.2e18)::bigint WHERE id = 1; "
    "RETURN NULL; END $$")


def _update_of(table: str, update_of: Mapping[str, str]) -> str:
    return f"UPDATE OF {update_of[table]}" if table in update_of else "UPDATE"


def create_bump_triggers(schema_editor, tables: Iterable[str], update_of: Mapping[str, str] | None = None) -> None:
    """Renew the generation token on every insert, update (of ``update_of``'s columns) and delete in
    ``tables``, in the changing transaction."""
    update_of = update_of or {}
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                event = _update_of(table, update_of) if op == "UPDATE" else op
                schema_editor.execute(
                    f"CREATE TRIGGER kontor_config_{table}_{op.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE core_configgeneration SET token = random() WHERE id = 1; END")
    elif vendor == "postgresql":
        schema_editor.execute(_PG_FUNCTION)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER kontor_config_bump AFTER INSERT OR {_update_of(table, update_of)} OR DELETE"
                f" OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kontor_config_bump()")


def drop_bump_triggers(schema_editor, tables: Iterable[str], *, drop_function: bool = False) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS kontor_config_{table}_{op}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS kontor_config_bump ON {table}")
    if vendor == "postgresql" and drop_function:
        schema_editor.execute("DROP FUNCTION IF EXISTS kontor_config_bump()")
