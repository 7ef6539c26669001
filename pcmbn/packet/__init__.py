"""Conference packets (sơ kết, tổng kết): tables, charts, draft report, manifest, zip."""
