"""The web page (output/<year>/web/index.html) read as HTML, without a browser (tests/test_web_browser.py runs
axe-core on it in Chromium): what it shows, its structure for assistive technology, a return's text shown as
its characters, self-contained, the files it links, the same bytes for the same store and date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from pipeline.plan import Exclusion
from pipeline.report import charts
from pipeline.report.data import load_report_data
from pipeline.report.usecase import make_report
from pipeline.report.web import build_page
from pipeline.report.web_charts import inline_svg
from pipeline.store import Store
from tests import report_fixtures as F

YEAR = 2024
TODAY = dt.date(2025, 6, 20)
SCRIPT = "<script>alert(1)</script>"
QUOTES = '"quotes" & &amp; <b>太字</b>'
VOID = {"meta", "br", "hr", "img", "input", "link", "source", "col", "wbr", "area", "base", "embed", "track", "use",
        "path", "rect", "circle", "line", "polyline", "polygon", "stop", "ellipse"}


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict
    children: list = dataclasses.field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("#document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, dict(attrs), parent=self.at))

    def handle_endtag(self, tag):
        node = self.at
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.at = node.parent

    def handle_data(self, data):
        self.at.children.append(data)


def parse(page: bytes) -> Node:
    tree = _Tree()
    tree.feed(page.decode("utf-8"))
    tree.close()
    return tree.root


def hostile_store(path, plan):
    """The filled store, where 情報政策課's 2024 answer on 1101-01 carries markup, a formula and entities."""
    store = F.filled_store(path, plan)
    record = F.year_record(plan, 2024)
    answers = [(dataclasses.replace(a, result=SCRIPT, issues=QUOTES, next_plan=F.HYPERLINK), sha)
               if (a.initiative_id, a.department_code) == ("1101-01", "01") else (a, sha) for a, sha in record.answers]
    store.replace_year(dataclasses.replace(record, answers=answers))
    return store


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The report written without LibreOffice for 2024 from the hostile store: (result, page bytes, tree)."""
    tmp = tmp_path_factory.mktemp("web")
    plan, config = F.plan(), F.config(tmp)
    with hostile_store(config.store_path, plan):
        result = make_report(plan, config, YEAR, TODAY, use_office=False)
    page = result.web.read_bytes()
    return result, page, parse(page)


@pytest.fixture(scope="module")
def tree(written) -> Node:
    return written[2]


def text_of_page(tree: Node) -> str:
    return tree.text()


# --- what it shows ------------------------------------------------------------------------------------

def test_content__year_plan_counts_items_indicators_date_and_contact(tree):
    text = tree.text()
    h1 = [h.text() for h in tree.iter("h1")]
    assert h1 == ["第3次伊豆の国市行財政改革大綱 後期行動計画 進捗状況（令和6年度（2024年度）実績）"]
    plan = F.plan().for_year(YEAR)
    for item in plan.items:
        assert f"{item.code} {item.title}" in text
    for ind in plan.indicators:
        assert ind.name in text
    assert "( )内は2023年度からの増減（▲は減少）です。" in text
    assert "作成日: 令和7年6月20日（2025年6月20日）" in text
    config = F.config(F.ROOT)
    assert f"問い合わせ先: {config.secretariat.contact_line}" in text
    assert "計画期間の総括" not in text      # only in the plan's last year


def test_content__未提出_and_未確定_rows_say_why(tree):
    rows = [[c.text() for c in tr.children if isinstance(c, Node)] for tr in tree.iter("tr")]
    assert ["商工課", "未提出", "調査票が提出されていません。"] in [r[-3:] for r in rows]
    assert ["福祉事務所", "未確定", "調査票に誤りがあり差し戻し中のため、内容は未確定です。"] in [r[-3:] for r in rows]


def test_content__grade_counts_per_pillar_with_the_change(tree):
    table = next(t for t in tree.iter("table") if next(t.iter("caption")).text().startswith("取組項目の自己評価の件数"))
    header = [th.text() for th in next(table.iter("thead")).iter("th")]
    assert header == ["柱", "S", "A", "B", "C", "未提出", "未確定", "計"]
    total = next(tr for tr in table.iter("tr") if next(tr.iter("th")).text() == "合計")
    assert all(re.fullmatch(r"\d+\n\((\+\d+|▲\d+|±0)\)", td.text()) for td in total.iter("td"))


def test_content__indicator_table_has_every_years_actual_and_the_judgement(tree):
    table = next(t for t in tree.iter("table") if next(t.iter("caption")).text().startswith("参考指標の実績と達成率"))
    rows = {tr.children[0].text(): [c.text() for c in tr.children if isinstance(c, Node)]
            for tr in next(table.iter("tbody")).iter("tr")}
    assert rows["1101"][1:8] == ["公式LINE登録者数", "6,794件\n(2021年度)", "−", "7,000件", "7,500件", "9,000件", "7,500件"]
    assert rows["2302"][3:6] == ["−", "未提出", "未提出"] and rows["2302"][-2] == "未提出"


def test_excluded_item__reads_対象外_with_its_reason(filled_store):
    plan, config, store = filled_store
    plan = dataclasses.replace(plan, items=tuple(
        dataclasses.replace(i, excluded=(Exclusion(2024, "制度の見直しのため"),)) if i.code == "1102" else i
        for i in plan.items)).for_year(YEAR)
    data = load_report_data(plan, store, YEAR)
    figures = {code: charts.Figure(b"", f"{code} の説明", code) for code in data.figures}   # no SVG: the text
    text = parse(build_page(plan, data, config, TODAY, figures, [])).text()
    assert "この取組項目は、令和6年度（2024年度）は評価の対象外です（理由: 制度の見直しのため）。" in text
    assert "2024年度は対象外です（制度の見直しのため）。" in text
    assert "1101 の説明" in text


# --- structure -------------------------------------------------------------------------------------

def test_structure__lang_ja_one_h1_headings_never_skip_a_level(tree):
    assert next(tree.iter("html")).attrs["lang"] == "ja"
    levels = [int(n.tag[1]) for n in tree.iter() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert {"header", "nav", "main", "footer"} <= {n.tag for n in tree.iter()}
    skip = next(tree.iter("a"))
    assert skip.attrs["href"] == "#main" and next(n for n in tree.iter("main")).attrs["id"] == "main"


def test_structure__every_table_has_a_caption_header_cells_with_scope_in_a_scrolling_region(tree):
    ids = {n.attrs["id"] for n in tree.iter() if "id" in n.attrs}
    tables = list(tree.iter("table"))
    assert len(tables) > 20
    for table in tables:
        caption = next(table.iter("caption"))
        assert caption.text() and caption.attrs["id"] in ids
        assert all(th.attrs.get("scope") in ("col", "row") for th in table.iter("th"))
        box = table.parent
        assert box.tag == "div" and box.attrs == {"class": "scroll", "role": "region",
                                                  "aria-labelledby": caption.attrs["id"], "tabindex": "0"}
    all_ids = [n.attrs["id"] for n in tree.iter() if "id" in n.attrs]
    assert len(all_ids) == len(set(all_ids))
    targets = {a.attrs["href"][1:] for a in tree.iter("a") if a.attrs["href"].startswith("#")}
    assert targets <= ids


def test_charts__inline_svg_named_and_described_with_the_numbers(tree, written):
    svgs = list(tree.iter("svg"))
    assert len(svgs) == 17
    for svg in svgs:
        assert svg.attrs["role"] == "img" and "width" not in svg.attrs and "viewbox" in svg.attrs   # (html.parser lowers the names)
        title_id, desc_id = svg.attrs["aria-labelledby"].split()
        title, desc = next(svg.iter("title")), next(svg.iter("desc"))
        assert (title.attrs["id"], desc.attrs["id"]) == (title_id, desc_id)
        assert title.text() and ("実績は" in desc.text() or "実績の報告はありません" in desc.text())
    first = svgs[0]
    assert next(first.iter("title")).text() == "1101 公式LINE登録者数（件）"
    assert "実績は2023年度 7,000件、2024年度 7,500件。" in next(first.iter("desc")).text()
    page = written[1].decode("utf-8")
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "<metadata" not in page


def test_charts__the_png_is_the_same_whether_the_svg_is_saved_or_not():
    plan = F.plan()
    ind = plan.indicators[0]
    plain = charts.indicator_figure(ind, {2023: 7000, 2024: 7500}, plan.years, 2024)
    both = charts.indicator_figure(ind, {2023: 7000, 2024: 7500}, plan.years, 2024, svg=True)
    assert both.png == plain.png and plain.svg == b"" and both.svg.startswith(b"<?xml")


def test_inline_svg__ids_made_unique_per_chart_and_title_escaped():
    svg = (b'<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5" '
           b'xmlns="http://www.w3.org/2000/svg"><metadata>x</metadata><g id="figure_1"><defs><path id="m1"/></defs>'
           b'<use xlink:href="#m1"/><g clip-path="url(#p2)"/><clipPath id="p2"/></g></svg>\n')
    out = inline_svg(svg, "chart-1", "<a> & b", 'say "1"')
    assert out.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'width="10pt"' not in out
    assert '<title id="chart-1-title">&lt;a&gt; &amp; b</title>' in out
    assert 'id="chart-1-m1"' in out and 'href="#chart-1-m1"' in out and 'url(#chart-1-p2)' in out
    assert 'id="figure_1"' not in out and "metadata" not in out


# --- a return's text ------------------------------------------------------------------------------------

def test_return_texts__shown_as_their_characters_never_markup_or_a_link(tree, written):
    result, page, _ = written
    row = next(tr for tr in tree.iter("tr") if any(td.text() == SCRIPT for td in tr.iter("td")))
    assert [td.text() for td in row.iter("td")][-3:] == [SCRIPT, QUOTES, F.HYPERLINK]
    assert F.HYPERLINK in tree.text()            # 1101's reason, as typed
    assert F.DDE in tree.text() and F.URL in tree.text() and F.CONTROL_CLEAN in tree.text()
    assert not list(tree.iter("script")) and not list(tree.iter("b"))
    assert b"<script" not in page.lower() and b"<b>" not in page
    ours = {"#" + n.attrs["id"] for n in tree.iter() if "id" in n.attrs} | {
        "%E5%8F%82%E8%80%83%E6%8C%87%E6%A8%99%E4%B8%80%E8%A6%A7_R06_2024%E5%B9%B4%E5%BA%A6.xlsx",
        "%E5%8F%82%E8%80%83%E6%8C%87%E6%A8%99%E4%B8%80%E8%A6%A7_R06_2024%E5%B9%B4%E5%BA%A6.csv"}
    assert {a.attrs["href"] for a in tree.iter("a")} <= ours


def test_self_contained__nothing_loaded_from_elsewhere_no_script(tree, written):
    page = written[1].decode("utf-8")
    assert not [n for n in tree.iter() if n.tag in ("script", "link", "img", "iframe", "object", "embed")]
    assert not [n for n in tree.iter() if "src" in n.attrs or n.attrs.get("href", "").startswith(("http", "//"))]
    style = next(tree.iter("style")).text()
    assert "@import" not in style and "url(" not in style
    assert not re.search(r"\son[a-z]+=", page)          # no event handler attributes
    viewport = [m.attrs for m in tree.iter("meta") if m.attrs.get("name") == "viewport"]
    assert viewport == [{"name": "viewport", "content": "width=device-width, initial-scale=1"}]


# --- the files ---------------------------------------------------------------------------------------

def test_files__page_and_copies_of_what_it_links_beside_it(written, tmp_path):
    result, _page, tree = written
    assert result.web == result.folder / "web" / "index.html"
    assert [p.relative_to(result.folder).as_posix() for p in result.paths] == [
        "進捗状況報告書_R06_2024年度.docx", "参考指標一覧_R06_2024年度.xlsx", "参考指標一覧_R06_2024年度.csv",
        "web/index.html"]
    for path in (result.xlsx, result.csv):
        assert (result.folder / "web" / path.name).read_bytes() == path.read_bytes()
    assert not (result.folder / "web" / "進捗状況報告書_R06_2024年度.pdf").exists()   # no PDF made: none linked
    links = [a.text() for a in tree.iter("a") if not a.attrs["href"].startswith("#")]
    assert links == ["参考指標一覧（Excel形式、" + f"{round(result.xlsx.stat().st_size / 1000)}KB）",
                     "参考指標一覧（CSV形式、" + f"{max(1, round(result.csv.stat().st_size / 1000))}KB）"]
    assert not list(result.folder.rglob(".*.tmp*"))


def test_files__an_earlier_pdf_copy_goes_when_this_run_made_none(filled_store, tmp_path):
    plan, config, store = filled_store
    config = dataclasses.replace(config, output_dir=tmp_path / "out")
    stale = config.output_for(YEAR) / "web" / "進捗状況報告書_R06_2024年度.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.7 an earlier report")
    make_report(plan, config, YEAR, TODAY, use_office=False)
    assert not stale.exists()


def test_determinism__same_store_and_date_same_bytes_another_date_another_page(filled_store, tmp_path):
    plan, config, store = filled_store
    pages = [make_report(plan, dataclasses.replace(config, output_dir=tmp_path / run), YEAR, day,
                          use_office=False).web.read_bytes()
             for run, day in (("a", TODAY), ("b", TODAY), ("c", dt.date(2025, 7, 1)))]
    assert pages[0] == pages[1]
    assert pages[2] != pages[0] and "作成日: 令和7年7月1日（2025年7月1日）" in pages[2].decode("utf-8")


def test_final_year__the_plan_period_summary(tmp_path):
    plan, config = F.plan(), F.config(tmp_path)
    with F.final_year_store(config.store_path, plan) as store:
        data = load_report_data(plan, store, 2025)
    figures = {code: charts.Figure(b"", "説明", code) for code in data.figures}
    tree = parse(build_page(plan.for_year(2025), data, config, dt.date(2026, 6, 20), figures, []))
    h2 = [h.text() for h in tree.iter("h2")]
    assert "計画期間の総括" in h2
    text = tree.text()
    assert "計画期間の4年間で、参考指標17指標のうち" in text
    table = next(t for t in tree.iter("table") if next(t.iter("caption")).text() == "達成状況ごとの指標の数")
    assert [th.text() for th in table.iter("th")] == ["達成", "未達成", "判定不能", "計"]
    assert [td.text() for td in table.iter("td")][-1] == "17"


def test_cli__lists_the_page(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main

    config_path = F.write_config(tmp_path)
    with Store(tmp_path / "output" / "progress.sqlite") as store:
        for year in (2023, 2024):
            store.replace_year(F.year_record(F.plan(), year))
    result = CliRunner().invoke(main, ["--config", str(config_path), "report", "--year", "2024",
                                       "--date", "2025-06-20", "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "  web/index.html\n" in result.output
    assert (tmp_path / "output" / "2024" / "web" / "index.html").exists()
