"""Output: one sink for every command (see output.py)."""
from apexdb.render.output import FORMATS, Column, Renderer, Section, check_format, cols, rows_of

__all__ = ["FORMATS", "Column", "Renderer", "Section", "check_format", "cols", "rows_of"]
