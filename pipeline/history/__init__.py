"""The years surveyed and reported by hand before the tool: their 転記票 (transcript) and its import."""
