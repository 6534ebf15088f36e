"""Server-rendered pages and their static assets."""
