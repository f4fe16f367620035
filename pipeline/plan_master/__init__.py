"""The plan master: the plan in Excel, written from the plan file and read back into one (`plan export` /
`plan import`, an exact round trip)."""
