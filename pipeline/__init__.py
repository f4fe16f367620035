"""行財政改革 行動計画の進捗調査パイプライン.

The stages of the yearly cycle, one package each (docs/architecture.md tells the whole journey):
plan (the charter as data) → survey (the workbooks) → collect (inbox, gate, reader, checks, choice)
→ store (SQLite, every year) → followup (packets, reminders, status) and report (Word, public table).
"""

__version__ = "0.1.0"
