from tests.counters.conftest import new_counters  # noqa: F401  (golden cases run on both backends)
