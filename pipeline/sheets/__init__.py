"""The Excel kit every workbook we send shares: its look (`look`) and the survey's layout contract, the sheet
names, keys and identity cells that the writer and every reader take (`layout`)."""
