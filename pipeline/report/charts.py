"""A chart of each reference indicator for the Word report: the actuals by year, the target, the baseline
(the running total for a 延べ target; the direction for a 減少 target), drawn with matplotlib.

matplotlib rather than a native Word chart: python-docx cannot write chart parts, LibreOffice renders a
picture the same everywhere (the PDF included), and matplotlib is the library made for statistical graphics.
The rules kept: the value axis starts at zero and says its unit; the period's years on the other axis, every
year shown, even without an actual; no decoration (no 3-D, no shadows, a light grid); series told apart by
line style and marker as well as colour, and labelled directly at their ends, so nothing depends on colour;
every point's value written beside it. Each chart comes with a text alternative that says the same numbers,
and the report puts the numbers in a table next to it. The same inputs give the same PNG bytes.

A chart drawn once is kept (pipeline.kept, in the user's own cache folder) under the sha256 of everything its
bytes depend on: its inputs, this program's code, matplotlib's version and the fonts found. A report made
again draws only the charts whose inputs changed; the bytes are those the drawing gives.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline import isolation
from pipeline.errors import our_failure
from pipeline.kept import cache_folder, code_version, prune, read_kept, write_kept
from pipeline.plan import Indicator
from pipeline.report.texts import quantity
from pipeline.values import format_number

WIDTH_CM, HEIGHT_CM = 15.0, 6.5
DPI = 200
# fonts with Japanese glyphs, in order of preference (Linux, Windows, macOS)
JAPANESE_FONTS = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "Yu Gothic", "Meiryo", "MS Gothic",
                  "Hiragino Sans", "Hiragino Kaku Gothic ProN")


@dataclass(frozen=True)
class Figure:
    png: bytes
    alt: str        # the text alternative: what the chart shows, with its numbers
    title: str
    svg: bytes = b""    # the same drawing as SVG (text kept as text), for the web page; b"" when not asked for


@functools.cache
def _pyplot():
    """matplotlib, imported once and only when a chart is drawn, on the Agg backend (no screen), with a font
    that has Japanese glyphs when one is installed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = [name for name in JAPANESE_FONTS if name in installed] + ["DejaVu Sans"]
    plt.rcParams.update({
        "font.family": family,
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "gyozai",      # the SVG's ids from a fixed salt, not a random one: the same bytes each run
        "svg.fonttype": "none",        # text stays text in the SVG: small, selectable, read in the page's font
        "path.simplify": False,
    })
    return plt


# Below this many charts, starting worker processes costs more than it saves.
PARALLEL_FROM = 40


def draw_charts(indicators: Sequence[Indicator], actuals: Mapping[tuple[int, str], float],
                      years: Sequence[int], upto: int, *, workers: int = 0,
                      memory_bytes: int = 1024**3, svg: bool = False) -> dict[str, Figure]:
    """Every indicator's chart (item code → Figure), drawn on all cores when there are many (a chart takes
    some 60 ms: a thousand of them would otherwise dominate the report's time). `svg`: each figure also
    saved as SVG, from the same drawing (the web page's charts)."""
    by_item: dict[str, dict[int, float]] = {ind.item_code: {} for ind in indicators}
    for (y, code), v in actuals.items():
        if code in by_item:
            by_item[code][y] = v
    jobs = [(ind, by_item[ind.item_code], tuple(years), upto, svg) for ind in indicators]
    _pyplot()     # matplotlib and its font list loaded once, here: forked workers inherit them
    kept = _Kept.here()
    figures: dict[str, Figure] = {}
    to_draw = []
    for job in jobs:
        figure = kept.figure(job) if kept else None
        if figure is None:
            to_draw.append(job)
        else:
            figures[job[0].item_code] = figure
    if len(to_draw) < PARALLEL_FROM:
        results = isolation.run_inline(_figure_job, to_draw)
    else:
        results = isolation.run_isolated(_figure_job, to_draw, workers=workers, memory_bytes=memory_bytes, timeout=None)
    try:
        for job, outcome in results:
            if isinstance(outcome, isolation.WorkerFailure):
                raise our_failure(outcome.error, outcome.detail, doing=f"参考指標 {job[0].item_code} のグラフの作成中")
            figures[job[0].item_code] = outcome
            if kept:
                kept.keep(job, outcome)
    finally:
        results.close()
    if kept and to_draw:
        prune(kept.folder, KEEP_CHARTS)
    return {ind.item_code: figures[ind.item_code] for ind in indicators}


