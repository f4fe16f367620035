"""The survey workbooks (調査票): the writer, and a filler for demos and tests. Their layout contract and look
are the Excel kit every workbook we send shares (`pipeline.sheets`)."""
