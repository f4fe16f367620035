"""Collecting the returns: the inbox and the gate, isolated reading, the checks, the choice among
several returns, the run that merges into the store, and its outputs."""
