"""PCMBN report pipeline: progress reports of Steering Committees 138 into provincial summaries.

The package holds the pure functions (catalog, periods, workbooks, validation, aggregation);
`tasks/` wraps them as Prefect tasks and `flows/` composes those into the business process.
"""

__version__ = "0.1.0"
