"""Thin HTTP handlers; each module exports routes = [...]."""
