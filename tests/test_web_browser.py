"""The web page in a real browser: headless Chromium loads output/<year>/web/index.html from its file and
axe-core checks it against the WCAG 2.0/2.1 A and AA rules (JIS X 8341-3:2016 AA): no violation is allowed.
Then the page at 320 CSS pixels wide (a phone, or 1280 pixels at 400% zoom) and at 1280: nothing scrolls
sideways but the wide tables, in their own boxes.

Two pages from the report fixtures: the mid-period year (2024, with the year before to compare, 商工課
未提出, 福祉事務所 未確定, a return's HYPERLINK formula) and the plan's last year (2025, with the
plan-period summary), where one item is 対象外. Skipped without Chromium, chromedriver or axe-core (the
reason says what to install); in CI (REQUIRE_BROWSER=1) they fail instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from pipeline.plan import Exclusion
from pipeline.report.usecase import make_report
from tests import browser_support as B
from tests import report_fixtures as F

EXCLUDED_ITEM = "2402"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """{2024: the mid-period page, 2025: the last year's page}, written by the report's use case."""
    B.need_browser()
    tmp = tmp_path_factory.mktemp("web")
    base = F.plan()
    plan = dataclasses.replace(base, items=tuple(
        dataclasses.replace(i, excluded=(Exclusion(2025, "人事制度の見直しのため、2025年度は評価しない。"),))
        if i.code == EXCLUDED_ITEM else i for i in base.items))
    config = F.config(tmp)
    out = {}
    with F.final_year_store(config.store_path, plan):
        for year in (2024, 2025):
            out[year] = make_report(plan, config, year, dt.date(year + 1, 6, 20), use_office=False).web
    return out


@pytest.fixture(scope="module")
def browser():
    B.need_browser()
    session = B.Browser()
    yield session
    session.close()


@pytest.mark.parametrize("year", [2024, 2025])
def test_axe__wcag21_a_and_aa__no_violation(browser, pages, year):
    browser.open(pages[year])
    result = browser.axe()
    assert result["violations"] == [], B.describe(result["violations"])
    ran = {r["id"] for kind in ("passes", "violations", "incomplete") for r in result[kind]}
    assert {"color-contrast", "html-has-lang", "svg-img-alt", "scrollable-region-focusable", "link-name",
            "document-title"} <= ran | {r["id"] for r in result["inapplicable"]}


@pytest.mark.parametrize("year", [2024, 2025])
@pytest.mark.parametrize("width", [320, 1280])
def test_reflow__no_page_scroll_sideways_wide_tables_scroll_in_their_box(browser, pages, year, width):
    browser.open(pages[year], width=width)
    inner, scroll = browser.script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner == width and scroll <= inner
    # every table sits in a box that scrolls, and none of those boxes is wider than the page
    boxes = browser.script(
        "return [...document.querySelectorAll('table')].map(t => {const b = t.parentElement;"
        " return [b.className, getComputedStyle(b).overflowX, b.getBoundingClientRect().right]})")
    assert boxes and all(c == "scroll" and o == "auto" and right <= width + 0.5 for c, o, right in boxes)
    if width == 320:       # the items' tables are wider than a phone: they scroll, the page does not
        assert browser.script(
            "return [...document.querySelectorAll('.scroll')].some(b => b.scrollWidth > b.clientWidth)")


def test_charts__on_a_phone__in_a_box_that_scrolls_sideways_no_wider_than_the_page(browser, pages):
    browser.open(pages[2025], width=320)
    boxes = browser.script(
        "return [...document.querySelectorAll('svg.chart')].map(s => {const b = s.parentElement;"
        " return [b.classList.contains('scroll'), getComputedStyle(b).overflowX, b.getBoundingClientRect().right,"
        " b.scrollWidth > b.clientWidth]})")
    assert len(boxes) == 17 and all(box and o == "auto" and right <= 320.5 and scrolls
                                    for box, o, right, scrolls in boxes)


# every text of every chart: its font size in CSS pixels as drawn (the computed size in the SVG's units times
# the scale of the text's screen transform, which holds the SVG's viewBox scaling and any rotation)
CHART_TEXT_SIZES = """
return [...document.querySelectorAll('svg.chart text')].map(t => {
  const m = t.getScreenCTM();
  return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
});"""

# captions and headings whose text runs past what their box shows (a scroll box's visible part, or the page)
CUT_TEXT = """
const cut = [];
for (const el of document.querySelectorAll('caption, h1, h2, h3, h4, h5')) {
  const box = el.closest('.scroll') || document.documentElement;
  const r = box.getBoundingClientRect();
  const left = box === document.documentElement ? 0 : r.left, right = left + box.clientWidth;
  const range = document.createRange();
  range.selectNodeContents(el);
  for (const rect of range.getClientRects()) {
    if (rect.width > 0 && (rect.left < left - 0.5 || rect.right > right + 0.5)) { cut.push(el.textContent); break; }
  }
}
return cut;"""


@pytest.mark.parametrize("year", [2024, 2025])
@pytest.mark.parametrize("width", [320, 1280])
def test_charts__every_text_at_least_12_css_px(browser, pages, year, width):
    browser.open(pages[year], width=width)
    sizes = browser.script(CHART_TEXT_SIZES)
    assert len(sizes) > 17 * 5
    small = [(text, round(px, 1)) for text, px in sizes if px < 12 - 0.01]
    assert small == []


@pytest.mark.parametrize("year", [2024, 2025])
@pytest.mark.parametrize("width", [320, 375, 1280])
def test_reflow__no_caption_or_heading_cut(browser, pages, year, width):
    browser.open(pages[year], width=width)
    assert browser.script(CUT_TEXT) == []


def test_reflow__a_return_with_a_long_unbroken_text__the_page_still_does_not_scroll_sideways(browser, tmp_path):
    # a pasted address or a run of characters with no place to break, typed into a return's text
    token = "https://example.jp/" + "a" * 300
    plan = F.plan()
    config = F.config(tmp_path)
    with F.filled_store(config.store_path, plan) as store:
        store.db.execute("UPDATE answers SET result = ? WHERE fiscal_year = 2024 AND initiative_id = "
                                 "(SELECT MIN(initiative_id) FROM answers WHERE fiscal_year = 2024)", (token,))
        store.db.commit()
        page = make_report(plan, config, 2024, dt.date(2025, 6, 20), use_office=False).web
    assert token in page.read_text(encoding="utf-8")
    browser.open(page, width=320)
    inner, scroll = browser.script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= inner
    assert not browser.script("return [...document.querySelectorAll('a[href^=\"http\"]')].length")


# table cells of figures and years whose text takes more lines than it has (a figure or a year broken inside)
BROKEN_FIGURES = """
const broken = [];
for (const el of document.querySelectorAll('td.c, th.c')) {
  const tops = new Set(), walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
  }
  if (tops.size > el.textContent.trim().split('\\n').length) broken.push(el.textContent);
}
return broken;"""


@pytest.mark.parametrize("width", [320, 1280])
def test_reflow__no_figure_or_year_broken_in_a_table_cell(browser, pages, width):
    browser.open(pages[2025], width=width)
    assert browser.script(BROKEN_FIGURES) == []
