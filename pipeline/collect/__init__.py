"""Collecting the returns: the checks, the choice among several returns, the year's returns checked in
workers and decided (`returns`), and its outputs. The inbox, the gate and the reader are the shared intake
(`pipeline.intake`)."""
