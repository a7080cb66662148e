"""Generated data: ``kontor demo`` (a living sample CRM) and the benchmarks (``bench_convert``,
``bench_list``, ``bench_intake``) with their set-based fillers. Kept apart from the domain they exercise,
so ``kontor.crm`` and ``kontor.modes`` hold only the product."""
