"""Prefect flows: each one reads like the standing office's business process."""
