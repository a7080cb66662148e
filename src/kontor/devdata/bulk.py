"""Set-based bulk data for demos and benchmarks: many in-progress leads with activities.

``demo_leads_bulk_create`` writes with ``INSERT … SELECT`` over a generated number series, in
chunks of 100,000 leads per transaction, so a million leads take seconds and little memory.
About 10% of the leads are junk, half have a company title (shared by several leads, so
conversion meets existing companies), each has an e-mail and ``activities_per_lead`` activities
of which the first is open and the rest completed.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from kontor.crm.enums import CrmMode
from kontor.crm.models import AuditLog, CrmSettings

CHUNK = 100_000
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Smith", "Brown"]


def _pick(values: list[str], expr: str, *, quote: bool = True) -> str:
    cases = " ".join(f"WHEN {i} THEN " + (f"'{v}'" if quote else v) for i, v in enumerate(values))
    return f"CASE ({expr}) %% {len(values)} {cases} END"


def _series(lo: str, hi: str) -> str:
    if connection.vendor == "postgresql":
        return f"generate_series({lo}, {hi}) AS seq(n)"
    return f"(WITH RECURSIVE s(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM s WHERE n < {hi}) SELECT n FROM s) AS seq"


def _max_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cur.fetchone()[0]


def bench_user():
    """The active user ``bench`` the benchmarks act as (created when missing)."""
    user, _ = get_user_model().objects.get_or_create(username="bench")
    if not user.is_active:  # earlier versions of bench_convert made it inactive
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of latencies in seconds, in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


#: The custom fields ``bench_custom_fields`` defines, in turn: a text, a number, a day.
BENCH_FIELD_TYPES = ("string", "integer", "date")


def bench_custom_fields(count: int, *, actor=None) -> list[str]:
    """Define ``count`` custom fields ``UF_CRM_BENCH_1…`` on leads and the same codes on deals (kept
    when they exist); returns their keys. What ``bench_convert --custom-fields`` carries."""
    from kontor.crm.enums import EntityType
    from kontor.crm.models import CustomField
    from kontor.crm.services.custom_fields import custom_field_create

    keys = []
    for i in range(1, count + 1):
        code = f"UF_CRM_BENCH_{i}"
        for entity in (EntityType.LEAD, EntityType.DEAL):
            if not CustomField.objects.filter(entity_type=entity, code=code).exists():
                custom_field_create(actor=actor, entity_type=entity, code=code,
                                    type=BENCH_FIELD_TYPES[(i - 1) % len(BENCH_FIELD_TYPES)],
                                    label_de=f"Bench {i}", label_en=f"Bench {i}")
        keys.append(code.lower())
    return keys


def _uf_values(keys: list[str], n: str) -> str:
    """SQL building the generated lead ``n``'s custom values (``NULL`` without fields)."""
    if not keys:
        return "NULL"
    parts = []
    for i, key in enumerate(keys):
        kind = BENCH_FIELD_TYPES[i % len(BENCH_FIELD_TYPES)]
        value = {"string": f"'Auftrag ' || {n}", "integer": f"{n} %% 1000",
                 "date": f"'2025-0' || (1 + {n} %% 9) || '-1' || ({n} %% 10)"}[kind]
        parts += [f"'{key}'", value]
    if connection.vendor == "postgresql":
        return f"jsonb_build_object({', '.join(parts)})"
    return f"json_object({', '.join(parts)})"


