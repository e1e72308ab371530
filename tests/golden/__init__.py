"""Recorded CLI outputs: the cases (`cases.py`), the recorder (`record.py`) and the recordings (`cases/`).

The test that compares them is tests/test_golden_outputs.py; its docstring says how to re-record.
"""
