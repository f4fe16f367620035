"""The plan kept parsed (pipeline.plan.loading._PlanCache): served only for the same bytes under the same code,
never stale, and a damaged kept plan is ignored."""

from __future__ import annotations

import os
import stat

import pytest

from pipeline.errors import PlanError
from pipeline.plan import load_plan, loading
from tests.conftest import PLAN_FILE


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(loading.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_bytes(PLAN_FILE.read_bytes())
    return path


def _no_parsing(monkeypatch):
    def parsed(*args, **kwargs):
        raise AssertionError("the plan was parsed again")
    monkeypatch.setattr(loading, "plan_from_mapping", parsed)


def _kept(cache) -> list:
    return sorted(cache.glob("*.kept"))


def test_cache__same_bytes__served_kept_equal_to_the_parsed_plan_with_the_same_digests(cache, plan_file, monkeypatch):
    parsed = load_plan(plan_file)
    assert len(_kept(cache)) == 1
    if os.name == "posix":
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700     # nobody else may put a pickle there
    _no_parsing(monkeypatch)
    kept = load_plan(plan_file)
    assert kept == parsed and kept is not parsed
    assert kept.digest == parsed.digest
    assert all(kept.for_year(y).digest == parsed.for_year(y).digest for y in parsed.years)


def test_cache__plan_file_changed__never_served_the_old_plan(cache, plan_file, monkeypatch):
    first = load_plan(plan_file)
    text = plan_file.read_text(encoding="utf-8")
    plan_file.write_text(text.replace(f'title = "{first.title}"', f'title = "{first.title}（改訂）"', 1), encoding="utf-8")
    changed = load_plan(plan_file)
    assert changed.title == f"{first.title}（改訂）" and changed.digest != first.digest
    plan_file.write_text(text, encoding="utf-8")           # back to the first bytes: the first plan again
    assert load_plan(plan_file).title == first.title


def test_cache__same_bytes_under_other_code__parsed_again(cache, plan_file, monkeypatch):
    load_plan(plan_file)
    monkeypatch.setattr(loading, "code_version", lambda: "another version of the program")
    calls = []
    real = loading.plan_from_mapping
    monkeypatch.setattr(loading, "plan_from_mapping", lambda *a, **k: calls.append(1) or real(*a, **k))
    load_plan(plan_file)
    assert calls == [1]


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "empty", "other magic", "a pickle of something else"])
def test_cache__kept_plan_damaged__ignored_and_the_plan_parsed(cache, plan_file, damage):
    import hashlib
    import pickle
    parsed = load_plan(plan_file)
    [kept] = _kept(cache)
    data = kept.read_bytes()
    if damage == "flip a byte":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:]
    elif damage == "cut short":
        data = data[: len(data) - 100]
    elif damage == "empty":
        data = b""
    elif damage == "other magic":
        data = b"X" + data[1:]
    else:       # a well-formed kept file whose content is not a plan
        payload = pickle.dumps({"not": "a plan"})
        data = loading._MAGIC + hashlib.sha256(payload).digest() + payload
    kept.write_bytes(data)
    again = load_plan(plan_file)
    assert again == parsed and again.digest == parsed.digest
    assert kept.read_bytes() != data      # parsed and kept afresh


def test_cache__plan_with_mistakes__never_kept(cache, plan_file):
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace("[plan]", "[plan_]", 1), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PlanError):
            load_plan(plan_file)
    assert _kept(cache) == []


def test_cache__folder_cannot_be_written__plan_still_loads(tmp_path, plan_file, monkeypatch):
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("x")
    monkeypatch.setenv(loading.CACHE_ENV, str(blocker / "cache"))
    assert load_plan(plan_file) == load_plan(PLAN_FILE)


def test_cache__off__nothing_kept(tmp_path, plan_file, monkeypatch):
    monkeypatch.setenv(loading.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_plan(plan_file)
    assert not (tmp_path / "xdg").exists()


def test_cache__only_the_most_recently_used_kept(cache, plan_file):
    text = plan_file.read_text(encoding="utf-8")
    for n in range(loading.KEEP_PLANS + 3):
        plan_file.write_text(text + f"\n# {n}\n", encoding="utf-8")
        load_plan(plan_file)
    assert len(_kept(cache)) == loading.KEEP_PLANS


@pytest.mark.skipif(os.name != "posix", reason="POSIX の権限")
def test_cache__folder_others_can_write__kept_plan_not_read(cache, plan_file, monkeypatch):
    load_plan(plan_file)
    cache.chmod(0o777)
    try:
        calls = []
        real = loading.plan_from_mapping
        monkeypatch.setattr(loading, "plan_from_mapping", lambda *a, **k: calls.append(1) or real(*a, **k))
        load_plan(plan_file)
        assert calls == [1]
    finally:
        cache.chmod(0o700)
