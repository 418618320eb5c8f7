"""Benchmarks: each prints medians of several runs and side-by-side ratios."""
