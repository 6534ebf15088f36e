"""The hash-chained audit log: every state change appends an entry in its own transaction."""
