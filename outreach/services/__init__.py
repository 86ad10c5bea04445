"""Outreach's writes, each one transaction."""
