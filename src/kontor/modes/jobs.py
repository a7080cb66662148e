"""The bulk conversion behind a classic → simple switch.

``LeadBulkConverter`` converts all in-progress leads of one id range with a fixed sequence of
set-based ``INSERT … SELECT`` / ``UPDATE … FROM`` statements — contacts (matched by normalised phone
or e-mail, or new), companies (matched by case-folded title, or new), deals, deal contacts, activity
bindings, timeline entries and the leads' new status — so a batch of tens of thousands of leads
costs a dozen statements, not a dozen per lead.

``switch_run`` walks the id ranges; on PostgreSQL several batches run side by side, each in its own
connection. Each batch runs in one transaction that also adds its counts to the switch, and the
switch's ``cursor`` follows the committed prefix of ranges, so after a crash (SIGKILL, power loss)
the next run starts at the cursor and a range done again finds its leads converted already: no
lead converted twice, none skipped, counts exact. A batch that fails is retried lead by lead; a
lead that still fails is listed in ``errors`` and stays in progress.

Only one process works on a switch at a time: it holds a lease (``runner``, ``lease_until``) that
every committed batch renews. Another run (a restarted worker, ``kontor crm_mode`` waiting in the
shell) waits until the lease runs out and then takes over; a batch's counts are written only while
its runner holds the lease, otherwise the whole batch rolls back, so two runners can never both
commit a range.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from datetime import timedelta
from functools import partial

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import AuditLog, CrmSettings, Lead, LeadStatus, Pipeline
from kontor.events.bus import Event, emit
from kontor.events.names import LEADS_CONVERTED_BATCH
from kontor.modes.conversion import TargetMap, conversion_map, uf_sql
from kontor.modes.models import ACTIVE_STATUSES, ModeSwitch, SwitchStatus

log = logging.getLogger(__name__)

#: Leads per transaction. Large enough that per-statement overhead vanishes, small enough that a
#: transaction stays short (a second or two) and progress moves visibly.
BATCH_SIZE = int(os.environ.get("KONTOR_SWITCH_BATCH_SIZE", "25000"))
#: How long a runner's claim lasts without a committed batch before another process may take over.
LEASE_SECONDS = float(os.environ.get("KONTOR_SWITCH_LEASE_SECONDS", "60"))
MAX_ERRORS = 1000
#: Pause after each batch (seconds). On SQLite it lets web requests take the write lock between
#: batches on a busy installation; 0 (the default) converts at full speed.
PAUSE_SECONDS = float(os.environ.get("KONTOR_SWITCH_PAUSE_SECONDS", "0"))
#: Tests only: sleep this long inside each batch's transaction, after its leads are converted and
#: before its counts are written, so a test can kill the worker in the middle of a batch.
BATCH_PAUSE_SECONDS = float(os.environ.get("KONTOR_SWITCH_BATCH_PAUSE", "0"))
#: Batches converted side by side on PostgreSQL, each in its own connection (SQLite: always 1).
WORKERS = max(1, int(os.environ.get("KONTOR_SWITCH_WORKERS", "2")))
#: SQLite page cache of the job's connection, in MB (counts toward the worker's memory).
SQLITE_CACHE_MB = int(os.environ.get("KONTOR_SWITCH_SQLITE_CACHE_MB", "256"))
#: SQLite: how long one batch may hold the database's write lock (seconds). Batches are sized by
#: time, not by count, so a web request waits at most about this long behind the job.
SQLITE_BATCH_SECONDS = float(os.environ.get("KONTOR_SWITCH_SQLITE_BATCH_SECONDS", "0.1"))
#: SQLite: after each batch the job steps back this long (seconds), longer than a queued writer's
#: retry interval (kontor.core.sqlite.base.MAX_WAIT), so the writers waiting get the lock first.
SQLITE_YIELD_SECONDS = 0.003
#: SQLite: the job takes the lock back only after no other writer has held it or waited for it for
#: this long (seconds). A web server with few request threads has the next requests still in its
#: socket queue, not yet at the lock, when the ones that were waiting are done; and a request that
#: finds the lock free never waits, so only "held or waited for" sees a steady stream of them.
SQLITE_QUIET_SECONDS = 0.012


def _yield_to_writers(*, max_seconds: float) -> None:
    """SQLite, between two batches: let the web requests that want the write lock go first, until
    none has held it or waited for it for ``SQLITE_QUIET_SECONDS`` (at most ``max_seconds``, so a
    steady stream of them slows the job by a third at worst)."""
    active = getattr(connection, "writers_active", None)
    deadline = time.monotonic() + max_seconds
    last_seen: float | None = None  # nobody at the lock at the first look: no traffic, go on at once
    time.sleep(SQLITE_YIELD_SECONDS)
    while active is not None and (now := time.monotonic()) < deadline:
        if active():
            last_seen = now
        elif last_seen is None or now - last_seen >= SQLITE_QUIET_SECONDS:
            break
        time.sleep(SQLITE_YIELD_SECONDS)


class _TimeSizedBatches:
    """Batch sizes that keep each batch near ``seconds`` long: start small, then scale the size by
    how long the last batch took (within ``floor`` .. ``ceiling`` leads)."""

    def __init__(self, seconds: float, *, first: int = 200, floor: int = 20, ceiling: int = BATCH_SIZE) -> None:
        self.seconds, self.size, self.floor, self.ceiling = seconds, first, floor, ceiling

    def took(self, leads: int, seconds: float) -> None:
        if leads <= 0 or seconds <= 0:
            return
        rate = leads / seconds
        wanted = int(rate * self.seconds)
        # at most double per batch (a fast batch of cached pages is no promise), shrink at once
        self.size = max(self.floor, min(self.ceiling, min(wanted, self.size * 2)))


def switch_enqueue(switch_id: int) -> None:
    """Hand the switch to the background worker."""
    from kontor.modes.tasks import switch_task

    switch_task.enqueue(switch_id)


class LeadBulkConverter:
    """Converts the in-progress leads with ``lo < id <= hi`` in the caller's transaction.

    Statements use only SQL that SQLite (≥ 3.33) and PostgreSQL share, apart from the JSON builder.
    """

    def __init__(self, *, switch_id: int, pipeline_id: int, stage_id: int, actor_id: int | None,
                 create_contacts: bool, create_companies: bool, keep_open: bool, match: bool,
                 process_codes: list[str], success_code: str, lock_keys: bool = False, stage_code: str = "") -> None:
        self.switch_id = switch_id
        self.lock_keys = lock_keys and match
        self.sequences: dict[str, str] = {}  # table -> its id sequence (PostgreSQL), looked up once
        self.make_contacts = create_contacts or not create_companies
        self.make_companies = create_companies
        self.keep_open = keep_open
        self.match = match
        self.pg = connection.vendor == "postgresql"
        self.json = "jsonb_build_object" if self.pg else "json_object"
        self.params: dict = {"pipeline": pipeline_id, "stage": stage_id, "actor": actor_id,
                             "success": success_code, "switch": switch_id, "stage_code": stage_code}
        # The column lists of the contacts, companies and deals written come from the conversion map
        # that manual conversion uses too (read once per run: custom fields may change between runs).
        self.cmap = conversion_map()
        self.text = "CAST(%(stage_code)s AS TEXT)" if self.pg else "%(stage_code)s"
        self.comm_types = ", ".join(f"'{t}'" for t in self.cmap["contact"].comm_types) or "''"
        names = []
        for i, code in enumerate(process_codes):
            self.params[f"s{i}"] = code
            names.append(f"%(s{i})s")
        self.statuses = ", ".join(names)

    def _in_batch(self, alias: str) -> str:
        return f"{alias}.id > %(lo)s AND {alias}.id <= %(hi)s AND {alias}.status_id IN ({self.statuses})"

    def _prepare(self, run) -> None:
        # A scratch table (per connection, never logged) holds what each lead of the batch becomes,
        # so the leads table itself is written once per lead, at the end. ``made`` is the contact
        # round that created the lead's contact (0: an existing contact, or none).
        run("CREATE TEMP TABLE IF NOT EXISTS kontor_conv (lead_id BIGINT PRIMARY KEY, contact_id BIGINT,"
            " company_id BIGINT, deal_id BIGINT NOT NULL, ctn VARCHAR(255) NOT NULL, dup BOOLEAN NOT NULL,"
            " made SMALLINT NOT NULL)")
        run("TRUNCATE kontor_conv" if self.pg else "DELETE FROM kontor_conv")

    def _new_id(self, table: str, p: dict) -> str:
        """SQL for a fresh primary key of ``table``, one per row of an ordered ``SELECT`` of the batch.

        PostgreSQL draws from the table's sequence, so concurrent inserts (intake during the switch)
        never collide. On SQLite the batch holds the database's only write lock, so the ids follow
        the highest id the table ever had, numbered by ``ROW_NUMBER()``.
        """
        with connection.cursor() as cur:
            if self.pg:
                if table not in self.sequences:
                    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    self.sequences[table] = cur.fetchone()[0].replace("'", "''")
                return f"nextval('{self.sequences[table]}'::regclass)"
            cur.execute(f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0),"
                        f" COALESCE((SELECT MAX(id) FROM {table}), 0))")
            p[f"{table}_base"] = cur.fetchone()[0]
        return f"%({table}_base)s + ROW_NUMBER() OVER (ORDER BY {{order}})"

    def convert_range(self, lo: int, hi: int) -> int:
        """Convert the range; return how many leads were converted."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        today = timezone.localdate()  # a deal's begindate, as deal_create sets it
        p = {**self.params, "lo": lo, "hi": hi, "now": now, "today": today if self.pg else today.isoformat()}
        with connection.cursor() as cur:
            def run(sql: str) -> int:
                cur.execute(sql, p)
                return cur.rowcount

            self._prepare(run)
            # Each lead's deal id is drawn here, so no statement has to look the new deals up again.
            # FOR UPDATE (PostgreSQL): a concurrent edit of one of these leads waits for this batch.
            deal_id = self._new_id("crm_deal", p).format(order="l.id")
            count = run("INSERT INTO kontor_conv (lead_id, contact_id, company_id, deal_id, ctn, dup, made)"
                        f" SELECT l.id, l.contact_id, l.company_id, {deal_id}, l.company_title_normalized, FALSE, 0"
                        f" FROM crm_lead l WHERE {self._in_batch('l')} ORDER BY l.id"
                        + (" FOR UPDATE" if self.pg else ""))
            if not count:
                return 0
            if self.pg:
                run("ANALYZE kontor_conv")
            if self.lock_keys:
                self._lock_keys(run)
            # Companies first, so a new contact is written once, with its company.
            if self.make_companies:
                self._companies(run)
            if self.make_contacts:
                self._contacts(run, p)
            self._deals(run)
            self._activities(run)
            self._timeline(run)
            return run("UPDATE crm_lead SET status_id = %(success)s, contact_id = v.contact_id,"
                       " company_id = v.company_id, deal_id = v.deal_id, converted_at = %(now)s, updated_at = %(now)s"
                       " FROM kontor_conv v WHERE crm_lead.id = v.lead_id AND crm_lead.id > %(lo)s"
                       " AND crm_lead.id <= %(hi)s")

    def tally(self) -> dict[str, int]:
        """What the last ``convert_range`` did, from its scratch table (same connection and
        transaction): the counters of the switch's result page."""
        with connection.cursor() as cur:
            cur.execute(
                "SELECT COUNT(DISTINCT CASE WHEN v.made > 0 THEN v.contact_id END),"
                " COALESCE(SUM(CASE WHEN v.made = 0 AND v.contact_id IS NOT NULL THEN 1 ELSE 0 END), 0),"
                " (SELECT COUNT(*) FROM crm_company c JOIN kontor_conv w ON c.id = w.company_id"
                "  AND c.lead_id = w.lead_id),"
                " COALESCE(SUM(CASE WHEN v.company_id IS NOT NULL THEN 1 ELSE 0 END), 0),"
                " (SELECT COUNT(*) FROM crm_activity a JOIN kontor_conv w ON a.owner_type = 2"
                "  AND a.owner_id = w.deal_id WHERE a.completed = FALSE)"
                " FROM kontor_conv v")
            made, matched, companies, linked, open_ = cur.fetchone()
        return {"contacts_created": made, "contacts_matched": matched, "companies_created": companies,
                "companies_matched": linked - companies, "activities_open": open_}

    def _lock_keys(self, run) -> None:
        # In one statement and in key order, so two batches can wait for each other but never
        # deadlock; DO UPDATE locks a key row that is already there, too.
        keys = []
        if self.make_contacts:
            keys.append("SELECT lc.type || ':' || lc.normalized AS k FROM crm_communication lc"
                        " JOIN kontor_conv v ON v.lead_id = lc.entity_id"
                        " WHERE lc.entity_type = 1 AND lc.entity_id > %(lo)s AND lc.entity_id <= %(hi)s"
                        f" AND {CUSTOMER_COMMS}")
        if self.make_companies:
            keys.append("SELECT 'company:' || ctn AS k FROM kontor_conv WHERE ctn <> ''")
        # DISTINCT: two leads of one company (or one phone) in a batch give the key twice, and
        # PostgreSQL refuses to upsert a row twice in one statement (UNION only dedups across parts)
        run(f"INSERT INTO modes_switchkey (key) SELECT DISTINCT k FROM ({' UNION '.join(keys)}) AS keys ORDER BY k"
            " ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key")

    def _contact_round(self, run, p: dict, *, round_no: int) -> None:
        if round_no == 1 and self.match:
            # A lead sharing a phone/e-mail with an earlier lead of the batch waits for round two,
            # where it finds that lead's new contact: two leads of one person make one contact.
            # PostgreSQL runs the EXISTS as a semi-join, over every lead's phones and e-mails unless
            # bounded to the batch (a million index probes per batch at a million leads); SQLite runs
            # it per lead and would take the bound for its index instead of the lead's id.
            bound = " AND lc.entity_id > %(lo)s AND lc.entity_id <= %(hi)s" if self.pg else ""
            run("UPDATE kontor_conv SET dup = TRUE WHERE contact_id IS NULL AND EXISTS ("
                " SELECT 1 FROM crm_communication lc JOIN crm_communication o ON o.type = lc.type"
                " AND o.normalized = lc.normalized AND +o.entity_type = 1 AND +o.entity_id < lc.entity_id"
                " JOIN kontor_conv v2 ON v2.lead_id = o.entity_id"
                f" WHERE lc.entity_type = 1 AND lc.entity_id = kontor_conv.lead_id AND v2.contact_id IS NULL{bound}"
                f" AND {CUSTOMER_COMMS})")
        p["round"] = round_no
        new_id = self._new_id("crm_contact", p).format(order="lead_id")
        if not run(f"UPDATE kontor_conv SET contact_id = n.id, made = %(round)s FROM (SELECT lead_id, {new_id} AS id"
                   " FROM kontor_conv WHERE contact_id IS NULL AND dup = FALSE) AS n"
                   " WHERE kontor_conv.lead_id = n.lead_id"):
            return
        cols, exprs = _select_list(self.cmap["contact"], overrides={
            # A contact needs a name: a lead with neither first nor last name lends its title.
            "name": "CASE WHEN l.name = '' AND l.last_name = '' THEN substr(l.title, 1, 100) ELSE l.name END",
        }, fixed={"id": "v.contact_id", "company_id": "v.company_id", "lead_id": "l.id", "created_by_id": "%(actor)s",
                  "comments": "''", "created_at": "%(now)s", "updated_at": "%(now)s"})
        run(f"INSERT INTO crm_contact ({cols}) SELECT {exprs} FROM kontor_conv v JOIN crm_lead l ON l.id = v.lead_id"
            " WHERE v.made = %(round)s ORDER BY v.contact_id")
        run("INSERT INTO crm_contactcompany (contact_id, company_id, sort, is_primary)"
            " SELECT v.contact_id, v.company_id, 10, TRUE FROM kontor_conv v"
            " WHERE v.made = %(round)s AND v.company_id IS NOT NULL ORDER BY v.contact_id")
        run("INSERT INTO crm_communication (entity_type, entity_id, type, value_type, value, normalized)"
            " SELECT 3, v.contact_id, lc.type, lc.value_type, lc.value, lc.normalized"
            " FROM kontor_conv v JOIN crm_communication lc ON lc.entity_type = 1 AND lc.entity_id = v.lead_id"
            f" WHERE v.made = %(round)s AND lc.entity_id > %(lo)s AND lc.entity_id <= %(hi)s"
            f" AND lc.type || '' IN ({self.comm_types}) ORDER BY lc.id")

    def _match_contacts(self, run) -> None:
        # Per lead without a contact, per phone/e-mail of that lead, one probe of the (type,
        # normalized) index: the cost follows the batch, not the number of contacts. ``+entity_type``
        # keeps the planner off the (entity_type, entity_id) index: with statistics that are stale
        # while the job adds contacts, it would walk every contact's phones and e-mails in id order
        # looking for MIN(entity_id), once per lead.
        run("UPDATE kontor_conv SET contact_id = (SELECT MIN((SELECT MIN(c.entity_id) FROM crm_communication c"
            " WHERE c.type = lc.type AND c.normalized = lc.normalized AND +c.entity_type = 3))"
            " FROM crm_communication lc WHERE lc.entity_type = 1 AND lc.entity_id = kontor_conv.lead_id"
            f" AND {CUSTOMER_COMMS}) WHERE contact_id IS NULL")

    def _contacts(self, run, p: dict) -> None:
        if self.match:
            self._match_contacts(run)
        self._contact_round(run, p, round_no=1)
        if self.match:
            self._match_contacts(run)
            run("UPDATE kontor_conv SET dup = FALSE WHERE dup = TRUE")
            self._contact_round(run, p, round_no=2)

    def _companies(self, run) -> None:
        wanted = "v.company_id IS NULL AND v.ctn <> ''"
        cols, exprs = _select_list(self.cmap["company"], fixed={
            "title_normalized": "l.company_title_normalized", "industry": "''", "lead_id": "l.id",
            "created_by_id": "%(actor)s", "comments": "''", "created_at": "%(now)s", "updated_at": "%(now)s"})
        insert = (f"INSERT INTO crm_company ({cols}) SELECT {exprs}"
                  " FROM kontor_conv v JOIN crm_lead l ON l.id = v.lead_id WHERE ")
        # MIN(id + 0): never a walk of the primary key in id order looking for the title.
        by_title = ("UPDATE kontor_conv SET company_id = (SELECT MIN(c.id + 0) FROM crm_company c"
                    " WHERE c.title_normalized = kontor_conv.ctn) WHERE company_id IS NULL AND ctn <> ''")
        if self.match:
            run(by_title)
            run(insert + wanted + " AND v.lead_id IN (SELECT MIN(v.lead_id) FROM kontor_conv v WHERE " + wanted
                + " GROUP BY v.ctn) ORDER BY v.lead_id")
            run(by_title)
        else:
            run(insert + wanted + " ORDER BY v.lead_id")
            run("UPDATE kontor_conv SET company_id = c.id FROM crm_company c WHERE c.lead_id = kontor_conv.lead_id"
                " AND kontor_conv.company_id IS NULL AND kontor_conv.ctn <> ''")

    def _deals(self, run) -> None:
        # A returning customer's deal: its contact has a deal already, or its company has (as
        # deal_create decides for manual conversion) — an earlier lead of this batch counts too.
        known = ("CASE WHEN (v.contact_id IS NOT NULL AND (v.lead_id > MIN(v.lead_id) OVER (PARTITION BY v.contact_id)"
                 " OR EXISTS (SELECT 1 FROM crm_dealcontact dc WHERE dc.contact_id = v.contact_id)))"
                 " OR (v.company_id IS NOT NULL AND (v.lead_id > MIN(v.lead_id) OVER (PARTITION BY v.company_id)"
                 " OR EXISTS (SELECT 1 FROM crm_deal d WHERE d.company_id = v.company_id))) THEN TRUE ELSE FALSE END")
        cols, exprs = _select_list(self.cmap["deal"], overrides={"title": DEAL_TITLE}, fixed={
            "id": "v.deal_id", "pipeline_id": "%(pipeline)s", "stage_id": "%(stage)s", "contact_id": "v.contact_id",
            "company_id": "v.company_id", "lead_id": "l.id", "closed": "FALSE", "closed_at": "NULL",
            "is_return_customer": known, "begindate": "CAST(%(today)s AS DATE)" if self.pg else "%(today)s",
            "created_by_id": "%(actor)s", "created_at": "%(now)s", "updated_at": "%(now)s"})
        run(f"INSERT INTO crm_deal ({cols}) SELECT {exprs} FROM kontor_conv v JOIN crm_lead l ON l.id = v.lead_id"
            " ORDER BY v.deal_id")
        run("INSERT INTO crm_dealcontact (deal_id, contact_id, sort, is_primary)"
            " SELECT v.deal_id, v.contact_id, 10, TRUE FROM kontor_conv v WHERE v.contact_id IS NOT NULL"
            " ORDER BY v.deal_id")

    def _activities(self, run) -> None:
        # The lead's activities move to the deal (its bindings are re-pointed) and are also bound to
        # the contact and the company; an activity the lead owned is owned by the deal from now on.
        bound = (" FROM crm_activitybinding b JOIN kontor_conv v ON v.lead_id = b.entity_id"
                 " WHERE b.entity_type = 1 AND b.entity_id > %(lo)s AND b.entity_id <= %(hi)s")
        for entity_type, column in ((3, "contact_id"), (4, "company_id")):
            run("INSERT INTO crm_activitybinding (activity_id, entity_type, entity_id)"
                f" SELECT b.activity_id, {entity_type}, v.{column}{bound} AND v.{column} IS NOT NULL"
                " ON CONFLICT DO NOTHING")
        if self.keep_open:
            run("UPDATE crm_activity SET owner_type = 2, owner_id = v.deal_id, updated_at = %(now)s"
                f"{bound} AND crm_activity.id = b.activity_id AND crm_activity.owner_type = 1"
                " AND crm_activity.owner_id = v.lead_id")
        else:
            owned = "crm_activity.owner_type = 1 AND crm_activity.owner_id = v.lead_id"
            run(f"UPDATE crm_activity SET owner_type = CASE WHEN {owned} THEN 2 ELSE crm_activity.owner_type END,"
                f" owner_id = CASE WHEN {owned} THEN v.deal_id ELSE crm_activity.owner_id END,"
                " completed_at = CASE WHEN crm_activity.completed THEN crm_activity.completed_at ELSE %(now)s END,"
                f" completed = TRUE, updated_at = %(now)s{bound} AND crm_activity.id = b.activity_id"
                f" AND ({owned} OR crm_activity.completed = FALSE)")
        run("UPDATE crm_activitybinding SET entity_type = 2, entity_id = v.deal_id FROM kontor_conv v"
            " WHERE crm_activitybinding.entity_type = 1 AND crm_activitybinding.entity_id = v.lead_id"
            " AND crm_activitybinding.entity_id > %(lo)s AND crm_activitybinding.entity_id <= %(hi)s")

    def _timeline(self, run) -> None:
        # The entries manual conversion writes: ``converted`` on the lead; ``created`` (by the
        # record services) and ``created_from_lead`` on each record the conversion made.
        j = self.json
        insert = "INSERT INTO crm_timelineentry (entity_type, entity_id, kind, data, actor_id, created_at)"
        from_lead = f"{j}('lead_id', v.lead_id, 'title', l.title)"
        leads = "FROM kontor_conv v JOIN crm_lead l ON l.id = v.lead_id"
        run(f"{insert} SELECT 1, v.lead_id, 'converted', {j}('deal_id', v.deal_id, 'contact_id', v.contact_id,"
            " 'company_id', v.company_id, 'switch_id', %(switch)s), %(actor)s, %(now)s"
            " FROM kontor_conv v ORDER BY v.lead_id")
        run(f"{insert} SELECT 2, v.deal_id, 'created', {j}('title', {DEAL_TITLE}, 'stage', {self.text}),"
            f" %(actor)s, %(now)s {leads} ORDER BY v.lead_id")
        run(f"{insert} SELECT 2, v.deal_id, 'created_from_lead', {from_lead}, %(actor)s, %(now)s {leads}"
            " ORDER BY v.lead_id")
        made = {3: f"{leads} WHERE v.made > 0",
                4: f"{leads} JOIN crm_company c ON c.id = v.company_id AND c.lead_id = v.lead_id"}
        for entity_type, rows in made.items():
            column = "v.contact_id" if entity_type == 3 else "v.company_id"
            run(f"{insert} SELECT {entity_type}, {column}, 'created', {j}(), %(actor)s, %(now)s {rows}"
                " ORDER BY v.lead_id")
            run(f"{insert} SELECT {entity_type}, {column}, 'created_from_lead', {from_lead}, %(actor)s, %(now)s"
                f" {rows} ORDER BY v.lead_id")