KEEP_CHARTS = 5_000    # the most recently used kept charts stay (about 30 KB each)
_MAGIC = b"gyozai chart 1\n"


class _Kept:
    """Charts drawn before, by the sha256 of what their bytes depend on (see the module's docstring)."""

    def __init__(self, folder: Path, salt: bytes):
        self.folder, self.salt = folder, salt

    @classmethod
    def here(cls) -> _Kept | None:
        folder = cache_folder("charts")
        if folder is None:
            return None
        import matplotlib
        plt = _pyplot()
        salt = repr((code_version(), matplotlib.__version__, sorted(plt.rcParams.items(), key=lambda kv: kv[0]),
                     _font_files(tuple(plt.rcParams["font.family"])))).encode()
        return cls(folder, salt)

    def _path(self, job: tuple) -> Path:
        ind, own, years, upto, svg = job
        key = hashlib.sha256(self.salt + repr((ind, sorted(own.items()), years, upto, svg)).encode()).hexdigest()
        return self.folder / f"{key}.kept"

    def figure(self, job: tuple) -> Figure | None:
        payload = read_kept(self._path(job), _MAGIC)
        if payload is None or len(payload) < 8:
            return None
        (png_length,) = struct.unpack_from("<Q", payload)
        drawn = {"png": payload[8:8 + png_length], "svg": payload[8 + png_length:]}
        ind, own, years, upto, svg = job
        if not drawn["png"].startswith(b"\x89PNG") or bool(drawn["svg"]) != svg:
            return None
        return indicator_figure(ind, own, years, upto, svg=svg, drawn=drawn)

    def keep(self, job: tuple, figure: Figure) -> None:
        write_kept(self._path(job), _MAGIC, struct.pack("<Q", len(figure.png)) + figure.png + figure.svg)


