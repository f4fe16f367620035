"""The intake of an untrusted workbook, shared by every stage that takes one in (a return, the committee's
register, the plan master, a 転記票): the bytes read once (`inbox`), judged by the gate before any parser
touches them (`gate`), then read in a worker process (`reader`, `single`)."""
