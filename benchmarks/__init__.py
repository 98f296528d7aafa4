"""Benchmark scripts for p2pfile: data generator, timing helpers, harnesses.

These are scripts, not tests, and not part of the installed package. The package
marker only lets them import each other (``from benchmarks.generate import ...``)
whether they run as ``python benchmarks/x.py`` or ``python -m benchmarks.x``.
"""
