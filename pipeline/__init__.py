"""行財政改革 行動計画の進捗調査パイプライン.

The stages of the yearly cycle, one package each (docs/architecture.md tells the whole journey and the
layers): survey (the workbooks) → collect (the returns checked and decided) → store (SQLite, every year) →
followup (packets, reminders, status), committee (its opinions), history (years done by hand) and report
(Word, public table, web page). Below them the shared machinery (intake of untrusted workbooks, the Excel kit
in sheets), the store and its records, the plan, and the basics; above them the use cases and the command line.
"""

__version__ = "0.1.0"
