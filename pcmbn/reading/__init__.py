"""Reading what units send: guard, numbers, workbook reader."""
