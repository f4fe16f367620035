from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.config import Config, load_config
from pipeline.plan import Plan, load_plan
from pipeline.survey.workbook import template_file_name, write_templates
from tests.filling import ReturnFiller

ROOT = Path(__file__).resolve().parent.parent
PLAN_FILE = ROOT / "plan" / "izunokuni_2022_2025.toml"
# The charter as extracted from its PDF (the source the plan file was transcribed from).
SEED = ROOT / "plan" / "charter_source.txt"
YEAR = 2024


@dataclass
class Project:
    """A throwaway project folder with its own config, using the real plan file."""

    root: Path
    config: Config
    plan: Plan

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    def template(self, code: str, year: int = YEAR) -> Path:
        dept = self.plan.department_by_code[code]
        return self.config.templates_for(year) / template_file_name(self.plan, year, dept)

    def filler(self, code: str, year: int = YEAR) -> ReturnFiller:
        return ReturnFiller(self.template(code, year))

    def inbox(self, year: int = YEAR) -> Path:
        return self.config.returns_for(year)

    def return_all(self, year: int = YEAR, except_codes: tuple[str, ...] = ()) -> dict[str, Path]:
        """Every surveyed department returns a clean workbook (but those in except_codes)."""
        out = {}
        for d in self.plan.for_year(year).surveyed_departments():     # who is asked that year
            if d.code not in except_codes:
                out[d.code] = self.clean_return(d.code, year, self.inbox(year) / f"{d.name}.xlsx")
        return out

    def clean_return(self, code: str, year: int, path: Path) -> Path:
        """`self.filler(code, year).fill_all().save(path)`: the same bytes, filled once per template (filling
        with openpyxl is most of a test's time; the fill and the save are deterministic, so a template's
        clean return is kept by the template's hash for the rest of the test run)."""
        template = self.template(code, year).read_bytes()
        key = hashlib.sha256(template).hexdigest()
        if key not in _CLEAN_RETURNS:
            self.filler(code, year).fill_all().save(path)
            _CLEAN_RETURNS[key] = path.read_bytes()
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_CLEAN_RETURNS[key])
        return path


# template sha256 → its clean return's bytes (Project.clean_return), in this test process
_CLEAN_RETURNS: dict[str, bytes] = {}


def make_project(root: Path) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('file = "plan/izunokuni_2022_2025.toml"', f'file = "{PLAN_FILE.as_posix()}"')
    (root / "config.toml").write_text(text, encoding="utf-8")
    config = load_config(root / "config.toml")
    return Project(root, config, load_plan(config.plan_file))


def copied_project(made: Path, root: Path) -> Project:
    """A project made once (a module's cached root) copied to `root` for one test, file times kept."""
    shutil.copytree(made, root)
    config = load_config(root / "config.toml")
    return Project(root, config, load_plan(config.plan_file))


@pytest.fixture(scope="session")
def _templates_cache(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("cache"))
    for year in (2023, 2024):
        write_templates(project.plan, project.config, year)
    return project.config.templates_dir


@pytest.fixture
def project(tmp_path, _templates_cache) -> Project:
    """A fresh project with the 2023 and 2024 workbooks already generated."""
    p = make_project(tmp_path / "project")
    shutil.copytree(_templates_cache, p.config.templates_dir)
    return p


@pytest.fixture
def plan() -> Plan:
    return load_plan(PLAN_FILE)


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory):
    """(plan, config, store): a store filled as two collect runs would leave it (tests/report_fixtures.py),
    one per test module, for the report and public table tests."""
    from tests import report_fixtures as F

    plan = F.plan()
    config = F.config(tmp_path_factory.mktemp("filled"))
    store = F.filled_store(config.store_path, plan)
    yield plan, config, store
    store.close()


REPORT_DATE = dt.date(2025, 6, 20)    # the report on YEAR, dated as the secretariat would


@pytest.fixture(scope="session")
def docx_bytes(tmp_path_factory) -> bytes:
    """The report on YEAR from a store filled as `filled_store` is, as .docx bytes as the report command writes
    them (bytes cannot be changed by a test, so one per test process)."""
    from tests import report_fixtures as F

    plan = F.plan()
    config = F.config(tmp_path_factory.mktemp("docx"))
    F.filled_store(config.store_path, plan).close()
    return F.docx_of(plan, config, YEAR, REPORT_DATE)


@pytest.fixture(scope="module")
def document(docx_bytes):
    """The same report, opened with python-docx."""
    from docx import Document

    return Document(io.BytesIO(docx_bytes))