#: The deal's title: the lead's, or ``Deal #<id>`` as deal_create names an untitled deal.
DEAL_TITLE = "CASE WHEN l.title = '' THEN 'Deal #' || v.deal_id ELSE l.title END"
#: How the job recognises a customer (``kontor.modes.matching``): phones and e-mails that could be
#: normalised (a value kept as typed, "nach 17 Uhr", has an empty key: it never matches, as in
#: intake). ``|| ''`` keeps the planners off the (type, normalized) index for this term: SQLite would
#: walk every e-mail of the table per lead.
CUSTOMER_COMMS = "lc.type || '' IN ('PHONE', 'EMAIL') AND lc.normalized <> ''"


def _select_list(tmap: TargetMap, *, fixed: dict[str, str], overrides: dict[str, str] | None = None
                 ) -> tuple[str, str]:
    """``(columns, expressions)`` of an ``INSERT … SELECT`` from the lead ``l``: the conversion map's
    columns (``overrides`` by target column), the custom values in ``uf``, then ``fixed``."""
    overrides = overrides or {}
    pairs = [(c.target.column, overrides.get(c.target.column, f"l.{c.source.column}")) for c in tmap.columns]
    if tmap.custom:
        pairs.append(("uf", uf_sql(tmap)))
    pairs += list(fixed.items())
    return ", ".join(c for c, _ in pairs), ", ".join(e for _, e in pairs)


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim(switch_id: int, runner: str) -> tuple[str, ModeSwitch | None]:
    """Take the switch's lease: ``("claimed"|"busy"|"finished", switch)``."""
    with transaction.atomic():
        switch = ModeSwitch.objects.select_for_update().filter(pk=switch_id).first()
        if switch is None or switch.status not in ACTIVE_STATUSES:
            return "finished", switch
        now = timezone.now()
        if switch.runner and switch.runner != runner and switch.lease_until and switch.lease_until > now:
            return "busy", switch
        switch.runner = runner
        switch.lease_until = now + timedelta(seconds=LEASE_SECONDS)
        switch.status = SwitchStatus.RUNNING
        switch.started_at = switch.started_at or now
        switch.save(update_fields=["runner", "lease_until", "status", "started_at"])
        return "claimed", switch


