"""A wrong or missing key gets one clear line naming the key and exit status 2, never a traceback."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from pipeline import platform
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.errors import ConfigError
from tests.conftest import ROOT


def _config_with(tmp_path, old: str, new: str):
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_config__relative_paths__resolve_against_the_config_folder(tmp_path):
    path = _config_with(tmp_path, 'store = "output/progress.sqlite"', 'store = "data/progress.sqlite"')
    config = load_config(path)
    assert config.store_path == tmp_path / "data" / "progress.sqlite"
    assert config.templates_for(2024) == tmp_path / "input_templates" / "2024"
    assert config.plan_file == tmp_path / "plan" / "izunokuni_2022_2025.toml"


def test_config__deadline__month_day_after_the_fiscal_year_end(tmp_path):
    config = load_config(_config_with(tmp_path, '# deadlines = { 2024 = 2025-05-30 }', 'deadlines = { 2024 = 2025-05-30 }'))
    assert config.deadline(2024) == dt.date(2025, 5, 30)
    assert config.deadline(2023) == dt.date(2024, 5, 31)


@pytest.mark.parametrize("old, new, key", [
    ('store = "output/progress.sqlite"', 'stor = "x"', "paths.stor"),
    ('store = "output/progress.sqlite"', '#', "paths.store"),
    ('[secretariat]\nname', '[secretariat]\n#name', "secretariat.name"),
    ('file = "plan/izunokuni_2022_2025.toml"', 'plan_file = "x"', "plan.plan_file"),
    ('deadline = "05-31"', 'deadline = "31 May"', "survey.deadline"),
    ('name = "伊豆の国市 総務部 行政経営課"', 'name = ""', "secretariat.name"),
    ('[secretariat]', '[secretariat]\nfax = "1"', "secretariat.fax"),
    ('max_text_length = 1000', 'max_text_length = "many"', "survey.max_text_length"),
])
def test_config__wrong_or_missing_key__error_names_the_key(tmp_path, old, new, key):
    with pytest.raises(ConfigError) as err:
        load_config(_config_with(tmp_path, old, new))
    assert f": {key} " in str(err.value)


def test_config__grade_list_too_long_for_excel__refused(tmp_path):
    path = _config_with(tmp_path, 'label = "計画以上"', 'label = "' + "長" * 260 + '"')
    with pytest.raises(ConfigError, match="255"):
        load_config(path)


def test_cli__missing_key__one_line_and_exit_2(tmp_path):
    path = _config_with(tmp_path, 'templates = "input_templates"', 'templats = "input_templates"')
    result = CliRunner().invoke(main, ["--config", str(path), "templates", "--year", "2024"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"エラー: 設定ファイル {path}: paths.templats は不明なキーです。綴りを確認してください。"]


def test_cli__missing_config_file__says_where_and_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "plan-check"])
    assert result.exit_code == 2
    assert "が見つかりません" in result.output and "--config" in result.output


def test_cli__plan_with_mistakes__lists_them_and_exit_2(tmp_path):
    plan = (ROOT / "plan" / "izunokuni_2022_2025.toml").read_text(encoding="utf-8")
    (tmp_path / "plan.toml").write_text(plan.replace('unit = "件"', 'unit = ""', 1), encoding="utf-8")
    path = _config_with(tmp_path, 'file = "plan/izunokuni_2022_2025.toml"', 'file = "plan.toml"')
    result = CliRunner().invoke(main, ["--config", str(path), "templates", "--year", "2024"])
    assert result.exit_code == 2
    assert "items[1101].indicator.unit: 単位がありません" in result.output


def test_cli__every_command__has_help_with_an_example():
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert re.search(r"例:(?:\s+make .*)?\s+" + re.escape(platform.venv_python()) + " -m pipeline " + re.escape(name),
                         result.output), \
            f"{name} --help has no example that runs as printed"
