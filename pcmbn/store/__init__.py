"""The history store (DuckDB): submissions, values, problems, tasks, narratives, runs."""