#: The tables a switch fills. On PostgreSQL their planner statistics are refreshed when it ends, as
#: autovacuum would a while later: until then the planner takes the 50,000 companies a switch made
#: for the one row it last counted and joins the web UI's deal list against all of them per row
#: (the page query of 25 deals: 220 ms before ANALYZE, 1 ms after; 1,000,000 deals).
SWITCH_TABLES = ("crm_lead", "crm_contact", "crm_company", "crm_contactcompany", "crm_deal", "crm_dealcontact",
                 "crm_communication", "crm_activity", "crm_activitybinding", "crm_timelineentry")


def _finish(switch: ModeSwitch, status: str, error: str | None = None) -> None:
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("TRUNCATE modes_switchkey")
            cur.execute(f"ANALYZE {', '.join(SWITCH_TABLES)}")
    if error:
        switch.errors = [*(switch.errors or []), {"lead_id": None, "error": error}]
    # Leads that left "in progress" while the job ran (junked, deleted) are not counted.
    switch.total = switch.converted + switch.failed
    switch.status = status
    switch.finished_at = now
    switch.is_active = None
    switch.runner = ""
    switch.lease_until = None
    switch.save()
    if switch.audit_id:
        audit = AuditLog.objects.filter(pk=switch.audit_id).first()
        if audit is not None:
            audit.data = {**audit.data, "status": status, "total": switch.total, "converted": switch.converted,
                          "failed": switch.failed, "finished_at": now.isoformat()}
            audit.save(update_fields=["data"])
    log.info("switch %s %s: %s converted, %s failed", switch.pk, status, switch.converted, switch.failed)


