"""Benchmark scripts (run as modules, e.g. `python -m benchmarks.queries`); not part of the test suite."""
