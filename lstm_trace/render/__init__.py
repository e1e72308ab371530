"""Renderers: a trace in, Rich renderables out. Nothing here computes the cell."""