def _next_hi(lo: int, limit: int, process: list[str], batch_size: int) -> int:
    with connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(process))
        cur.execute(f"SELECT id FROM crm_lead WHERE id > %s AND id <= %s AND status_id IN ({marks})"
                    f" ORDER BY id LIMIT 1 OFFSET %s", [lo, limit, *process, batch_size - 1])
        row = cur.fetchone()
    return row[0] if row else limit


class LeaseLost(Exception):
    """Another process took the switch over (our lease ran out): this batch must not commit."""


def _run_batch(converter: LeadBulkConverter, switch_id: int, runner: str, lo: int, hi: int,
               process: list[str]) -> None:
    """Convert the in-progress leads ``lo < id <= hi`` in one transaction that also adds the counts.

    The switch's row is locked only at the very end (the counts' ``UPDATE``), so batches running
    side by side wait for each other only there. The ``UPDATE`` matches only while this runner holds
    the lease; otherwise the whole batch rolls back (``LeaseLost``).
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Check foreign keys per statement, so a bad lead fails inside its savepoint below.
                    # No JIT: compiling each big statement costs more (0.1–0.2 s) than it saves here.
                    with connection.cursor() as cur:
                        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        cur.execute("SET LOCAL jit = off")
                errors: list[dict] = []
                started = timezone.now()
                try:
                    with transaction.atomic():
                        converted = converter.convert_range(lo, hi)
                        if BATCH_PAUSE_SECONDS:
                            time.sleep(BATCH_PAUSE_SECONDS)
                        tally = converter.tally()
                except Exception as exc:
                    if _is_deadlock(exc) and attempt < 2:
                        raise  # two batches met on a customer key: run this one again
                    log.warning("switch %s: batch %s..%s failed (%s); converting lead by lead", switch_id, lo, hi, exc)
                    converted, errors, tally = _one_by_one(converter, lo, hi, process)
                _add_counts(switch_id, runner, converted, errors, tally)
                if converted:
                    _batch_event(switch_id, lo, hi, started)
            break
        except DatabaseError as exc:
            if not _is_deadlock(exc) or attempt == 2:
                raise
            log.info("switch %s: batch %s..%s deadlocked with another batch; running it again", switch_id, lo, hi)
    if PAUSE_SECONDS:
        time.sleep(PAUSE_SECONDS)


def _batch_event(switch_id: int, lo: int, hi: int, started) -> None:
    """One ``lead.converted_batch`` event for the leads this batch converted (not one per lead); it
    commits with the batch."""
    rows = (Lead.objects.filter(id__gt=lo, id__lte=hi, converted_at__gte=started).order_by("id")
            .values("id", "deal_id", "contact_id", "company_id"))
    leads = [{"lead_id": r["id"], "deal_id": r["deal_id"], "contact_id": r["contact_id"],
              "company_id": r["company_id"]} for r in rows]
    emit(Event(name=LEADS_CONVERTED_BATCH, data={"switch_id": switch_id, "count": len(leads), "leads": leads}))


def _is_deadlock(exc: Exception) -> bool:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) in ("40P01", "40001")


def _add_counts(switch_id: int, runner: str, converted: int, errors: list[dict],
                tally: dict[str, int] | None = None) -> None:
    # Only while this runner holds the switch (a lost lease rolls the batch back). The lease itself is
    # extended by the coordinator when it moves the cursor, right after the batch commits.
    mine = ModeSwitch.objects.filter(pk=switch_id, runner=runner, status__in=ACTIVE_STATUSES)
    # The breakdown (contacts made/matched …) is added in the same statement and transaction as the
    # batch: a batch that rolls back adds nothing, a range run again after a crash converts nothing.
    more = {name: F(name) + value for name, value in (tally or {}).items() if value}
    if not errors:
        if not mine.update(converted=F("converted") + converted, **more):
            raise LeaseLost
        return
    if more and not mine.update(**more):
        raise LeaseLost
    switch = mine.select_for_update().first()
    if switch is None:
        raise LeaseLost
    # A lead that failed before a crash fails again when its range is run again: count it once.
    known = {e.get("lead_id") for e in switch.errors or []}
    fresh = [e for e in errors if e["lead_id"] not in known]
    switch.converted += converted
    switch.failed += len(fresh)
    switch.errors = [*(switch.errors or []), *fresh][:MAX_ERRORS]
    switch.save(update_fields=["converted", "failed", "errors"])


def _outcome(work, lo: int, hi: int) -> tuple[int, int, Exception | None]:
    """Run one batch; its error, if any, is handed to the coordinator rather than raised."""
    try:
        work(lo, hi)
        return lo, hi, None
    except Exception as exc:
        return lo, hi, exc


class _Inline:
    """Runs each batch at once in the calling thread (SQLite; or inside a caller's transaction)."""

    def __init__(self, work) -> None:
        self.work = work
        self.results: list = []

    def submit(self, lo: int, hi: int) -> None:
        self.results.append(_outcome(self.work, lo, hi))

    def result(self):
        return self.results.pop(0)

    def close(self) -> None:
        pass


class _Threads:
    """Runs batches side by side, each thread with its own database connection (PostgreSQL)."""

    def __init__(self, work, count: int) -> None:
        self.work = work
        self.tasks: queue.Queue = queue.Queue()
        self.done: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._loop, name=f"kontor-switch-{i}", daemon=True)
                        for i in range(count)]
        for thread in self.threads:
            thread.start()

    def _loop(self) -> None:
        try:
            while (task := self.tasks.get()) is not None:
                self.done.put(_outcome(self.work, *task))
        finally:
            connection.close()

    def submit(self, lo: int, hi: int) -> None:
        self.tasks.put((lo, hi))

    def result(self):
        return self.done.get()

    def close(self) -> None:
        for _ in self.threads:
            self.tasks.put(None)
        for thread in self.threads:
            thread.join()


