"""The committee's loop: its opinions on the report, the departments' responses, and the good practices
shared across the city."""
