"""The serving process's collector tuning applies for the app's lifetime and is undone after."""

from __future__ import annotations

import gc

from serving.runtime import GC_THRESHOLDS, tuned_gc


def test_tuned_gc_spaces_out_collections_and_restores_the_defaults():
    before = gc.get_threshold()
    with tuned_gc():
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0  # what startup built is out of the collector's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_apps_restore_the_defaults_when_the_last_one_stops():
    before = gc.get_threshold()
    first, second = tuned_gc(), tuned_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # not in LIFO order: the second app is still running
    assert gc.get_threshold() == GC_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
