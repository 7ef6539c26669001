"""The summary workbook's sheets, one module each (see `pcmbn.summary.registry`)."""
