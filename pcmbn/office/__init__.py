"""The office-file toolkit: atomic writes, deterministic zips, CSV, strict JSON, xlsx and docx.

Everything here is about files, not about the PCMBN domain: a module in `pcmbn.summary`,
`pcmbn.packet` or `pcmbn.template_writer` says *what* goes into a workbook or a report, and the
toolkit says *how* it is written so that the file appears whole or not at all, has the same bytes
for the same content, never turns a unit's text into a live formula, and never writes a JSON
that a strict parser refuses.
"""
