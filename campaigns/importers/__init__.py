"""Importing orders (`orders.py`), registered with `imports.registry` by `CampaignsConfig.ready()`."""
