"""The committee's loop: the register of its opinions on the report and of the good practices shared across
the city, and its intake. The opinions, responses and good practices are records (`pipeline.records.opinions`);
what a year's workbooks ask about them is `pipeline.year_ask`."""
