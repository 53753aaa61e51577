"""Welfare pages: flat function views that parse, access, call one service and render."""
