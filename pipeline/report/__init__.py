"""The report for the committee and the public tables: the data, the achievement rates, the Word
document (and its small Word layer and styles), and the indicator table."""