def switch_run(switch_id: int, *, max_batches: int | None = None, batch_size: int | None = None,
               progress=None, workers: int | None = None) -> ModeSwitch | None:
    """Run (or resume) switch ``switch_id`` until it is done.

    What the background task calls; the CLI and tests call it directly. ``max_batches`` stops
    after that many batches and gives the lease back (tests use it to look at a job half-way).
    ``progress(switch)`` is called after every batch.

    On PostgreSQL ``workers`` batches (``KONTOR_SWITCH_WORKERS``, 2 by default) run side by side,
    each in its own connection and transaction; they take the customer keys of their leads (phones,
    e-mails, company titles) as row locks in ``modes_switchkey``, so two batches never make two
    contacts or companies for one customer. ``cursor`` follows the highest id below which every
    batch has committed; a range run again after a crash finds its leads converted already.
    """
    runner = _runner_id()
    explicit_size = batch_size
    batch_size = batch_size or BATCH_SIZE
    while True:
        state, switch = _claim(switch_id, runner)
        if state == "claimed":
            break
        if state == "finished":
            return switch
        wait = (switch.lease_until - timezone.now()).total_seconds() if switch and switch.lease_until else 1.0
        time.sleep(min(max(wait, 0.2), 2.0))
    assert switch is not None
    pipeline = Pipeline.objects.filter(pk=switch.pipeline_id).first() if switch.pipeline_id is not None else None
    stage = pipeline.stages.filter(semantic=Semantic.PROCESS).order_by("sort", "id").first() if pipeline else None
    process = list(LeadStatus.objects.filter(semantic=Semantic.PROCESS).values_list("code", flat=True))
    success = LeadStatus.objects.filter(semantic=Semantic.SUCCESS).order_by("sort", "code").first()
    if pipeline is None or stage is None or success is None or not process:
        with transaction.atomic():
            switch = ModeSwitch.objects.select_for_update().get(pk=switch_id)
            _finish(switch, SwitchStatus.FAILED, "the target pipeline, its first stage or the converted lead status "
                    "no longer exists")
        return switch
    if workers is None:
        workers = WORKERS if connection.vendor == "postgresql" else 1
    if connection.in_atomic_block:
        workers = 1  # other connections could not see the caller's uncommitted rows
    opts = switch.options or {}
    converter = LeadBulkConverter(
        switch_id=switch.pk, pipeline_id=pipeline.pk, stage_id=stage.pk, actor_id=switch.actor_id,
        create_contacts=opts.get("create_contacts", True), create_companies=opts.get("create_companies", True),
        keep_open=opts.get("keep_open_activities", True), match=CrmSettings.load().match_existing_customers,
        process_codes=process, success_code=success.code, lock_keys=workers > 1, stage_code=stage.code,
    )

    if connection.vendor == "sqlite":
        # The batch statements touch many indexes at random places; a bigger page cache for this
        # connection (SQLite batches all run on it) keeps them in memory (the default 64 MB makes a
        # big job disk-bound).
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_MB * 1024}")

    # SQLite: one writer at a time, so batches sized by time let web requests in between them.
    sizer = _TimeSizedBatches(SQLITE_BATCH_SECONDS) if (
        connection.vendor == "sqlite" and explicit_size is None and SQLITE_BATCH_SECONDS > 0) else None

    def work(lo: int, hi: int) -> None:
        started = time.monotonic()
        _run_batch(converter, switch_id, runner, lo, hi, process)
        if sizer is not None:
            took = time.monotonic() - started
            sizer.took(sizer.size, took)
            _yield_to_writers(max_seconds=took / 2)

    pool = _Inline(work) if workers == 1 else _Threads(work, workers)
    limit, cursor, next_lo = switch.max_lead_id, switch.cursor, switch.cursor
    running: dict[int, int] = {}  # lo -> hi of the batches handed out and not yet finished
    finished: dict[int, int] = {}  # lo -> hi of the batches committed above the cursor
    dispatched = 0
    stop = False
    try:
        while True:
            while not stop and len(running) < workers and next_lo < limit and (
                    max_batches is None or dispatched < max_batches):
                hi = _next_hi(next_lo, limit, process, sizer.size if sizer is not None else batch_size)
                running[next_lo] = hi
                pool.submit(next_lo, hi)
                dispatched += 1
                next_lo = hi
            if not running:
                if stop or (max_batches is not None and dispatched >= max_batches):
                    break
                # Every range up to the limit is done. Leads created in classic mode by a
                # transaction that overlapped the flip are above it: take them too, or finish.
                with transaction.atomic():
                    switch = ModeSwitch.objects.select_for_update().get(pk=switch_id)
                    if switch.status not in ACTIVE_STATUSES or switch.runner != runner:
                        return switch
                    marks = ", ".join(["%s"] * len(process))
                    with connection.cursor() as cur:
                        cur.execute(f"SELECT COUNT(*), MAX(id) FROM crm_lead WHERE id > %s AND status_id IN ({marks})",
                                    [limit, *process])
                        extra, top = cur.fetchone()
                    if not extra:
                        _finish(switch, SwitchStatus.DONE)
                        return switch
                    switch.cursor = cursor
                    switch.max_lead_id = limit = top
                    switch.total += extra
                    switch.save(update_fields=["cursor", "max_lead_id", "total"])
                continue
            lo, hi, error = pool.result()
            del running[lo]
            if error is not None:
                if not isinstance(error, LeaseLost):
                    log.error("switch %s: batch %s..%s stopped the job: %s", switch_id, lo, hi, error)
                stop = True  # let the other batches end, then give up (another runner goes on)
                continue
            finished[lo] = hi
            while cursor in finished:
                cursor = finished.pop(cursor)
            with transaction.atomic():  # on SQLite: queued for the write lock like every writer
                moved = ModeSwitch.objects.filter(pk=switch_id, runner=runner).update(
                    cursor=cursor, lease_until=timezone.now() + timedelta(seconds=LEASE_SECONDS))
            if not moved:
                stop = True
                continue
            if progress is not None:
                progress(ModeSwitch.objects.get(pk=switch_id))
    finally:
        pool.close()
    ModeSwitch.objects.filter(pk=switch_id, runner=runner).update(runner="", lease_until=None)
    return ModeSwitch.objects.filter(pk=switch_id).first()