def _font_files(families: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """The font files the charts' text can be drawn with (name, size, mtime): another font, other bytes."""
    from matplotlib import font_manager
    out = []
    for f in font_manager.fontManager.ttflist:
        if f.name in families:
            try:
                st = Path(f.fname).stat()
            except OSError:
                continue
            out.append((f.fname, st.st_size, st.st_mtime_ns))
    return sorted(out)


def _figure_job(job: tuple[Indicator, dict[int, float], tuple[int, ...], int, bool]) -> Figure:
    ind, own, years, upto, svg = job
    return indicator_figure(ind, own, years, upto, svg=svg)


def indicator_figure(ind: Indicator, actuals: Mapping[int, float], years: Sequence[int], upto: int, *,
                     svg: bool = False, drawn: Mapping[str, bytes] | None = None) -> Figure:
    """The chart of `ind` for the report of year `upto`: `actuals` (year → the year's own figure) of the
    period's `years` up to `upto`; later years stay empty on the axis. `svg`: the SVG as well. `drawn`:
    the drawing kept from before ({"png": …, "svg": …}), so only the text is worked out."""
    shown = [y for y in years if y <= upto and y in actuals]
    values = [actuals[y] for y in shown]
    running = []
    total = 0.0
    for v in values:
        total += v
        running.append(total)
    title = f"{ind.item_code} {ind.name}（{ind.unit}）"
    if drawn is None:
        drawn = _draw(ind, list(years), shown, values, running, formats=("png", "svg") if svg else ("png",))
    return Figure(drawn["png"], _alt(ind, shown, values, running, upto), title, drawn.get("svg", b""))


def _draw(ind: Indicator, years: list[int], shown: list[int], values: list[float], running: list[float], *,
          formats: Sequence[str] = ("png",)) -> dict[str, bytes]:
    """The chart, saved in each of `formats` ("png", "svg") from one drawing."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_CM / 2.54, HEIGHT_CM / 2.54), dpi=DPI)
    try:
        axis_years = sorted({*years, ind.baseline_year} if ind.baseline is not None else set(years))
        x = {y: n for n, y in enumerate(axis_years)}
        ends: list[tuple[float, str]] = []          # (y value, label) written at the right end
        peak = max([0.0, *values, *(running if ind.cumulative else []), ind.baseline or 0, ind.target or 0])
        right = len(axis_years) - 1

        if ind.cumulative and running:
            ax.plot([x[y] for y in shown], running, color="#404040", linestyle="--", marker="s", markersize=4,
                    linewidth=1.2)
            for y, v in zip(shown, running, strict=True):
                ax.annotate(format_number(v), (x[y], v), textcoords="offset points", xytext=(0, 6), ha="center",
                            fontsize=7)
            ends.append((running[-1], "累計"))
        if values:
            ax.plot([x[y] for y in shown], values, color="#1f4e79", linestyle="-", marker="o", markersize=4,
                    linewidth=1.6)
            for y, v in zip(shown, values, strict=True):
                ax.annotate(format_number(v), (x[y], v), textcoords="offset points", xytext=(0, -11), ha="center",
                            fontsize=7)
            ends.append((values[-1], "実績（各年度）" if ind.cumulative else "実績"))
        if ind.target is not None:
            ax.axhline(ind.target, color="#7f7f7f", linestyle=":", linewidth=1.2)
            ends.append((ind.target, f"目標 {'延べ' if ind.cumulative else ''}{quantity(ind.target, ind.unit)}"
                                     f"（{ind.target_year}年度）"))
        if ind.baseline is not None:
            ax.plot([x[ind.baseline_year]], [ind.baseline], linestyle="none", marker="D", markersize=5,
                    markerfacecolor="white", markeredgecolor="#404040")
            ax.annotate(f"基準値 {'*' if ind.baseline_marked else ''}{format_number(ind.baseline)}",
                        (x[ind.baseline_year], ind.baseline), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=7)
            if ind.direction_only:
                ax.axhline(ind.baseline, color="#7f7f7f", linestyle="-.", linewidth=1.0)
                ends.append((ind.baseline, "基準値（目標: 減少）"))
        top = peak * 1.18 if peak > 0 else 1
        for level, label in _spread(ends, gap=top * 0.08):
            ax.annotate(label, (right + 0.4, level), xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize=7, annotation_clip=False)

        ax.set_xticks(range(len(axis_years)), [f"{y}" for y in axis_years])
        ax.set_xlim(-0.4, right + 0.4)
        ax.set_ylim(0, top)
        ax.annotate(f"（{ind.unit}）", (0, 1), xycoords="axes fraction", xytext=(-4, 8), textcoords="offset points",
                    ha="right", va="bottom", fontsize=8)
        ax.set_xlabel("年度")
        ax.yaxis.set_major_formatter(lambda v, _pos: format_number(v))
        ax.grid(axis="y", color="#d9d9d9", linewidth=0.5)
        ax.set_axisbelow(True)
        fig.subplots_adjust(left=0.11, right=0.72, top=0.88, bottom=0.2)
        saved = {}
        for fmt in formats:
            buffer = io.BytesIO()
            if fmt == "png":
                fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
            else:       # no date, no creator: the same bytes for the same chart
                fig.savefig(buffer, format=fmt, metadata={"Date": None, "Creator": None})
            saved[fmt] = buffer.getvalue()
        return saved
    finally:
        plt.close(fig)


def _spread(ends: list[tuple[float, str]], gap: float) -> list[tuple[float, str]]:
    """The end labels moved apart (upwards, in order of height) so that no two overlap."""
    placed: list[tuple[float, str]] = []
    for level, label in sorted(ends):
        if placed and level - placed[-1][0] < gap:
            level = placed[-1][0] + gap
        placed.append((level, label))
    return placed


def _alt(ind: Indicator, shown: list[int], values: list[float], running: list[float], upto: int) -> str:
    parts = [f"{ind.name}（単位 {ind.unit}）の推移を示す折れ線グラフ。"]
    if ind.baseline is not None:
        parts.append(f"基準値は{ind.baseline_year}年度の{quantity(ind.baseline, ind.unit)}。")
    if values:
        parts.append("実績は" + "、".join(f"{y}年度 {quantity(v, ind.unit)}" for y, v in zip(shown, values,
                                                                                            strict=True)) + "。")
        if ind.cumulative:
            parts.append(f"{shown[-1]}年度までの累計は{quantity(running[-1], ind.unit)}。")
    else:
        parts.append(f"{upto}年度までの実績の報告はありません。")
    if ind.target is not None:
        parts.append(f"目標値は{ind.target_year}年度に{'延べ' if ind.cumulative else ''}{quantity(ind.target, ind.unit)}。")
    else:
        parts.append("目標は基準値からの減少。")
    return "".join(parts)
