"""Charts drawn once and kept (pipeline.report.charts._Kept, pipeline.kept): a kept chart has the bytes a fresh
drawing gives, a chart whose inputs changed is drawn again, and a damaged kept chart is never used."""

from __future__ import annotations

import os

import pytest

from pipeline import platform
from pipeline.plan import load_plan
from pipeline.report import charts
from pipeline.report.charts import draw_charts
from tests.conftest import PLAN_FILE

PLAN = load_plan(PLAN_FILE)
YEARS = list(PLAN.years)
ACTUALS = {(2022, i.item_code): 10 + n for n, i in enumerate(PLAN.indicators)} | {
    (2023, i.item_code): 20 + n for n, i in enumerate(PLAN.indicators)}


@pytest.fixture
def kept(tmp_path, monkeypatch):
    monkeypatch.setenv("GYOZAI_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "charts"


@pytest.fixture
def fresh(monkeypatch):
    """Every chart drawn now, with keeping off: what the kept ones must equal."""
    before = os.environ.get("GYOZAI_CACHE")
    monkeypatch.setenv("GYOZAI_CACHE", "off")
    figures = draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    if before is None:
        monkeypatch.delenv("GYOZAI_CACHE")
    else:
        monkeypatch.setenv("GYOZAI_CACHE", before)
    return figures


def _drawn(monkeypatch) -> list[str]:
    """Count the charts drawn (not taken from before) by the next draw_charts, which runs in this process."""
    calls: list[str] = []
    real = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda ind, *a, **k: calls.append(ind.item_code) or real(ind, *a, **k))
    return calls


def test_kept__second_time__nothing_drawn_and_the_same_bytes_as_a_fresh_drawing(kept, fresh, monkeypatch):
    first = draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    assert len(list(kept.glob("*.kept"))) == len(PLAN.indicators)
    drawn = _drawn(monkeypatch)
    again = draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    assert drawn == []
    assert again == first == fresh            # png, svg, alt and title alike
    assert list(again) == [i.item_code for i in PLAN.indicators]


def test_kept__an_actual_changed__only_that_chart_drawn_again(kept, monkeypatch):
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    one = PLAN.indicators[3].item_code
    changed = {**ACTUALS, (2023, one): 999}
    drawn = _drawn(monkeypatch)
    figures = draw_charts(PLAN.indicators, changed, YEARS, 2024, svg=True)
    assert drawn == [one]
    assert "999" in figures[one].alt


def test_kept__png_only_and_png_with_svg__kept_apart(kept, monkeypatch):
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=False)
    drawn = _drawn(monkeypatch)
    figures = draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    assert len(drawn) == len(PLAN.indicators) and all(f.svg for f in figures.values())


def test_kept__other_code__drawn_again(kept, monkeypatch):
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024)
    monkeypatch.setattr(charts, "code_version", lambda: "another version of the program")
    drawn = _drawn(monkeypatch)
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024)
    assert len(drawn) == len(PLAN.indicators)


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "empty"])
def test_kept__damaged__drawn_again_with_the_right_bytes(kept, fresh, monkeypatch, damage):
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    for path in kept.glob("*.kept"):
        data = path.read_bytes()
        if damage == "flip a byte":
            data = data[:-20] + bytes([data[-20] ^ 1]) + data[-19:]
        elif damage == "cut short":
            data = data[:len(data) // 2]
        else:
            data = b""
        path.write_bytes(data)
    drawn = _drawn(monkeypatch)
    figures = draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024, svg=True)
    assert len(drawn) == len(PLAN.indicators)
    assert figures == fresh


@pytest.mark.skipif(platform.WINDOWS, reason="who may write a folder is its ACL on Windows, not mode bits (platform.only_user_can_write)")
def test_kept__folder_others_can_write__not_used(kept, monkeypatch):
    draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024)
    kept.chmod(0o777)
    try:
        drawn = _drawn(monkeypatch)
        draw_charts(PLAN.indicators, ACTUALS, YEARS, 2024)
        assert len(drawn) == len(PLAN.indicators)
    finally:
        kept.chmod(0o700)
