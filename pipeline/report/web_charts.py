"""An indicator's chart for the web page: the report's own drawing (pipeline.report.charts, saved as SVG from
the same figure as the PNG), made fit to sit inline in an HTML page.

matplotlib writes a stand-alone SVG document. Inline, it loses the XML declaration, the DOCTYPE and the
metadata; its fixed size gives way to its viewBox (the page's style sheet scales it to the column's width);
the ids it gives its groups and clip paths, the same in every chart, become unique in the page (the ones
something refers to get the chart's prefix, the others go); the text keeps its font and falls back on the
page's Japanese fonts. It is an image with a name and a description (`role="img"`, `aria-labelledby` to its
own `<title>` and `<desc>`): the description says the chart's numbers, and the page puts them in a table
beside it too.

Its text stays readable however narrow the screen: the chart is never drawn narrower than the width at which
its smallest text is `READABLE_PX` CSS pixels (`min-width` on the element, from its viewBox and font sizes);
on a narrower screen the page puts it in a box that scrolls sideways, as it does the wide tables. One
drawing, the report's, rather than a second narrow layout: the chart and the table below it say the same
numbers, and the table reflows.
"""

from __future__ import annotations

import math
import re
from html import escape

READABLE_PX = 12       # the smallest text of a chart, in CSS pixels, at any screen width

# The page's fonts (the web page's style sheet uses the same list): Japanese system fonts on Windows, macOS,
# Linux and phones, then the generic family.
FONT_STACK = ('"Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Noto Sans CJK JP", '
              '"BIZ UDPGothic", "Yu Gothic", YuGothic, Meiryo, sans-serif')

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ROOT = re.compile(r"<svg\b[^>]*>")
_ID = re.compile(r'\sid="([^"]+)"')
_FONT = re.compile(r"(font-family: )([^;\"]+)")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')
_FONT_SIZE = re.compile(r"font-size: ([\d.]+)px")


def inline_svg(svg: bytes, chart_id: str, title: str, desc: str) -> str:
    """matplotlib's SVG as an element for the page: ids prefixed with `chart_id` (an id of the page), named by
    `title` and described by `desc` (both plain text, escaped here)."""
    text = svg.decode("utf-8")
    text = _PROLOGUE.sub("", text, count=1)
    text = _METADATA.sub("", text, count=1)
    text = _unique_ids(text, chart_id)
    text = _FONT.sub(lambda m: f"{m.group(1)}{m.group(2)}, {FONT_STACK.replace(chr(34), chr(39))}", text)
    root = _ROOT.search(text)
    if root is None:
        raise ValueError("matplotlib の SVG に <svg> 要素がありません")
    box = _VIEWBOX.search(root.group(0))
    if box is None:
        raise ValueError("matplotlib の SVG に viewBox がありません")
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    opening = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
               f'viewBox="{box.group(1)}" class="chart" style="min-width: {readable_width(text, box.group(1))}px" '
               f'role="img" aria-labelledby="{title_id} {desc_id}">'
               f'\n<title id="{title_id}">{escape(title, quote=False)}</title>'
               f'\n<desc id="{desc_id}">{escape(desc, quote=False)}</desc>')
    return text[:root.start()] + opening + text[root.end():].rstrip()


def readable_width(svg: str, viewbox: str) -> int:
    """The narrowest width (CSS px) at which the smallest text of `svg` renders at READABLE_PX: its viewBox
    units are scaled by width ÷ viewBox width."""
    sizes = [float(v) for v in _FONT_SIZE.findall(svg)]
    box_width = float(viewbox.split()[2])
    if not sizes:
        return 0
    return math.ceil(READABLE_PX / min(sizes) * box_width)


def _unique_ids(text: str, prefix: str) -> str:
    """Every id referred to (`#id`) renamed `prefix-id`; every other id removed (they would repeat per chart)."""
    ids = set(_ID.findall(text))
    used = {i for i in ids if f"#{i}" in text}

    def rename(m: re.Match) -> str:
        return f' id="{prefix}-{m.group(1)}"' if m.group(1) in used else ""

    text = _ID.sub(rename, text)
    if used:
        refs = re.compile(r"#(" + "|".join(re.escape(i) for i in sorted(used, key=len, reverse=True)) + r")\b")
        text = refs.sub(lambda m: f"#{prefix}-{m.group(1)}", text)
    return text
