"""The tests fill workbooks with the same filler the demo and the benchmark use."""

from pipeline.sample_returns import ReturnFiller

__all__ = ["ReturnFiller"]
