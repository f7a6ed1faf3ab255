"""Benchmarks (`make bench`): each module here has `run(out_dir) -> dict`.

Speed and size targets live here, not in the tests.
"""
