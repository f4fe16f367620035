"""The tests fill workbooks with the same filler the demo and the benchmark use."""

from pipeline.survey.filling import ReturnFiller

__all__ = ["ReturnFiller"]
