"""HTTP conventions shared by every domain's router: problems, dependencies, pagination."""
