"""``kontor bench_list --deals N [--requests M] [--team T] [--fresh]``: the deal-list benchmark.

Tops the configured database up to N deals (``demo_deals_bulk_create``: each with a contact, spread
over a sales team of ``--team`` users and the default pipeline's stages, seven in ten closed), then
pages through filtered deal lists the way a user and an integration do — the native API
(``/api/v1/deals`` by stage; by responsible user, and by pipeline, each with ``closed=false``, the
list's default view) and the Bitrix24 facade (``crm.deal.list`` by ``STAGE_ID``, by
``ASSIGNED_BY_ID``) — through Django's request handling in this process, and prints the latency
percentiles as its last line:
``list: <M> requests per API, api p50 <ms> ms p95 <ms> ms, facade p50 <ms> ms p95 <ms> ms``.
Before it, ``custom field: …`` gives the same percentiles for lists filtered by one deal custom field
(``UF_CRM_BENCH_REGION``, one of 20 regions, defined when missing): ``?uf_crm_bench_region=R7`` and
``{"filter": {"UF_CRM_BENCH_REGION": "R7"}}``.
"""

from __future__ import annotations

import json
import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from kontor.accounts.services import token_create
from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.enums import EntityType
from kontor.crm.models import CustomField, Deal, Pipeline
from kontor.crm.services.custom_fields import custom_field_create
from kontor.devdata.bulk import (
    BENCH_REGION_KEY,
    BENCH_REGIONS,
    bench_user,
    crm_data_wipe,
    demo_deals_bulk_create,
    percentile,
)


