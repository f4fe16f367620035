"""Exceptions for conditions under which a run cannot go on.

A bad cell in a return is never an exception: it is a Finding. These are for a broken config,
a plan file with mistakes, a year outside the plan, or a refusal to overwrite.
Each carries the exit status the command line ends with.
"""


class PipelineError(Exception):
    """A condition that stops the run; `str()` is a Japanese message for the user."""

    exit_code = 2


class ConfigError(PipelineError):
    """config.toml is missing, unreadable, or has a wrong or missing key."""


class PlanError(PipelineError):
    """The plan file has mistakes; `problems` lists every one with its key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"計画ファイル {source} に {len(self.problems)} 件の誤りがあります:\n{lines}")


class UsageError(PipelineError):
    """The command was asked for something it cannot do (a year outside the plan period, …)."""


class AlreadyExistsError(PipelineError):
    """Writing would overwrite files someone may be editing."""


class LockedError(PipelineError):
    """Another run holds the lock on the store."""
