"""Stage: the public release as one web page (output/<year>/web/index.html), for the city's site.

Municipal sites fall under JIS X 8341-3:2016 (WCAG 2.0 AA, in practice 2.1 AA), and a PDF alone is the most
common failure there. The page says what the report says to the public — the plan, the self-evaluations
counted per pillar with the change from the previous year, every item's grade and its initiatives' progress
by department, the indicators with each year's actual, their achievement and a chart, in the plan's last
year the summary of the period — and links the report (PDF), the indicator table (Excel) and its CSV, which
`write_report` copies beside it: the web folder goes on the site as it is.

`build_page` is a function from the report's data to the page's bytes, and reads nothing itself. Its figures
are the report's: `ReportData.figures` (the one computation behind every output), the counts and texts of
pipeline.report.overview, document and summary, and the charts the report drew, saved as SVG from the same
drawing (pipeline.report.web_charts). The markup is Jinja2's (templates/web_index.html.j2) with every value
escaped: a return's text is shown as its characters, never as markup or a link. One self-contained page:
its style sheet inline, its charts inline, no script, nothing loaded from elsewhere. The same data and date
give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from pipeline.config import Config
from pipeline.fiscal import fiscal_year_label, format_date_ja
from pipeline.plan import EXCLUDED, ActionItem, Plan
from pipeline.report import achievement, charts, overview, summary
from pipeline.report.builder import text_of
from pipeline.report.data import ReportData
from pipeline.report.texts import (
    DASH,
    actual_text,
    baseline_text,
    grade_text,
    progress_answer,
    quantity,
    rate_text,
    reason_text,
    remark,
)
from pipeline.report.web_charts import FONT_STACK, inline_svg
from pipeline.values import format_number
from pipeline.vocabulary import PENDING

WEB_FOLDER = "web"
PAGE_NAME = "index.html"
TEMPLATE = "web_index.html.j2"


@dataclass(frozen=True)
class Download:
    """A file the page links to, beside it in the web folder."""

    file_name: str
    label: str          # '進捗状況報告書'
    kind: str           # 'PDF形式'
    size: int           # bytes


@functools.cache
def _environment() -> jinja2.Environment:
    """Jinja2 with every value escaped (autoescape on for every template, whatever its name)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def build_page(plan: Plan, data: ReportData, config: Config, today: dt.date,
               figures: Mapping[str, charts.Figure], downloads: Sequence[Download]) -> bytes:
    """The page's bytes (UTF-8 HTML). `plan` is the year's plan (`Plan.for_year`), `figures` the report's
    charts drawn with their SVG (`charts.draw_charts(..., svg=True)`), `downloads` the files beside it."""
    page = _page(plan, data, config, today, figures, downloads)
    return _environment().get_template(TEMPLATE).render(page=page, font_stack=Markup(FONT_STACK)).encode("utf-8")


# --- the page's content, as plain values for the template ----------------------------------------------

def _page(plan: Plan, data: ReportData, config: Config, today: dt.date,
          figures: Mapping[str, charts.Figure], downloads: Sequence[Download]) -> dict:
    year = data.year
    label = fiscal_year_label(year)
    final = year >= plan.period_end
    sections = [("about", "この計画と進捗状況の公表"), ("overview", "自己評価と進捗状況の概要"),
                ("items", "取組項目ごとの進捗状況"), ("indicators", "参考指標の実績と達成状況")]
    if final:
        sections.append(("closing", summary.CLOSING))
    sections.append(("downloads", "資料のダウンロード"))
    return {
        "title": f"{plan.title} 進捗状況（{label}実績）",
        "city": plan.city,
        "sections": sections,
        "about": _about(plan, data, config),
        "overview": _overview(plan, data, config),
        "item_sections": _items(plan, data, config),
        "indicators": _indicators(plan, data, figures),
        "closing": _closing(plan, data, config) if final else None,
        "downloads": [{"href": quote(d.file_name), "text": d.label, "kind": d.kind, "size": _size(d.size)}
                      for d in downloads],
        "made": format_date_ja(today),
        "contact": config.secretariat.contact_line,
    }


def _about(plan: Plan, data: ReportData, config: Config) -> dict:
    year, start, end = data.year, plan.period_start, plan.period_end
    committee = _committee(plan)
    issued = f"（{plan.issued}策定）" if plan.issued else ""
    return {
        "paragraphs": [
            f"{plan.city}は、{plan.title}{issued}に基づいて行財政改革に取り組んでいます。計画期間は"
            f"{fiscal_year_label(start)}から{fiscal_year_label(end)}までの{end - start + 1}年間で、"
            f"{len(plan.sections)}つの取組方針と{len(plan.pillars)}つの柱のもとに、{len(plan.items)}の取組項目と"
            f"{len(plan.initiatives)}の具体的な取組を定め、{len(plan.indicators)}の参考指標で進み具合を確かめます。",
            f"各取組は、年度ごとに担当部署が進捗状況を報告し、取組項目ごとに主担当課が自己評価を行います。"
            f"取りまとめた結果は{committee}に報告し、広報紙やホームページなどを通じて公表します。"
            f"このページは、計画期間の{year - start + 1}年度目にあたる{fiscal_year_label(year)}の進捗状況です。",
            f"調査票の提出がない部署の欄は「{achievement.NOT_SUBMITTED}」、調査票に誤りがあり差し戻し中の部署の欄は"
            f"「{PENDING}」、その年度に評価しない取組項目は「{achievement.EXCLUDED}」と表示しています。",
        ],
        "grades": [(g.choice, g.description) for g in config.grades],
        "progress": [(c.label, c.description) for c in config.progress_choices],
    }


