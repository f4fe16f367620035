"""The benchmark behind `make bench`: a synthetic survey at scale, timed against the libraries' own limits."""
