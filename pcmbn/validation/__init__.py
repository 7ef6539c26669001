"""Validation of received reports with Great Expectations, generated from the catalog."""
