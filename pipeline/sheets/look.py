"""The look every workbook we send shares (the departments' survey workbooks and the committee's register):
the font, the fills people know (yellow to fill in, grey to read), and the cell formats built from them.
One change of look is made here, once."""

from __future__ import annotations

from pipeline.textwidth import wrapped_lines

FONT = "游ゴシック"
FONT_SIZE = 10
LINE_HEIGHT = 15.0
INPUT_FILL = "#FFF2CC"   # yellow: the habit for cells to fill in
LABEL_FILL = "#D9E1F2"   # the charter shades its label cells
HEADER_FILL = "#B4C6E7"
PREVIOUS_FILL = "#EDEDED"   # grey: read-only, for reference

_BASE = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top", "text_wrap": True}
_BORDER = {"border": 1, "border_color": "#808080"}


class Look:
    """The cell formats of one xlsxwriter workbook."""

    def __init__(self, wb) -> None:
        self.wb = wb
        self.title = self.plain(bold=True, font_size=14, text_wrap=False)
        self.subtitle = self.plain(font_size=11, text_wrap=False)
        self.text = self.plain()
        self.label = self.boxed(bold=True, bg_color=LABEL_FILL)
        self.header = self.boxed(bold=True, bg_color=HEADER_FILL, align="center", valign="vcenter")
        self.cell = self.boxed()
        self.input = self.boxed(locked=False, bg_color=INPUT_FILL)
        # in the default number format, so that Excel and Calc put what they recognise in what is typed
        # into the format (80% becomes 0.8 shown as a percent: collect reads it back as 80); Calc applies
        # the format it recognises only to a cell in the default format
        self.input_number = self.boxed(locked=False, bg_color=INPUT_FILL, align="right")
        self.note = self.plain(font_color="#595959", font_size=9)
        self.previous = self.boxed(bg_color=PREVIOUS_FILL, font_size=9)
        self.previous_header = self.boxed(bold=True, bg_color=PREVIOUS_FILL, align="center", valign="vcenter")

    def plain(self, **extra):
        """A format in the workbook's font, wrapped and top-aligned, with `extra` properties."""
        return self.wb.add_format({**_BASE, **extra})

    def boxed(self, **extra):
        """The same, with the thin grey border of a form's cells."""
        return self.wb.add_format({**_BASE, **_BORDER, **extra})


def label_rows(ws, row: int, rows: list[tuple[str, str]], look: Look, width: int) -> int:
    """Rows of a label (column A) and its text (column B, `width` characters wide) from `row`, each as tall
    as its text; the next free row."""
    for label, text in rows:
        ws.write_string(row, 0, label, look.label)
        ws.write_string(row, 1, text, look.cell)
        ws.set_row(row, LINE_HEIGHT * wrapped_lines(text, width))
        row += 1
    return row


def length_rule(field_name: str, required: bool, limit: int) -> dict:
    """The data validation of a text input: at most `limit` characters, with a prompt saying so."""
    return {
        "validate": "length",
        "criteria": "<=",
        "value": limit,
        "input_title": f"{field_name}（{'必須' if required else '任意'}）"[:32],
        "input_message": f"{limit}文字以内で記入してください。",
        "error_title": "文字数の超過",
        "error_message": f"{field_name}は{limit}文字以内で記入してください。",
    }


def meanings_table(ws, row: int, headers: tuple[str, str], rows: list[tuple[str, str]], look: Look) -> int:
    """A two-column table on a guide sheet (a choice and what it means) from `row`; the next free row."""
    ws.write_string(row, 0, headers[0], look.header)
    ws.write_string(row, 1, headers[1], look.header)
    for n, (label, meaning) in enumerate(rows, row + 1):
        ws.write_string(n, 0, label, look.label)
        ws.write_string(n, 1, meaning, look.cell)
    return row + 1 + len(rows)


def print_setup(ws, repeat: tuple[int, int]) -> None:
    """A form sheet printed as every workbook we send prints: A4 landscape, fit to width, the rows `repeat`
    (first, last) on every page, page numbers; then protected (only the yellow cells can be typed into)."""
    ws.set_paper(9)          # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)    # fit to width, as many pages down as needed
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.repeat_rows(*repeat)
    ws.set_footer("&C&P / &N")
    ws.protect("", {"format_columns": True, "format_rows": True})


def identity_sheet(wb, name: str, identity: dict[str, str]) -> None:
    """The workbook's identity as a very hidden, protected sheet `name` (key in A, value in B), read back on intake."""
    ws = wb.add_worksheet(name)
    for row, (key, value) in enumerate(identity.items()):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
    ws.protect()
    ws.very_hidden()
