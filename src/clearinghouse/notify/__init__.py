"""Notifications: in-platform notices, e-mail (immediate or daily digest), signed webhooks."""
