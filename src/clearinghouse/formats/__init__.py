"""Pure codecs for the standards Clearinghouse speaks (no web, no database imports).

``model`` holds the neutral advisory value types every rendition is made from; each
standard has its own module with faithful types of its own, a parser that raises one
typed error, and ``to_model`` / ``from_model`` conversions.
"""
