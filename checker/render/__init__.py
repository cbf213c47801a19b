"""Renderers: results to text and JSON (and, later, pictures and reports)."""
