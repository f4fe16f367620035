"""The catalogue of findings: every code the pipeline names exists, every message can be filled in, and a
misspelt code or a broken message is refused when the catalogue is built."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.findings import CATALOGUE, Code, Entry, Severity, _checked, finding, placeholders
from tests.conftest import ROOT


def test_every_code_the_pipeline_names_is_in_the_catalogue():
    named = {m for p in (ROOT / "pipeline").rglob("*.py") for m in re.findall(r"\bCode\.(\w+)", p.read_text("utf-8"))}
    assert named, "the pipeline names its codes as Code.X"
    assert named - set(CATALOGUE) == set()


def test_no_code_is_written_as_a_bare_string_in_the_pipeline():
    bare = re.compile(r"[\"'](?:FILE|IDENT|SUBM|SHEET|ROW|VALUE)_\d{3}[\"']")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "pipeline").rglob("*.py") if p.name != "findings.py"
                 for n, line in enumerate(p.read_text("utf-8").splitlines(), 1) if bare.search(line)]
    assert offenders == []


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_fills_in_with_its_placeholders(code):
    f = finding(code, file="a.xlsx", department="情報政策課", sheet="2101", cell="B7", field="進捗状況", value="x",
                **{name: 1 for name in placeholders(code)})
    assert f.code is Code[code] and "{" not in f.message and f.severity in (Severity.ERROR, Severity.WARNING)


def test_a_misspelt_code_is_an_attribute_error():
    with pytest.raises(AttributeError):
        Code.VALEU_003  # noqa: B018


@pytest.mark.parametrize(("catalogue", "says"), [
    ({"VALUE_01": Entry(Severity.ERROR, "t", "m")}, "PREFIX_NNN"),
    ({"CELL_001": Entry(Severity.ERROR, "t", "m")}, "PREFIX_NNN"),
    ({"VALUE_099": Entry(Severity.ERROR, "", "m")}, "required"),
    ({"VALUE_099": Entry(Severity.ERROR, "t", "「{field 名}」")}, "not a name"),
])
def test_the_catalogue_refuses_a_bad_code_or_message(catalogue, says):
    with pytest.raises(ValueError, match=says):
        _checked(catalogue)


def test_findings_module_has_no_pipeline_imports():
    """values, plan and every stage use the catalogue: it must depend on nothing of ours."""
    source = Path(ROOT / "pipeline" / "findings.py").read_text("utf-8")
    assert not re.search(r"^from pipeline|^import pipeline", source, re.M)
