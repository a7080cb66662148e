"""``kontor bench_intake``: contacts filled, the web server started, inquiries sent over HTTP."""

from __future__ import annotations

import re


def test_bench_intake_matches_half_the_inquiries_over_http(external_db, kontor_cli):
    kontor = kontor_cli
    env, query = external_db
    out = kontor(env, "bench_intake", "--contacts", "300", "--inquiries", "40", "--concurrency", "3",
                 "--web-workers", "1", "--fresh").stdout
    last = out.strip().splitlines()[-1]
    match = re.fullmatch(r"intake: 40 inquiries in [\d.]+ s \(\d+ inquiries/s\), p50 [\d.]+ ms, p99 [\d.]+ ms,"
                         r" (\d+) matched", last)
    assert match, out
    # Every second inquiry is a known customer (phone written another way, or e-mail in capitals).
    assert int(match[1]) == 20
    # The new customers, and one per warm-up inquiry (a name only: nothing to match by).
    assert query("SELECT COUNT(*) FROM crm_contact")[0] == 300 + 20 + 20
    assert query("SELECT COUNT(*) FROM crm_deal")[0] == 40 + 20  # twenty warm-up inquiries make deals too
    assert query("SELECT COUNT(*) FROM crm_communication WHERE entity_type = 3 AND type = 'PHONE'")[0] == 300
    assert query("SELECT COUNT(*) FROM crm_lead")[0] == 0  # simple mode: no leads


def test_bench_intake_with_floor_writers_and_a_running_switch(external_db, kontor_cli):
    """The side figures: the floor app beside Kontor, concurrent writers, inquiries during a switch."""
    kontor = kontor_cli
    env, query = external_db
    out = kontor(env, "bench_intake", "--contacts", "200", "--inquiries", "20", "--concurrency", "2",
                 "--web-workers", "1", "--web-threads", "2", "--fresh", "--floor", "--writers", "3",
                 "--writers-seconds", "1", "--during-switch", "300").stdout
    assert re.search(r"^floor: 20 inquiries in [\d.]+ s \(\d+ inquiries/s\), p50 [\d.]+ ms, p99 [\d.]+ ms, 10 matched$",
                     out, re.M), out
    assert re.search(r"^intake ÷ floor: [\d.]+$", out, re.M), out
    assert re.search(r"^writers: 3 for \d+ s: \d+ inquiries \(\d+/s\), p50 .* ms, 0 errors$", out, re.M), out
    during = re.search(r"^during switch: (\d+) inquiries while converting (\d+) leads in [\d.]+ s \((\w+)\), "
                       r".*, (\d+) failed$", out, re.M)
    assert during, out
    assert during[3] == "done" and during[4] == "0"
    assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'CONVERTED'")[0] == int(during[2]) > 0