class Command(BaseCommand):
    help = "Top the CRM up to N deals and time filtered, paginated deal lists (API and facade)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--deals", type=int, required=True)
        parser.add_argument("--requests", type=int, default=200, help="requests per API")
        parser.add_argument("--fresh", action="store_true", help="delete all CRM records first")
        parser.add_argument("--team", type=int, default=10, help="sales users the deals are spread over")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, deals: int, requests: int, fresh: bool, team: int, seed: int, **options) -> None:
        if deals < 0 or requests < 1:
            raise CommandError("--deals must not be negative and --requests positive")
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
        if fresh:
            crm_data_wipe()
        user_model = get_user_model()
        user = bench_user()
        for i in range(1, team + 1):  # a sales team, so "my open deals" is one person's share
            if not user_model.objects.filter(username=f"sales-{i}").exists():
                user_model.objects.create_user(f"sales-{i}")
        if not CustomField.objects.filter(entity_type=EntityType.DEAL, code=BENCH_REGION_KEY.upper()).exists():
            custom_field_create(entity_type=EntityType.DEAL, code=BENCH_REGION_KEY, type="string",
                                label_en="Region", label_de="Region")
        missing = max(0, deals - Deal.objects.count())
        started = time.perf_counter()
        made = demo_deals_bulk_create(deals=missing) if missing else 0
        self.stdout.write(f"fill: {made} deals in {time.perf_counter() - started:.1f} s, {Deal.objects.count()} in all")
        if connection.vendor == "postgresql":
            # What autovacuum does after a bulk load: statistics, and the visibility map that lets
            # a count be read from an index alone.
            # (Inside a caller's transaction, as in tests, VACUUM cannot run: statistics only.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cur:
                cur.execute(f"{command} crm_deal")
                cur.execute(f"{command} crm_dealcontact")

        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(pipeline.stages.order_by("sort", "id"))
        users = list(user_model.objects.filter(is_active=True).values_list("id", flat=True))
        _, token = token_create(user=user, name="bench_list")
        webhook, secret = webhook_create(user=user, name="bench_list")
        rest = webhook_path(webhook, secret)
        client = Client(HTTP_HOST="127.0.0.1")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        rnd = random.Random(seed)

        def api() -> str:
            page = f"limit=50&offset={50 * rnd.randrange(20)}"
            kind = rnd.randrange(3)
            if kind == 0:
                return f"/api/v1/deals?stage_id={rnd.choice(stages).pk}&{page}"
            if kind == 1:
                return f"/api/v1/deals?assigned_id={rnd.choice(users)}&closed=false&{page}"
            return f"/api/v1/deals?pipeline_id={pipeline.pk}&closed=false&{page}"

        def facade() -> dict:
            start = 50 * rnd.randrange(20)
            select = ["ID", "TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID", "CONTACT_ID", "ASSIGNED_BY_ID"]
            if rnd.randrange(2):
                flt = {"STAGE_ID": rnd.choice(stages).code, "CATEGORY_ID": 0}
            else:
                flt = {"ASSIGNED_BY_ID": rnd.choice(users), "CLOSED": "N"}
            return {"filter": flt, "select": select, "order": {"ID": "DESC"}, "start": start}

        def region() -> str:
            return f"R{rnd.randrange(BENCH_REGIONS)}"

        def custom_api() -> str:
            return f"/api/v1/deals?{BENCH_REGION_KEY}={region()}&limit=50&offset={50 * rnd.randrange(20)}"

        def custom_facade() -> dict:
            return {"filter": {BENCH_REGION_KEY.upper(): region()}, "select": ["ID", "TITLE", BENCH_REGION_KEY.upper()],
                    "order": {"ID": "DESC"}, "start": 50 * rnd.randrange(20)}

        timings: dict[str, list[float]] = {"api": [], "facade": [], "custom_api": [], "custom_facade": []}
        rows = self._run(client, rest, auth, requests, custom_api, custom_facade, timings, "custom_api",
                         "custom_facade")
        self.stdout.write(f"custom field: {requests} requests per API filtered by {BENCH_REGION_KEY},"
                          f" api p50 {percentile(timings['custom_api'], 0.5):.1f} ms"
                          f" p95 {percentile(timings['custom_api'], 0.95):.1f} ms,"
                          f" facade p50 {percentile(timings['custom_facade'], 0.5):.1f} ms"
                          f" p95 {percentile(timings['custom_facade'], 0.95):.1f} ms")
        rows += self._run(client, rest, auth, requests, api, facade, timings, "api", "facade")
        api_t, facade_t = timings["api"], timings["facade"]
        self.stdout.write(f"rows: {rows} deals listed in {4 * requests} pages")
        self.stdout.write(f"list: {requests} requests per API, api p50 {percentile(api_t, 0.5):.1f} ms"
                          f" p95 {percentile(api_t, 0.95):.1f} ms, facade p50 {percentile(facade_t, 0.5):.1f} ms"
                          f" p95 {percentile(facade_t, 0.95):.1f} ms")

        # The web UI's deal pages as a signed-in user opens them: the list filtered by stage or by
        # responsible (a random page of the first twenty), and the pipeline's kanban board.
        web = Client(HTTP_HOST="127.0.0.1")
        web.force_login(user)

        def web_list() -> str:
            page = f"page={1 + rnd.randrange(20)}"
            if rnd.randrange(2):
                return f"/deals/?view=list&stage_id={rnd.choice(stages).pk}&{page}"
            return f"/deals/?view=list&assigned_id={rnd.choice(users)}&closed=false&{page}"

        pages = {"web list": [], "kanban": []}
        count = max(1, requests // 2)
        for i in range(count + 5):
            for key, url in (("web list", web_list()), ("kanban", f"/deals/?view=kanban&pipeline={pipeline.pk}")):
                t = time.perf_counter()
                response = web.get(url)
                took = time.perf_counter() - t
                if response.status_code != 200:
                    raise CommandError(f"{url}: {response.status_code}")
                if i >= 5:
                    pages[key].append(took)
        self.stdout.write(f"web: {count} pages each, deal list p50 {percentile(pages['web list'], 0.5):.1f} ms"
                          f" p95 {percentile(pages['web list'], 0.95):.1f} ms, kanban p50"
                          f" {percentile(pages['kanban'], 0.5):.1f} ms p95 {percentile(pages['kanban'], 0.95):.1f} ms")

    @staticmethod
    def _run(client, rest, auth, requests, api, facade, timings, api_key, facade_key) -> int:
        """``requests`` pages through each API (after ten unmeasured ones); returns the rows listed."""
        rows = 0
        for i in range(requests + 10):  # the first ten of each warm caches and are not counted
            url = api()
            t = time.perf_counter()
            response = client.get(url, **auth)
            took = time.perf_counter() - t
            if response.status_code != 200:
                raise CommandError(f"{url}: {response.status_code} {response.content[:300]!r}")
            if i >= 10:
                timings[api_key].append(took)
                rows += len(response.json()["items"])
            params = facade()
            t = time.perf_counter()
            response = client.post(rest + "crm.deal.list", data=json.dumps(params), content_type="application/json")
            took = time.perf_counter() - t
            if response.status_code != 200 or "result" not in response.json():
                raise CommandError(f"crm.deal.list {params}: {response.status_code} {response.content[:300]!r}")
            if i >= 10:
                timings[facade_key].append(took)
                rows += len(response.json()["result"])
        return rows
