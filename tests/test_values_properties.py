"""Property-based tests for the normalisers and validators of values (hypothesis)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.files import csv_safe
from pipeline.intake.reader import _FORMULA, has_formula
from pipeline.values import (
    clean_text,
    format_number,
    hundredfold,
    normalise_choice,
    parse_number,
    spreadsheet_number,
)

FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
PROBLEMS = {"", "VALUE_003", "VALUE_004", "VALUE_007"}


@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.booleans(), st.sampled_from(["", "件", " 件"]),
       st.sampled_from(["", " ", "\u3000"]))
def test_parse_number__any_count_as_staff_type_it__reads_back_exactly(n, separators, full_width, unit, space):
    text = f"{n:,}" if separators else str(n)
    if full_width:
        text = text.translate(FULL_WIDTH)
    parsed = parse_number(f"{space}{text}{unit}{space}", "件")
    assert (parsed.value, parsed.problem) == (n, "")


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_parse_number__formatted_number__round_trips(value):
    assert parse_number(format_number(float(value)), "%").value == float(format_number(float(value)).replace(",", ""))


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.none(), st.booleans()))
def test_parse_number__anything__never_raises_and_names_a_known_problem(value):
    parsed = parse_number(value, "件")
    assert parsed.problem in PROBLEMS
    assert (parsed.value is None) == (parsed.problem in {"VALUE_003", "VALUE_004"})


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No")), min_size=1, max_size=10))
def test_parse_number__text_without_digits__is_not_a_number(text):
    assert parse_number(text, "件").problem in {"VALUE_003", "VALUE_004"}


@given(st.text(max_size=200))
def test_clean_text__output_has_no_forbidden_characters_and_is_idempotent(text):
    cleaned = clean_text(text)
    assert not FORBIDDEN.search(cleaned.text)
    assert "\r" not in cleaned.text
    assert clean_text(cleaned.text).text == cleaned.text


# the invisible characters clean_text removes with a warning (VALUE_016): not ordinary text
INVISIBLE = "\u061c\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"),
                                      blacklist_characters="\ufffe\uffff_" + INVISIBLE), max_size=200))
def test_clean_text__ordinary_text__kept_character_for_character(text):
    cleaned = clean_text(text)
    assert cleaned.text == text.strip() and not cleaned.removed_control


@given(st.sampled_from(["完了", "実施中", "A：計画どおり", "S：計画以上"]), st.sampled_from(["", " ", "\u3000", "\n"]))
def test_normalise_choice__full_width_and_spaces__match_the_choice(choice, pad):
    full = choice.replace("A", "Ａ").replace("S", "Ｓ").replace("：", ":")
    assert normalise_choice(pad + full + pad) == normalise_choice(choice)


@given(st.text(max_size=50))
def test_normalise_choice__is_idempotent(text):
    assert normalise_choice(normalise_choice(text)) == normalise_choice(text)


@given(st.text(max_size=50))
def test_csv_safe__never_leaves_a_formula_trigger_first(text):
    safe = csv_safe(text)
    assert safe[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert safe == text or safe == "'" + text


# --- the formula search of the gate and the reader --------------------------------------------------

_XML_PIECES = st.sampled_from([b"<", b">", b"/", b":", b"f", b"x", b"_", b"1", b" ", b"\t", b"\n", b"<f", b":f",
                                b"<x:f", b"<f>", b"<formula1>", b"</f>", b"<c r=\"A1\">", b"<x:f ", b"a:f/",
                                b"\xe3\x81\x82", b"<!", b"=\"f\""])


@given(st.lists(_XML_PIECES, max_size=40).map(b"".join))
def test_has_formula__same_answer_as_the_pattern_on_any_xml_like_bytes(xml):
    assert has_formula(xml) == (_FORMULA.search(xml) is not None)


# --- the number a spreadsheet cell means (values.spreadsheet_number): 15 significant digits ---------------

# short decimals as departments use them: counts, amounts and rates with up to two decimal places
SHORT = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
FACTOR = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("pasted", "shown"), [(5820 * 1.1, 6402), (7000 * 1.15, 8050), (0.57 * 100, 57),
                                                (0.1 + 0.2, 0.3), (-(5820 * 1.1), -6402)])
def test_spreadsheet_number__the_issues_pasted_sums__the_number_excel_shows(pasted, shown):
    assert pasted != shown       # (the float residue is really there)
    assert spreadsheet_number(pasted) == shown
    assert parse_number(pasted, allow_negative=True).value == shown


@given(SHORT, FACTOR)
def test_spreadsheet_number__product_of_short_decimals__the_exact_product(a, b):
    assert spreadsheet_number(float(a) * float(b)) == float(a * b)


@given(SHORT, SHORT)
def test_spreadsheet_number__sum_of_short_decimals__the_exact_sum(a, b):
    # (a long running sum can carry its residue into the 15th digit: then Excel shows it too, and so do we)
    assert spreadsheet_number(float(a) + float(b)) == float(a + b)


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1), st.integers(min_value=-30, max_value=30))
def test_spreadsheet_number__fifteen_digits_or_fewer__unchanged(mantissa, exponent):
    typed = float(f"{mantissa}e{exponent}")
    assert spreadsheet_number(typed) == typed
    assert parse_number(typed, allow_negative=True).value == typed


# what a cell can hold: Excel's largest number is 9.99999999999999E+307, its smallest 2.2250738585072E-308
# (no subnormal doubles, which have fewer than 15 significant digits of precision)
CELL_FLOATS = st.floats(min_value=-9.99999999999999e307, max_value=9.99999999999999e307, allow_subnormal=False)


@given(CELL_FLOATS)
def test_spreadsheet_number__any_cell_number__idempotent_and_within_fifteen_digits(value):
    once = spreadsheet_number(value)
    assert spreadsheet_number(once) == once
    digits = repr(once).split("e")[0].replace("-", "").replace(".", "").strip("0")   # the shortest round trip
    assert len(digits) <= 15
    assert abs(once - value) <= abs(value) * 5e-15


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_spreadsheet_number__order__never_reversed(a, b):
    low, high = sorted((a, b))
    assert spreadsheet_number(low) <= spreadsheet_number(high)
    if spreadsheet_number(low) != spreadsheet_number(high):       # distinct as shown: the same order
        assert low < high


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, 0.0), (-0.0, 0.0), (5e-324, 5e-324), (1e-300 * 3, 3e-300), (1.7976931348623157e308, 1.7976931348623157e308),
    (123456789012345.6, 123456789012346.0), (1e15, 1e15), (0.1, 0.1),
])
def test_spreadsheet_number__edges(value, expected):
    assert spreadsheet_number(value) == expected
    assert math.copysign(1, spreadsheet_number(value)) == math.copysign(1, expected)


def test_hundredfold__percent_of_a_residue__the_percent_shown():
    assert hundredfold(0.5700000000000001) == 57
    assert hundredfold(0.447) == 44.7
