"""The theme report: a self-contained HTML page and a Markdown summary of a run."""