def demo_leads_bulk_create(*, leads: int, activities_per_lead: int, progress=None,
                           custom_fields: list[str] | None = None) -> dict[str, int]:
    """Create ``leads`` leads with ``activities_per_lead`` activities each; leave the CRM in classic mode.

    ``custom_fields``: keys of lead custom fields (``bench_custom_fields``) every lead gets a value of.
    Returns the counts written. ``progress(done)`` is called after every chunk.
    """
    if leads < 0 or activities_per_lead < 0:
        raise ValueError("leads and activities_per_lead must not be negative")
    user = get_user_model().objects.order_by("id").first()
    uid = user.pk if user else None
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    p = {"now": adapt(now), "deadline": adapt(now + timedelta(days=7)), "user": uid}
    done = 0
    made = {"leads": 0, "activities": 0}
    while done < leads:
        size = min(CHUNK, leads - done)
        with transaction.atomic():
            lead0 = _max_id("crm_lead")
            p.update(lo=lead0 + 1, hi=lead0 + size)
            n = "seq.n"
            with connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO crm_lead (title, name, second_name, last_name, post, company_title,"
                    " company_title_normalized, status_id, source_id, source_description, opportunity, currency,"
                    " contact_id, company_id, deal_id, is_return_customer, converted_at, assigned_id, created_by_id,"
                    " comments, created_at, updated_at, uf)"
                    f" SELECT 'Anfrage ' || {n}, {_pick(FIRST_NAMES, n)}, '', {_pick(LAST_NAMES, f'{n} / 10')}, '',"
                    f" CASE WHEN {n} %% 2 = 0 THEN 'Firma ' || ({n} %% 100000) ELSE '' END,"
                    f" CASE WHEN {n} %% 2 = 0 THEN 'firma ' || ({n} %% 100000) ELSE '' END,"
                    f" CASE WHEN {n} %% 10 = 5 THEN 'JUNK' WHEN {n} %% 3 = 0 THEN 'IN_PROCESS' ELSE 'NEW' END,"
                    f" CASE WHEN {n} %% 4 = 0 THEN 'WEB' ELSE 'CALL' END, '', ({n} %% 1000) * 10, 'EUR',"
                    " NULL, NULL, NULL, FALSE, NULL, %(user)s, %(user)s, '', %(now)s, %(now)s,"
                    f" {_uf_values(custom_fields or [], n)} FROM {_series('%(lo)s', '%(hi)s')}", p)
                lead1 = _max_id("crm_lead")
                lead0 = lead1 - cur.rowcount
                p.update(l0=lead0, l1=lead1)
                cur.execute(
                    "INSERT INTO crm_communication (entity_type, entity_id, type, value_type, value, normalized)"
                    " SELECT 1, l.id, 'EMAIL', 'WORK', 'kunde' || l.id || '@example.org',"
                    " 'kunde' || l.id || '@example.org' FROM crm_lead l WHERE l.id > %(l0)s AND l.id <= %(l1)s", p)
                if activities_per_lead:
                    act0 = _max_id("crm_activity")
                    p["a0"] = act0
                    cur.execute(
                        "INSERT INTO crm_activity (type, subject, description, deadline, completed, completed_at,"
                        " direction, priority, responsible_id, author_id, owner_type, owner_id, created_at, updated_at,"
                        " communications)"
                        " SELECT CASE WHEN k.n = 0 THEN 'call' ELSE 'email' END,"
                        " CASE WHEN k.n = 0 THEN 'Rückruf ' ELSE 'E-Mail ' END || l.title, '',"
                        " CASE WHEN k.n = 0 THEN %(deadline)s ELSE NULL END,"
                        " CASE WHEN k.n = 0 THEN FALSE ELSE TRUE END, CASE WHEN k.n = 0 THEN NULL ELSE %(now)s END,"
                        " NULL, 2, %(user)s, %(user)s, 1, l.id, %(now)s, %(now)s, '[]'"
                        f" FROM crm_lead l CROSS JOIN {_series('0', str(activities_per_lead - 1)).replace('seq', 'k')}"
                        " WHERE l.id > %(l0)s AND l.id <= %(l1)s ORDER BY l.id, k.n", p)
                    made["activities"] += cur.rowcount
                    cur.execute(
                        "INSERT INTO crm_activitybinding (activity_id, entity_type, entity_id)"
                        " SELECT a.id, 1, a.owner_id FROM crm_activity a WHERE a.id > %(a0)s ORDER BY a.id", p)
            made["leads"] += lead1 - lead0
        done += size
        if progress is not None:
            progress(done)
    with transaction.atomic():
        settings = CrmSettings.load(for_update=True)
        if settings.mode != CrmMode.CLASSIC:
            AuditLog.objects.create(action="crm_mode_switched", actor=None,
                                    data={"from": settings.mode, "to": CrmMode.CLASSIC, "reason": "demo data"})
            settings.mode = CrmMode.CLASSIC
            settings.save()
    return made


