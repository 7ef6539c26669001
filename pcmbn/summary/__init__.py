"""The provincial summary: its data contract, the styled workbook and the CSV/Parquet exports."""
