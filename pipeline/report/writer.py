"""What every chapter writes with: the report's plan, config, data and date, the Word builder
(`DocumentBuilder`) and chapter 2's counts (`Overview`). The chapters in `document`, `committee`, `revisions`
and `summary` each take one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pipeline.config import Config
from pipeline.plan import YearPlan
from pipeline.report.builder import DocumentBuilder
from pipeline.report.data import ReportData
from pipeline.report.overview import Overview


class ReportWriter(Overview, DocumentBuilder):
    def __init__(self, plan: YearPlan, config: Config, data: ReportData, today: dt.date, reference: bytes, *,
                 svg_charts: bool = False):
        super().__init__(reference)
        self.plan, self.config, self.data, self.today = plan, config, data, today
        self.year = data.year
        self.svg_charts = svg_charts      # the charts saved as SVG too (for the web page), from the same drawing

    @property
    def committee_name(self) -> str:
        return self.plan.committee or "行財政改革推進委員会"

    def departments_text(self, codes: Sequence[str], etc: bool, sep: str = "、") -> str:
        return sep.join(self.plan.department_name(c) for c in codes) + ("ほか" if etc else "")
