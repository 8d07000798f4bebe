"""Benchmarks (`make bench` = `python -m bench`). Each module with a `main(argv) -> int` is one benchmark.

Benchmarks are never tests: they print numbers (and write them as JSON under $GONGZHI_DATA_DIR/bench/) and each
measures its own baseline in the same run, so the ratios mean something on any machine.
"""