def demo_contacts_bulk_create(*, contacts: int, progress=None) -> int:
    """Create ``contacts`` contacts, the n-th with phone ``030 1000000+n`` and e-mail ``kunde<n>@beispiel.de``.

    What the intake benchmark matches inquiries against. Set-based, 100,000 per transaction.
    Returns how many were made.
    """
    if contacts < 0:
        raise ValueError("contacts must not be negative")
    user = get_user_model().objects.order_by("id").first()
    p = {"now": connection.ops.adapt_datetimefield_value(timezone.now()), "user": user.pk if user else None}
    done = 0
    while done < contacts:
        size = min(CHUNK, contacts - done)
        with transaction.atomic(), connection.cursor() as cur:
            first = _max_id("crm_contact")
            p.update(lo=done + 1, hi=done + size, c0=first)
            n = "seq.n"
            cur.execute(
                "INSERT INTO crm_contact (name, second_name, last_name, post, company_id, source_id, lead_id,"
                " assigned_id, created_by_id, comments, created_at, updated_at)"
                f" SELECT {_pick(FIRST_NAMES, n)}, '', {_pick(LAST_NAMES, f'{n} / 10')} || ' ' || {n}, '', NULL, NULL,"
                f" NULL, %(user)s, %(user)s, '', %(now)s, %(now)s FROM {_series('%(lo)s', '%(hi)s')} ORDER BY {n}", p)
            # The new contacts in id order are numbers lo..hi (ids may skip values of the sequence).
            p["done"] = done
            for kind, value, normalized in (
                    ("PHONE", "'030 ' || (1000000 + c.n)", "'+4930' || (1000000 + c.n)"),
                    ("EMAIL", "'kunde' || c.n || '@beispiel.de'", "'kunde' || c.n || '@beispiel.de'")):
                cur.execute(
                    "INSERT INTO crm_communication (entity_type, entity_id, type, value_type, value, normalized)"
                    f" SELECT 3, c.id, '{kind}', 'WORK', {value}, {normalized} FROM (SELECT id,"
                    " %(done)s + ROW_NUMBER() OVER (ORDER BY id) AS n FROM crm_contact WHERE id > %(c0)s) AS c"
                    " ORDER BY c.id", p)
        done += size
        if progress is not None:
            progress(done)
    return done


#: The deal custom field ``bench_list`` filters by: one of 20 regions, written by ``demo_deals_bulk_create``
#: when the field is defined.
BENCH_REGION_KEY = "uf_crm_bench_region"
BENCH_REGIONS = 20


