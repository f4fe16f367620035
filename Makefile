# 行財政改革 進捗調査 — the front door. `make help` lists every target.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
YEAR   ?= 2025
CONFIG ?= config.toml
RUN    := $(PY) -m pipeline --config $(CONFIG)

.DEFAULT_GOAL := help
.PHONY: help install templates collect report status opinions-template opinions-collect demo test bench lint docs-images clean
.PHONY: history-template history-import

help: ## このヘルプ（全ターゲットの一覧）
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  YEAR=$(YEAR) で年度を指定（例: make collect YEAR=2024）"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## .venv を作り、このツールと必要なライブラリを入れる

templates: install ## 年度の調査票を作る（input_templates/YEAR/）
	$(RUN) templates --year $(YEAR)

collect: install ## 受付フォルダー returns/YEAR/ の回答を点検し、取り込む
	$(RUN) collect --year $(YEAR)

report: install ## 報告書（Word/PDF）と参考指標一覧（Excel/CSV）を作る（output/YEAR/）
	$(RUN) report --year $(YEAR)

status: install ## 提出・未提出・差し戻しの状況を1画面で表示する
	$(RUN) status --year $(YEAR)

opinions-template: install ## 委員会の後: 報告書への委員会意見・優良事例の記録票を作る（opinions/YEAR/）
	$(RUN) opinions template --year $(YEAR)

opinions-collect: install ## 記録票に記入した委員会意見・優良事例を点検し、取り込む（翌年度の調査票で尋ねる）
	$(RUN) opinions collect --year $(YEAR)

history-template: install ## 手作業で調査・報告した年度の転記票を作る（history/YEAR/。FORCE=1 で作り直す）
	$(RUN) history template --year $(YEAR) $(if $(FORCE),--force)

history-import: install ## 記入した転記票を点検し、その年度を「転記」として取り込む（collect 済みの年度は FORCE=1）
	$(RUN) history import --year $(YEAR) $(if $(FORCE),--force) $(if $(FILE),"$(FILE)")

demo: install ## 見本の作業フォルダー demo/ で一年分（調査票→回答→回収→報告書）を通す
	$(PY) -m pipeline.demo --workspace demo --year $(YEAR)

test: install ## テストを実行する
	$(PY) -m pytest -q

bench: install ## 性能を測る（調査票・回収・報告書）。規模は BENCH_SIZES=200,2000,10000 REPORT_ITEMS=250,500,1000
	$(PY) -m bench.run --output bench/RESULTS.md

lint: install ## コードの書式・誤りを点検する（ruff）
	$(VENV)/bin/ruff check pipeline tests tools bench

docs-images: install ## README の画像（docs/images/*.png）を LibreOffice で作り直す
	$(PY) tools/docs_images.py --out docs/images

clean: ## 生成物（demo/ と .venv）を消す。回答・データベースは消さない
	rm -rf demo $(VENV) build *.egg-info
