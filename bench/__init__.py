"""Benchmarks behind ``make bench``; figures are recorded in ``docs/benchmarks.md``."""
