"""``make mutants [MODULES="kontor.bitrix.filters kontor.api.auth"]``: mutation testing with mutmut.

mutmut reads its settings from the ``pyproject.toml`` of the directory it runs in, copies the sources
into ``mutants/`` there and runs pytest from that directory. So this script builds a work directory
``var/mutation/`` with links to ``src`` and ``tests`` and a ``pyproject.toml`` made of the project's
(pytest-django's settings included) plus a ``[tool.mutmut]`` section for the modules asked for, each
with the tests that exercise it. mutmut keeps its results there; a second run re-tests only what
changed. At the end it prints the score per module (killed / all mutants, timeouts count as
killed) and lists the survivors; ``docs/mutation.md`` explains the ones that are equivalent.

``MUTANT_TESTS="tests/bitrix/test_wire.py"`` replaces the test selection (quick experiments);
``MUTANT_JOBS`` sets mutmut's parallel children (default: 2); ``MUTANT_WORK`` another work
directory (two runs side by side). With ``DATABASE_URL=postgres://…`` the mutants' tests run on
PostgreSQL (each test run on a copy of a database migrated once, ``tests/conftest.py``): the way to
check the code only PostgreSQL runs (advisory locks, the PostgreSQL SQL of the switch and the custom
fields); ``MUTANT_NAMES="kontor.modes.conversion.x_uf_sql*"`` limits a run to some mutants.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("MUTANT_WORK") or ROOT / "var" / "mutation")

#: module -> the tests that exercise it (subprocess, browser and benchmark tests are left out: they run
#: code mutmut cannot switch mutants in)
TESTS: dict[str, list[str]] = {
    "kontor.modes": ["tests/modes", "tests/web/test_modes_views.py", "tests/api/test_leads.py",
                     "tests/web/test_mode_switch_preview.py", "tests/web/test_views.py",
                     "tests/web/test_activities_notes.py", "tests/web/test_record_actions.py",
                     "tests/notifications/test_notifications.py", "tests/data/test_import_details.py",
                     "tests/events/test_timeline.py", "tests/security/test_admin_only.py"],
    "kontor.modes.matching": ["tests/modes/test_matching.py", "tests/modes/test_inquiries.py",
                              "tests/modes/test_switch.py", "tests/modes/test_convert.py"],
    # tests/api without test_schema_fuzz.py: its mutant runs outlast the timeout (counted as killed, wrongly);
    # tests/modes/test_convert.py reaches the helpers only the conversion uses (clean_amount, resolve_fk, …)
    "kontor.crm.services": ["tests/crm", *[f"tests/api/test_{name}.py" for name in (
        "activities", "auth", "contacts_companies", "custom_fields", "deals", "fields", "leads", "list_count",
        "lists", "pipelines", "users")], *sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "api").glob("test_mutants_*.py")),
        "tests/modes/test_convert.py"],
    "kontor.crm.selectors": ["tests/crm/test_selectors.py", "tests/api/test_lists.py",
                             "tests/web/test_numbers_money.py", "tests/web/test_activities_notes.py"],
    # tests/bitrix without test_readme_methods.py (reads README.md beside the copied tests, absent in mutants/)
    # and test_b24jssdk.py (Node against a live server: a subprocess)
    "kontor.bitrix.methods": [f"tests/bitrix/test_{name}.py" for name in (
        "activity_times", "fields", "filter_fields", "item_update_atomic", "leniency", "methods", "methods_more",
        "paging", "params", "products", "webhooks", "wire", "xml")] + sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "bitrix").glob("test_mutants_*.py")),
    "kontor.api.auth": ["tests/security/test_admin_only.py", "tests/security/test_api_errors.py",
                        "tests/api/test_users.py", "tests/api/test_auth.py"],
}
# The filters are exercised through the facade's methods, so they take the same tests (with only the
# paging/wire/params/fields/leniency files, an exact one-child run of 4 December reached 8 of its functions).
TESTS["kontor.bitrix.filters"] = TESTS["kontor.bitrix.methods"]
DEFAULT = ["kontor.modes", "kontor.crm.services", "kontor.crm.selectors", "kontor.bitrix.filters",
           "kontor.bitrix.methods", "kontor.api.auth"]
EXCLUDED = ["tests/modes/test_worker_crash.py", "tests/e2e", "tests/web/test_browser.py",
            "tests/bitrix/test_clients.py", "tests/bitrix/test_client_flows.py", "tests/bitrix/test_serve_tls.py"]


def module_glob(module: str) -> str:
    path = ROOT / "src" / Path(*module.split("."))
    return f"src/{module.replace('.', '/')}/*" if path.is_dir() else f"src/{module.replace('.', '/')}.py"


def mutmut_config(modules: list[str]) -> dict:
    chosen = os.environ.get("MUTANT_TESTS", "").split()
    tests: list[str] = []
    for module in modules:
        for t in chosen or TESTS.get(module) or TESTS[module.rsplit(".", 1)[0]]:
            if t not in tests and (ROOT / t).exists():
                tests.append(t)
    return {
        "source_paths": ["src"],
        "only_mutate": [module_glob(m) for m in modules],
        "do_not_mutate": ["src/kontor/*/migrations/*", "src/kontor/*/management/*"],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not browser and not slow",
                                "-W", "ignore", "--timeout", "60", "--timeout-method", "thread",
                                "-o", "timeout_func_only=true",
                                *[f"--ignore={e}" for e in EXCLUDED]],
        "pytest_add_cli_args_test_selection": tests,
        # mutmut's own limit is wall-clock, (estimate + constant) × multiplier × 2; a mutant that makes a
        # test hang (a thread pool waiting forever) sat out all of it, and pytest's own failure left the
        # process waiting for its threads at exit. pytest-timeout ends the process after 60 s of one test's
        # body, the limit below is only the backstop. Not less, and not the fixtures: pytest-timeout ends the
        # process with exit code 1, which mutmut counts as a kill (and in its stats run, as a silent stop) —
        # with 15 s, the first test's setup migrating the template database (23 s on a busy machine) stopped
        # the run of kontor.bitrix.methods, and the first facade call of a process (10 s busy) risked a false kill.
        "timeout_multiplier": 2.0,
        "timeout_constant": 30.0,
    }


def toml_value(value) -> str:
    return json.dumps(value)  # lists of strings, numbers and booleans read the same in TOML


def write_workdir(modules: list[str]) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("src", "tests"):
        link = WORK / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name, target_is_directory=True)
    project = (ROOT / "pyproject.toml").read_text()
    start = project.find("[tool.mutmut]")
    if start != -1:  # the project's own section (documentation) is replaced by the generated one
        end = project.find("\n[", start + 1)
        project = project[:start] + (project[end + 1:] if end != -1 else "")
    section = "\n".join(f"{k} = {toml_value(v)}" for k, v in mutmut_config(modules).items())
    text = f"{project.rstrip()}\n\n[tool.mutmut]\n{section}\n"
    tomllib.loads(text)
    target = WORK / "pyproject.toml"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def scores(modules: list[str]) -> int:
    """Print killed/total per module from mutmut's results; return the number of survivors."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=WORK,
                         capture_output=True, text=True, check=True).stdout
    by_module: dict[str, Counter] = {m: Counter() for m in modules}
    survivors: list[str] = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = next((m for m in sorted(modules, key=len, reverse=True) if name.startswith(m + ".")), None)
        if module is None:
            continue
        by_module[module][status] += 1
        if status in ("survived", "no tests", "suspicious"):
            survivors.append(f"{name}: {status}")
    print("\nmutation score per module (killed incl. timeouts / mutants):")
    for module, counts in by_module.items():
        total = sum(counts.values()) - counts["skipped"]
        killed = counts["killed"] + counts["timeout"]
        share = f"{100 * killed / total:5.1f} %" if total else "   -  "
        print(f"  {module:28} {share}  {killed}/{total}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("killed",)))
    if survivors:
        print(f"\n{len(survivors)} not killed (see `cd var/mutation && ../../.venv/bin/mutmut show NAME`):")
        print("\n".join(f"  {s}" for s in survivors))
    return len(survivors)


def main(argv: list[str]) -> int:
    modules = argv or DEFAULT
    unknown = [m for m in modules if not (ROOT / "src" / Path(*m.split("."))).exists()
               and not (ROOT / "src" / Path(*m.split("."))).with_suffix(".py").exists()]
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    write_workdir(modules)
    # each test run starts from a copy of a database migrated once per `make mutants` (tests/conftest.py)
    template = WORK / "var" / "test-template.sqlite3"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.unlink(missing_ok=True)
    env = {**os.environ, "KONTOR_CI": "1", "KONTOR_VAR_DIR": str(WORK / "var"),
           "KONTOR_TEST_DB_TEMPLATE": str(template)}
    jobs = os.environ.get("MUTANT_JOBS", "2")
    names = os.environ.get("MUTANT_NAMES", "").split() or [f"{m}.*" for m in modules]
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", jobs, *names], cwd=WORK, env=env,
                   check=False)
    scores(modules)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
