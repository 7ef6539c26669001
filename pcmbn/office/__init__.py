"""The office-file toolkit: atomic writes, deterministic zips, CSV, xlsx and docx helpers.

Everything here is about files, not about the PCMBN domain: a module in `pcmbn.summary`,
`pcmbn.packet` or `pcmbn.template_writer` says *what* goes into a workbook or a report, and the
toolkit says *how* it is written so that the file appears whole or not at all, has the same bytes
for the same content, and never turns a unit's text into a live formula.
"""
