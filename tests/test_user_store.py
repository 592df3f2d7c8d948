"""The per-browser store of models trained in the app: tokens, size cap, expiry, isolation."""

from __future__ import annotations

import os
import time

import pytest

from aelib import AelibError
from aelib.io.user_store import UserModelStore


def test_a_browser_gets_back_its_own_models_and_no_other(tmp_path):
    store = UserModelStore(tmp_path)
    mine, theirs = store.new_token(), store.new_token()
    assert mine != theirs and store.valid_token(mine)
    store.save(mine, "yours_digits", b"a" * 10)
    store.save(theirs, "yours_shoes", b"b" * 10)
    assert [p.stem for p in store.paths(mine)] == ["yours_digits"]
    assert [p.stem for p in store.paths(theirs)] == ["yours_shoes"]
    assert store.paths(store.new_token()) == []


@pytest.mark.parametrize("token", ["../../etc", "", None, "a" * 31, "a" * 31 + "/", "a" * 31 + "."])
def test_a_token_that_is_not_ours_names_no_folder(tmp_path, token):
    store = UserModelStore(tmp_path)
    assert not store.valid_token(token) and store.paths(token) == []
    with pytest.raises(AelibError):
        store.save(token, "yours_x", b"x")


def test_the_oldest_models_go_first_over_the_cap_and_a_huge_one_is_refused(tmp_path):
    store = UserModelStore(tmp_path, max_bytes=25)
    token = store.new_token()
    assert store.save(token, "yours_a", b"a" * 10) == []
    time.sleep(0.01)
    assert store.save(token, "yours_b", b"b" * 10) == []
    time.sleep(0.01)
    assert store.save(token, "yours_c", b"c" * 10) == ["yours_a"]
    assert [p.stem for p in store.paths(token)] == ["yours_b", "yours_c"]
    with pytest.raises(AelibError, match="over the"):
        store.save(token, "yours_big", b"x" * 26)
    with pytest.raises(AelibError, match="model id"):
        store.save(token, "../escape", b"x")


def test_folders_unused_for_longer_than_the_expiry_are_removed(tmp_path):
    store = UserModelStore(tmp_path, max_age_s=100)
    old, recent = store.new_token(), store.new_token()
    store.save(old, "yours_old", b"o")
    store.save(recent, "yours_new", b"n")
    past = time.time() - 1000
    os.utime(store.folder(old), (past, past))
    store.prune()
    assert store.paths(old) == [] and len(store.paths(recent)) == 1
