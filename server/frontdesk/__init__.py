"""Frontdesk: an embeddable customer portal."""
