"""The suite itself: collecting it stays cheap, so a run of one file or one xdist worker starts at once."""

from __future__ import annotations


def test_collecting_the_tests_imports_no_framework(frameworks_imported_while_collecting):
    # torch and keras alone took about three seconds of every run; tests/frameworks.py imports on first use.
    assert frameworks_imported_while_collecting == []