def _one_by_one(converter: LeadBulkConverter, lo: int, hi: int, process: list[str]
                ) -> tuple[int, list[dict], dict[str, int]]:
    marks = ", ".join(["%s"] * len(process))
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM crm_lead WHERE id > %s AND id <= %s AND status_id IN ({marks}) ORDER BY id",
                    [lo, hi, *process])
        ids = [row[0] for row in cur.fetchall()]
    converted, errors = 0, []
    tally: dict[str, int] = {}
    for lead_id in ids:
        try:
            with transaction.atomic():
                converted += converter.convert_range(lead_id - 1, lead_id)
                for name, value in converter.tally().items():
                    tally[name] = tally.get(name, 0) + value
        except Exception as exc:
            errors.append({"lead_id": lead_id, "error": str(exc).strip()[:500] or exc.__class__.__name__})
    return converted, errors, tally


def requeue_stale_switches() -> list[int]:
    """Hand switches whose runner died (lease run out) back to the worker. Returns their ids."""
    now = timezone.now()
    ids = []
    with transaction.atomic():
        stale = ModeSwitch.objects.select_for_update().filter(status__in=ACTIVE_STATUSES).exclude(
            lease_until__gt=now)
        for switch in stale:
            if switch.status == SwitchStatus.QUEUED and switch.created_at > now - timedelta(seconds=LEASE_SECONDS):
                continue  # freshly queued: its task is waiting for a worker
            switch.runner = ""
            switch.lease_until = now + timedelta(seconds=LEASE_SECONDS)
            switch.save(update_fields=["runner", "lease_until"])
            ids.append(switch.pk)
            transaction.on_commit(partial(switch_enqueue, switch.pk))
    return ids


__all__ = ["BATCH_SIZE", "EntityType", "LeadBulkConverter", "requeue_stale_switches", "switch_enqueue", "switch_run"]
