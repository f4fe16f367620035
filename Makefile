# 行財政改革 進捗調査 — the front door. `make help` lists every target.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
YEAR   ?= 2025
CONFIG ?= config.toml
RUN    := $(PY) -m pipeline --config $(CONFIG)
# Options people add on the make line: FORCE=1 (上書き), DEPT=05,18 (部署を指定), MASTER= / OUT= (計画マスタ).
FORCE  ?=
DEPT   ?=
MASTER ?= 計画マスタ.xlsx
OUT    ?=
TODAY  ?=
comma  := ,
FORCE_OPT := $(if $(filter-out 0 no,$(FORCE)),--force)
DEPT_OPT  := $(foreach d,$(subst $(comma), ,$(DEPT)),--department $(d))
TODAY_OPT := $(if $(TODAY),--today $(TODAY))
# Exit 1 means "the input needs fixing" (a return with errors, a department that has not returned, a register
# or plan master with mistakes): the command has already said so in Japanese, its summary is the last line, and
# make ends normally. Exit 2 (the run could not go on: a usage or config mistake, the store or an output that
# cannot be written) still fails make, so that `make collect report` stops there. Scripts that need the exit
# code run the command itself: .venv/bin/python -m pipeline collect --year 2025.
INPUT_NEEDS_FIXING := || { status=$$?; [ $$status -eq 1 ] || exit $$status; }

.DEFAULT_GOAL := help
.PHONY: help install check templates collect report status opinions-template opinions-collect plan-check plan-export \
        plan-import demo test test-fast bench lint docs-images clean original
.PHONY: history-template history-import

help: ## このヘルプ（全ターゲットの一覧）
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  YEAR=$(YEAR) で年度を指定（例: make collect YEAR=2024、R6・令和6年度・2024年度とも書けます）"
	@echo "  FORCE=1 で既存のファイルを上書き（templates・opinions-template・plan-export・plan-import）"
	@echo "  DEPT=05,18 で部署を指定（templates。original は1部署）、CONFIG=別の設定.toml で設定ファイルを指定"
	@echo "  collect・status などは、直すべき回答があっても最後に要約を表示して終わります（終了コードが必要なら"
	@echo "  .venv/bin/python -m pipeline collect --year 2025 のようにコマンドを直接実行）"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## .venv を作り、このツールと必要なライブラリを入れる

check: install ## 最初の調査票を送る前の点検（連絡先・提出期限・計画・LibreOffice・フォルダー）。TODAY=YYYY-MM-DD で基準日
	@$(RUN) check --year $(YEAR) $(TODAY_OPT) $(INPUT_NEEDS_FIXING)

templates: install ## 年度の調査票を作る（input_templates/YEAR/）。FORCE=1 で上書き、DEPT=05 で部署を指定
	@$(RUN) templates --year $(YEAR) $(FORCE_OPT) $(DEPT_OPT)

collect: install ## 受付フォルダー returns/YEAR/ の回答を点検し、取り込む
	@$(RUN) collect --year $(YEAR) $(FORCE_OPT) $(INPUT_NEEDS_FIXING)

report: install ## 報告書（Word/PDF）・参考指標一覧（Excel/CSV）・公表用ウェブページ（web/index.html）を作る（output/YEAR/）
	@$(RUN) report --year $(YEAR)

status: install ## 提出・未提出・差し戻しの状況を1画面で表示する
	@$(RUN) status --year $(YEAR) $(TODAY_OPT) $(INPUT_NEEDS_FIXING)

opinions-template: install ## 委員会の後: 報告書への委員会意見・優良事例の記録票を作る（opinions/YEAR/）。FORCE=1 で上書き
	@$(RUN) opinions template --year $(YEAR) $(FORCE_OPT)

opinions-collect: install ## 記録票に記入した委員会意見・優良事例を点検し、取り込む（翌年度の調査票で尋ねる）
	@$(RUN) opinions collect --year $(YEAR) $(INPUT_NEEDS_FIXING)

history-template: install ## 手作業で調査・報告した年度の転記票を作る（history/YEAR/。FORCE=1 で作り直す）
	@$(RUN) history template --year $(YEAR) $(FORCE_OPT)

history-import: install ## 記入した転記票を点検し、その年度を「転記」として取り込む（collect 済みの年度は FORCE=1）
	@$(RUN) history import --year $(YEAR) $(FORCE_OPT) $(if $(FILE),"$(FILE)") $(INPUT_NEEDS_FIXING)

original: install ## 取り込んだ回答の控え（届いたままのファイル）を取り出す。DEPT=部署コード（YEAR の受理分）か SHA=ハッシュ値、OUT=保存先
	@$(RUN) original $(if $(SHA),--sha256 $(SHA),--year $(YEAR) $(DEPT_OPT)) $(if $(OUT),--out "$(OUT)")

plan-check: install ## 計画ファイルを点検し、年度ごとの計画の変更を表示する
	@$(RUN) plan-check

plan-export: install ## 計画を Excel の計画マスタ（MASTER=計画マスタ.xlsx）に書き出す。FORCE=1 で上書き
	@$(RUN) plan export --out "$(MASTER)" $(FORCE_OPT)

plan-import: install ## 計画マスタ（MASTER=）を点検し、計画ファイル（OUT=plan/….toml）を書き出す。FORCE=1 で上書き
	@$(if $(OUT),,echo "OUT= に書き出す計画ファイルを指定してください（例: make plan-import OUT=plan/izunokuni_2022_2025.toml FORCE=1）" >&2; exit 2;) \
	$(RUN) plan import "$(MASTER)" --out "$(OUT)" $(FORCE_OPT) $(INPUT_NEEDS_FIXING)

demo: install ## 見本の作業フォルダー demo/ で2022〜2025年度の4年分（調査票→回答→回収→委員会意見→報告書・ウェブページ）を通す
	$(PY) -m pipeline.demo --workspace demo --year $(YEAR)

# The tests run in parallel, one process per core (pytest-xdist); a test module stays in one process, so its
# shared setup (a filled store, one soffice, one browser) is made once.
PYTEST_PARALLEL := -n auto --dist loadfile

test: install ## テストをすべて実行する（2コアの機械で約3分。LibreOffice・Chromium がなければその部分は理由を示して省略）
	$(PY) -m pytest -q $(PYTEST_PARALLEL)

test-fast: install ## 手元の確認用: LibreOffice・ブラウザーを使うテストを省いて実行する（2コアの機械で3分ほど。CI と仕上げは make test）
	GYOZAI_SOFFICE=/nonexistent GYOZAI_CHROMIUM=/nonexistent $(PY) -m pytest -q $(PYTEST_PARALLEL)

bench: install ## 性能を測る（調査票・回収・報告書）。規模は BENCH_SIZES=200,2000,10000 REPORT_ITEMS=250,500,1000
	$(PY) -m bench.run --output bench/RESULTS.md

lint: install ## コードの書式・誤りを点検する（ruff）
	$(VENV)/bin/ruff check pipeline tests tools bench

docs-images: install ## README の画像（docs/images/*.png）を LibreOffice で作り直す
	$(PY) tools/docs_images.py --out docs/images

clean: ## 生成物（demo/ と .venv）を消す。回答・データベースは消さない
	rm -rf demo $(VENV) build *.egg-info
