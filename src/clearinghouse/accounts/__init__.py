"""Organisations, users, roles, API tokens and browser sessions."""
