"""A member's own incidents (ransomware, a breach): private to the organisation and the
operator, with the clock events recorded on them and the clock board they give. See
docs/incidents.md."""
