"""The document properties of a workbook we send for a year (a survey workbook, the committee's register, a
転記票): what it is, who sends it, and its identity as custom properties, read back with the hidden identity
sheet. Stamped with a fixed time, so that the same plan and year give the same bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import xlsxwriter

from pipeline.sheets.layout import PROPERTY_PREFIX


def sent_on(year: int) -> dt.datetime:
    """The fixed stamp of a year's workbooks: 1 April of the year after, 09:00 (when the survey goes out)."""
    return dt.datetime(year + 1, 4, 1, 9, 0, 0)


def describe_workbook(wb: xlsxwriter.Workbook, *, year: int, title: str, subject: str, author: str, company: str,
                      comments: str, identity: Mapping[str, str]) -> None:
    wb.set_properties({
        "title": title,
        "subject": subject,
        "author": author,
        "company": company,
        "comments": comments,
        "created": sent_on(year),
    })
    for key, value in identity.items():
        wb.set_custom_property(PROPERTY_PREFIX + key, value)