def _overview(plan: Plan, data: ReportData, config: Config) -> dict:
    previous = data.previous
    tables = []
    for key, title, counts, columns, intro in (
        ("grades", "取組項目の自己評価の件数", overview.grade_counts, overview.grade_columns, overview.grade_intro(plan, config, data.year)),
        ("progress", "具体的な取組の進捗状況の件数", overview.progress_counts, overview.progress_columns, overview.progress_intro(plan)),
    ):
        now = counts(plan, data.current)
        before = counts(plan, previous) if previous else None
        cols = columns(config, now)
        shares = overview.share_rates(cols, now[""])
        tables.append({
            "id": f"overview-{key}",
            "title": title,
            "caption": f"{title}（柱ごと、{data.year}年度）",
            "intro": intro,
            "columns": cols,
            "rows": overview.overview_rows(plan, cols, now, before),
            "shares": [format_number(s) for s in shares],
            "notes": overview.overview_notes(previous.year if previous else None, shares),
        })
    return {"tables": tables}


def _items(plan: Plan, data: ReportData, config: Config) -> list[dict]:
    """The sections, their pillars and items, each item with its grade and its initiatives' progress."""
    out = []
    for section in plan.sections:
        pillars = []
        for pillar in plan.pillars_of(section):
            pillars.append({"label": pillar.label, "action_items": [_item(plan, data, config, i) for i in plan.items_of(pillar)]})
        if pillars:
            out.append({"label": section.label, "pillars": pillars})
    return out


def _item(plan: Plan, data: ReportData, config: Config, item: ActionItem) -> dict:
    year, state = data.year, data.current
    key = overview.grade_of(item, year, state.roster, state.evaluations, transcribed=state.transcribed)
    excluded = item.excluded_in(year)
    rows = []
    if not excluded:
        for n, ini in enumerate(item.initiatives, 1):
            for k, dept in enumerate(ini.departments):
                progress, texts = progress_answer(state, ini, dept)
                rows.append({
                    "initiative": f"取組{n}　{ini.display_text}" if k == 0 else None,
                    "span": len(ini.departments),
                    "department": plan.department_name(dept),
                    "progress": progress,
                    "flag": progress in (achievement.NOT_SUBMITTED, PENDING, overview.NO_ANSWER),
                    "texts": [t or DASH for t in texts] if not isinstance(texts, str) else None,
                    "why": texts if isinstance(texts, str) else None,
                })
    return {
        "id": _slug("item", item.code),
        "heading": f"{item.code} {item.title}",
        "departments": "、".join(plan.department_name(c) for c in item.departments) + ("ほか" if item.departments_etc else ""),
        "lead": plan.department_name(item.lead),
        "grade": grade_text(config, key).replace("\n", ""),
        "grade_flag": key in (achievement.NOT_SUBMITTED, PENDING, EXCLUDED),
        "reason": reason_text(plan, year, item, state, key),
        "excluded": (f"この取組項目は、{fiscal_year_label(year)}は評価の対象外です（理由: {text_of(excluded.reason)}）。"
                     if excluded else None),
        "caption": f"{item.code} 具体的な取組の進捗状況（{year}年度）",
        "caption_id": _slug("item", item.code, "caption"),
        "rows": rows,
        "indicator": ({"href": "#" + _slug("ind", item.code), "name": item.indicator.name}
                      if item.indicator else None),
    }


