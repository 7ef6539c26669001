"""Prefect tasks: thin wrappers that call the pure functions of `pcmbn` and add retries on I/O."""