def demo_deals_bulk_create(*, deals: int, progress=None) -> int:
    """Add ``deals`` deals to the default pipeline, each with a new contact (phone and e-mail).

    Spread over the active users and the pipeline's stages: as in a CRM that has run for years,
    seven in ten are closed (won or lost) and the rest sit in the open stages; amounts vary. What
    the list benchmark pages through. Set-based, 100,000 per transaction. Returns how
    many deals were made.
    """
    from kontor.crm.models import Pipeline

    if deals < 0:
        raise ValueError("deals must not be negative")
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(pipeline.stages.order_by("sort", "id").values_list("id", "semantic"))
    open_ids = [str(pk) for pk, semantic in stages if semantic == "process"]
    closed_ids = [str(pk) for pk, semantic in stages if semantic != "process"] or open_ids
    users = [str(pk) for pk in get_user_model().objects.filter(is_active=True).order_by("id").values_list("id",
                                                                                                          flat=True)]
    users = users or ["NULL"]
    from kontor.crm.models import CustomField

    uf = "NULL"
    if CustomField.objects.filter(entity_type=2, code=BENCH_REGION_KEY.upper()).exists():
        region = f"'R' || (c.id %% {BENCH_REGIONS})"
        uf = (f"jsonb_build_object('{BENCH_REGION_KEY}', {region})" if connection.vendor == "postgresql"
              else f"json_object('{BENCH_REGION_KEY}', {region})")
    made = 0
    while made < deals:
        size = min(CHUNK, deals - made)
        contact0 = _max_id("crm_contact")
        demo_contacts_bulk_create(contacts=size)
        with transaction.atomic(), connection.cursor() as cur:
            p = {"now": connection.ops.adapt_datetimefield_value(timezone.now()), "c0": contact0,
                 "pipeline": pipeline.pk, "d0": _max_id("crm_deal")}
            n = "c.id"
            is_closed = f"{n} %% 10 < 7"
            stage = (f"CASE WHEN {is_closed} THEN {_pick(closed_ids, f'{n} / 10', quote=False)}"
                     f" ELSE {_pick(open_ids, f'{n} / 10', quote=False)} END")
            closed = f"CASE WHEN {is_closed} THEN TRUE ELSE FALSE END"
            cur.execute(
                "INSERT INTO crm_deal (title, pipeline_id, stage_id, opportunity, currency, contact_id, company_id,"
                " lead_id, source_id, closed, closed_at, is_return_customer, assigned_id, created_by_id, comments,"
                " created_at, updated_at, uf)"
                f" SELECT 'Auftrag ' || {n}, %(pipeline)s, {stage}, ({n} %% 997) * 25, 'EUR', c.id, NULL, NULL,"
                f" CASE WHEN {n} %% 4 = 0 THEN 'WEB' ELSE 'CALL' END, {closed},"
                f" CASE WHEN {is_closed} THEN %(now)s ELSE NULL END, FALSE,"
                f" {_pick(users, f'{n} / 7', quote=False)}, NULL, '', %(now)s, %(now)s, {uf}"
                " FROM crm_contact c WHERE c.id > %(c0)s ORDER BY c.id", p)
            made += cur.rowcount
            cur.execute("INSERT INTO crm_dealcontact (deal_id, contact_id, sort, is_primary)"
                        " SELECT d.id, d.contact_id, 10, TRUE FROM crm_deal d WHERE d.id > %(d0)s ORDER BY d.id", p)
        if progress is not None:
            progress(made)
    return made


def crm_data_wipe() -> None:
    """Delete every CRM record (not pipelines, statuses or users): a fresh start for the benchmark."""
    from kontor.modes.models import ModeSwitch

    # Tables of other apps that point at CRM records go first (product rows, the facade's calls).
    tables = ["products_productrow", "bitrix_externalcall",
              "crm_timelineentry", "crm_activitybinding", "crm_activity", "crm_dealcontact", "crm_contactcompany",
              "crm_communication",
              "crm_deal", "crm_lead", "crm_contact", "crm_company"]
    with transaction.atomic():
        ModeSwitch.objects.all().delete()
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
            else:
                cur.execute("UPDATE crm_lead SET contact_id = NULL, company_id = NULL, deal_id = NULL")
                for table in tables:
                    cur.execute(f"DELETE FROM {table}")
        from kontor.crm.models import Pipeline

        CrmSettings.objects.filter(pk=1).update(simple_pipeline=None, mode=CrmMode.CLASSIC)
        Pipeline.objects.filter(is_default=False).delete()


#: The writes no conversion can do without: a contact and a deal per lead, the lead's activities
#: re-owned by the deal and the lead's own update. ``reference_convert(minimal=True)`` times only these.
MINIMAL_WRITES = ("contacts", "deals", "activities", "leads")