def _indicators(plan: Plan, data: ReportData, figures: Mapping[str, charts.Figure]) -> dict:
    year = data.year
    years = [y for y in plan.years if y <= year]
    rows, courses = [], []
    for code, f in data.figures.items():
        ind, result = f.indicator, f.achievement
        item = plan.item_by_code[code]
        baseline, *actuals, target, value = summary.indicator_cells(plan, f, years, DASH)
        rows.append({
            "code": code, "item": item.title, "name": ind.name, "href": "#" + _slug("ind", code),
            "baseline": baseline, "actuals": actuals, "target": target, "value": value,
            "rate": rate_text(result), "judgement": f.judgement,
            "flag": f.judgement in (achievement.NOT_SUBMITTED, PENDING, achievement.EXCLUDED), "remark": remark(ind, result),
        })
        figure = figures[code]
        chart_id = _slug("chart", code)
        course = [{"label": f"実績（{ind.unit}）", "baseline": baseline_text(ind),
                   "cells": [actual_text(f, y) for y in years]}]
        if ind.cumulative:      # as the report's table beside its chart
            course.append({"label": "累計", "baseline": DASH,
                           "cells": [quantity(f.running[y], ind.unit) if y in f.running else DASH for y in years]})
        courses.append({
            "id": _slug("ind", code),
            "heading": f"{code} {ind.name}",
            "svg": Markup(inline_svg(figure.svg, chart_id, figure.title, figure.alt)) if figure.svg else None,
            "alt": figure.alt,
            "caption": f"{ind.name}の推移（数値）",
            "caption_id": _slug("course", code, "caption"),
            "baseline_head": f"基準値（{ind.baseline_year}年度）",
            "target_head": f"目標値（{ind.target_year}年度）",
            "target": ind.target_shown,
            "rows": course,
            "reporter": plan.department_name(ind.reporter),
        })
    notes = [f"「{DASH}」は実績・達成率がないことを示します。{achievement.NOT_SUBMITTED}: 調査票の提出がない。"
             f"{PENDING}: 調査票の差し戻し中。{achievement.EXCLUDED}: その年度は評価の対象外。"]
    if plan.baseline_note:
        notes.insert(0, f"{plan.baseline_note}です。")
    missing_years = [y for y in years if y not in data.rosters]
    if missing_years:
        notes.append(f"{'・'.join(f'{y}年度' for y in missing_years)}の回答はデータベースにないため「{DASH}」としています。")
    notes += summary.transcribed_paragraphs(data)
    return {
        "intro": (f"各取組項目の進行を管理・点検するための「物差し」として設定した参考指標の、{fiscal_year_label(year)}"
                  "までの実績と達成率です。指標の名前から、その推移のグラフと数値に移動できます。"),
        "caption": f"参考指標の実績と達成率（{year}年度まで）",
        "years": years,
        "last": "最終値" if year >= plan.period_end else "最新値",
        "rows": rows,
        "notes": notes,
        "method": list(achievement.METHOD),
        "judgements": list(achievement.JUDGEMENTS),
        "courses": courses,
    }


def _closing(plan: Plan, data: ReportData, config: Config) -> dict:
    """計画期間の総括 (the plan's last year): pipeline.report.summary's figures and texts."""
    year = data.year
    years = [y for y in plan.years if y <= year]
    figures = list(data.figures.values())
    committee = _committee(plan)
    indicators = []
    for f in figures:
        *_before, target, value = summary.indicator_cells(plan, f, years, DASH)
        indicators.append({"code": f.indicator.item_code, "name": f.indicator.name, "value": value,
                           "target": target, "rate": rate_text(f.achievement), "judgement": f.judgement,
                           "verdict": summary.verdict(f.achievement)})
    counts = Counter(summary.verdict(f.achievement) for f in figures)
    keys = summary.grade_keys(plan, data, years)
    opinions = [{"id": st.opinion.id, "year": f"{st.opinion.year}年度",
                 "item": summary.opinion_item_text(plan, st.opinion.item_code),
                 "department": summary.opinion_department(plan, st.opinion.department_code),
                 "text": text_of(st.opinion.text), "status": summary.latest_status(st)} for st in data.still_open]
    return {
        "paragraphs": [*summary.chapter_intro(plan, year, committee, figures, len(data.still_open)),
                       *summary.transcribed_paragraphs(data)],
        "indicators_title": summary.INDICATORS_FINAL,
        "years": years,
        "indicators": indicators,
        "rule": summary.MET_RULE,
        "verdicts": [(v, counts[v]) for v in summary.VERDICTS],
        "total": len(figures),
        "grades_title": summary.GRADES,
        "legend": "、".join(f"{g.code}：{g.label}" for g in config.grades),
        "item_grades": [{"code": i.code, "title": i.title, "cells": [keys[i.code, y] or DASH for y in years]}
                        for i in plan.items],
        "pillar_grades": summary.pillar_grade_rows(plan, config, keys, years, DASH),
        "opinions_title": summary.OPINIONS,
        "opinions": opinions,
        "opinions_text": summary.opinions_text(year, committee, data.opinions_before, len(opinions), True),
        "opinions_note": f"最新の対応状況は、{year}年度までの調査票で最後に尋ねた年度の回答です。",
    }


# --- small pieces ---------------------------------------------------------------------------------

def _size(size: int) -> str:
    """'2.8MB', '39KB', '3KB' (1 KB = 1,000 bytes, as file managers show)."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f}MB"
    return f"{max(1, round(size / 1000))}KB"


def _committee(plan: Plan) -> str:
    return plan.committee or "行財政改革推進委員会"      # as the report names it (_ReportWriter.committee_name)


_UNSAFE_ID = re.compile(r"[^0-9A-Za-z_-]")


def _slug(*parts: str) -> str:
    """An id of the page: 'item-1101', 'chart-1101' (any other character of a code becomes '_')."""
    return "-".join(_UNSAFE_ID.sub("_", p) for p in parts)
