"""行財政改革 行動計画の進捗調査パイプライン.

The stages of the yearly cycle, one module each:
plan (the charter as data) → templates (survey workbooks) → intake / reader / checks (collect)
→ store (SQLite, every year) → report (Word) and public_table (Excel, CSV).
"""

__version__ = "0.1.0"
