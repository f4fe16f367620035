"""Use cases that span stages: each is one command's whole run."""
