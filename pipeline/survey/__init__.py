"""The survey workbooks (調査票): their layout contract, the writer, and a filler for demos and tests."""
