"""The chairside session screen: header, one-line entry, readings table, live chart, flags, events, signing."""
