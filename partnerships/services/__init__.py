"""Writes for partnerships: the only code that changes partnership data (DESIGN.md, 3)."""