def reference_convert(*, pipeline_id: int, stage_id: int, actor_id: int | None, minimal: bool = False) -> int:
    """The benchmark's yardstick: the switch's writes as plain set-based SQL, nothing else.

    One statement per table over every in-progress lead, in one transaction: a company per distinct
    company title, a contact (with the lead's phones and e-mails, in its company) and a deal per lead
    — their columns and custom values from the same conversion map as the job's — the deal's contact
    row, activities re-owned, re-bound to the deal and bound to the contact and company, the timeline
    entries and the lead's update. No matching against existing customers, no batches, no progress,
    no resumption: what the job would cost if it only wrote. ``minimal`` keeps only
    ``MINIMAL_WRITES`` — the floor under any design of the conversion on this schema. Returns the
    number of leads converted.
    """
    from kontor.crm.models import Stage
    from kontor.modes.conversion import conversion_map
    from kontor.modes.jobs import _select_list

    pg = connection.vendor == "postgresql"
    process = "('NEW', 'IN_PROCESS')"
    json = "jsonb_build_object" if pg else "json_object"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    today = timezone.localdate()
    p = {"pipeline": pipeline_id, "stage": stage_id, "actor": actor_id, "now": now,
         "today": today if pg else today.isoformat(), "stage_code": Stage.objects.get(pk=stage_id).code,
         "cmin": _max_id("crm_contact"), "comin": _max_id("crm_company"), "dmin": _max_id("crm_deal")}
    cmap = conversion_map()
    stamps = {"created_by_id": "%(actor)s", "comments": "''", "created_at": "%(now)s", "updated_at": "%(now)s"}
    contact_cols, contact_exprs = _select_list(cmap["contact"], overrides={
        "name": "CASE WHEN l.name = '' AND l.last_name = '' THEN substr(l.title, 1, 100) ELSE l.name END"},
        fixed={"company_id": "co.id", "lead_id": "l.id", **stamps})
    company_cols, company_exprs = _select_list(cmap["company"], fixed={
        "title_normalized": "l.company_title_normalized", "industry": "''", "lead_id": "l.id", **stamps})
    deal_cols, deal_exprs = _select_list(cmap["deal"], overrides={"title": "l.title"}, fixed={
        "pipeline_id": "%(pipeline)s", "stage_id": "%(stage)s", "contact_id": "c.id", "company_id": "co.id",
        "lead_id": "l.id", "closed": "FALSE", "closed_at": "NULL", "is_return_customer": "FALSE",
        "begindate": "CAST(%(today)s AS DATE)" if pg else "%(today)s",
        **{k: v for k, v in stamps.items() if k != "comments"}})  # the deal's comments are the lead's
    new_company = "LEFT JOIN crm_company co ON co.title_normalized = l.company_title_normalized AND co.id > %(comin)s"
    from_lead = f"{json}('lead_id', l.id, 'title', l.title)"
    stage_text = "CAST(%(stage_code)s AS TEXT)" if pg else "%(stage_code)s"
    timeline = "INSERT INTO crm_timelineentry (entity_type, entity_id, kind, data, actor_id, created_at)"
    statements = [
        ("companies",
         f"INSERT INTO crm_company ({company_cols}) SELECT {company_exprs} FROM crm_lead l WHERE l.id IN"
         f" (SELECT MIN(id) FROM crm_lead WHERE status_id IN {process} AND company_title_normalized <> ''"
         " GROUP BY company_title_normalized)"),
        ("contacts",
         f"INSERT INTO crm_contact ({contact_cols}) SELECT {contact_exprs} FROM crm_lead l {new_company}"
         f" WHERE l.status_id IN {process} ORDER BY l.id"),
        ("contact_companies",
         "INSERT INTO crm_contactcompany (contact_id, company_id, sort, is_primary)"
         " SELECT c.id, c.company_id, 10, TRUE FROM crm_contact c WHERE c.id > %(cmin)s AND c.company_id IS NOT NULL"),
        ("communications",
         "INSERT INTO crm_communication (entity_type, entity_id, type, value_type, value, normalized)"
         " SELECT 3, c.id, lc.type, lc.value_type, lc.value, lc.normalized FROM crm_contact c"
         " JOIN crm_communication lc ON lc.entity_type = 1 AND lc.entity_id = c.lead_id WHERE c.id > %(cmin)s"),
        ("deals",
         f"INSERT INTO crm_deal ({deal_cols}) SELECT {deal_exprs}"
         " FROM crm_lead l JOIN crm_contact c ON c.lead_id = l.id AND c.id > %(cmin)s"
         f" {new_company} WHERE l.status_id IN {process} ORDER BY l.id"),
        ("deal_contacts",
         "INSERT INTO crm_dealcontact (deal_id, contact_id, sort, is_primary)"
         " SELECT d.id, d.contact_id, 10, TRUE FROM crm_deal d WHERE d.id > %(dmin)s"),
        ("contact_bindings",
         "INSERT INTO crm_activitybinding (activity_id, entity_type, entity_id) SELECT b.activity_id, 3, d.contact_id"
         " FROM crm_deal d JOIN crm_activitybinding b ON b.entity_type = 1 AND b.entity_id = d.lead_id"
         " WHERE d.id > %(dmin)s"),
        ("company_bindings",
         "INSERT INTO crm_activitybinding (activity_id, entity_type, entity_id) SELECT b.activity_id, 4, d.company_id"
         " FROM crm_deal d JOIN crm_activitybinding b ON b.entity_type = 1 AND b.entity_id = d.lead_id"
         " WHERE d.id > %(dmin)s AND d.company_id IS NOT NULL"),
        ("activities",
         "UPDATE crm_activity SET owner_type = 2, owner_id = d.id, updated_at = %(now)s FROM crm_deal d"
         " WHERE d.id > %(dmin)s AND crm_activity.owner_type = 1 AND crm_activity.owner_id = d.lead_id"),
        ("deal_bindings",
         "UPDATE crm_activitybinding SET entity_type = 2, entity_id = d.id FROM crm_deal d"
         " WHERE d.id > %(dmin)s AND crm_activitybinding.entity_type = 1"
         " AND crm_activitybinding.entity_id = d.lead_id"),
        ("lead_timeline",
         f"{timeline} SELECT 1, d.lead_id, 'converted', {json}('deal_id', d.id, 'contact_id', d.contact_id,"
         " 'company_id', d.company_id), %(actor)s, %(now)s FROM crm_deal d WHERE d.id > %(dmin)s"),
        ("deal_timeline",
         f"{timeline} SELECT 2, d.id, 'created', {json}('title', d.title, 'stage', {stage_text}), %(actor)s, %(now)s"
         f" FROM crm_deal d WHERE d.id > %(dmin)s UNION ALL SELECT 2, d.id, 'created_from_lead', {from_lead},"
         " %(actor)s, %(now)s FROM crm_deal d JOIN crm_lead l ON l.id = d.lead_id WHERE d.id > %(dmin)s"),
        ("contact_timeline",
         f"{timeline} SELECT 3, c.id, 'created', {json}(), %(actor)s, %(now)s FROM crm_contact c"
         f" WHERE c.id > %(cmin)s UNION ALL SELECT 3, c.id, 'created_from_lead', {from_lead}, %(actor)s, %(now)s"
         " FROM crm_contact c JOIN crm_lead l ON l.id = c.lead_id WHERE c.id > %(cmin)s"),
        ("company_timeline",
         f"{timeline} SELECT 4, co.id, 'created', {json}(), %(actor)s, %(now)s FROM crm_company co"
         f" WHERE co.id > %(comin)s UNION ALL SELECT 4, co.id, 'created_from_lead', {from_lead}, %(actor)s,"
         " %(now)s FROM crm_company co JOIN crm_lead l ON l.id = co.lead_id WHERE co.id > %(comin)s"),
        ("leads",
         "UPDATE crm_lead SET status_id = 'CONVERTED', contact_id = d.contact_id, company_id = d.company_id,"
         " deal_id = d.id, converted_at = %(now)s, updated_at = %(now)s FROM crm_deal d"
         " WHERE d.id > %(dmin)s AND crm_lead.id = d.lead_id"),
    ]
    with transaction.atomic(), connection.cursor() as cur:
        if pg:
            cur.execute("SET LOCAL jit = off")
        for name, sql in statements:
            if not minimal or name in MINIMAL_WRITES:
                cur.execute(sql, p)
        return cur.rowcount
