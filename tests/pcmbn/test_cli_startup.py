"""What a `pcmbn` command imports before it talks to a running service (issue 13's targets:
a warm `pcmbn check` answers in about a second, of which the CLI's own start is a part).

The CLI reads its settings and the catalog (arguments are checked, labels printed) and then
hands the work to the service: neither may pull in the data stack (pandas, NumPy), Prefect or
Great Expectations, each of which costs seconds to import on two cores (nor fsspec, which
brings asyncio along).
"""

from __future__ import annotations

import json
import subprocess
import sys

from pcmbn.settings import PROJECT_ROOT

HEAVY = ("pandas", "numpy", "prefect", "great_expectations", "duckdb", "openpyxl", "fsspec")

PROBE = """
import json, sys
from pcmbn.cli import app  # noqa: F401 - the CLI module, as `pcmbn` imports it
from pcmbn.resources import resources_for
from pcmbn.serve.client import connect
from pcmbn.service import check_run_arguments
from pcmbn.settings import Settings

resources = resources_for(Settings.from_env())
catalog = resources.catalog
check_run_arguments(catalog, "ST-KH-30-7-2024", "2024-07", None, None)
connect(resources.settings)
print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))
"""


def test_the_cli_reaches_the_service_without_the_heavy_imports() -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
