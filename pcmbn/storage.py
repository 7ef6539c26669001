"""Publishing outputs to any fsspec URL (`$PCMBN_OUTPUTS=s3://bucket/pcmbn`, `memory://…`).

Workbooks are built with openpyxl and python-docx, which write local files; so outputs are
always written to a local folder first (atomically, as everywhere) and then, when
`$PCMBN_OUTPUTS` names remote storage, uploaded file by file with `pcmbn.office.atomic.atomic_put`
(a temporary name, then moved into place), so a reader of the shared store never sees half a file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fsspec.core import url_to_fs

from pcmbn.layout import OutputLayout
from pcmbn.office.atomic import atomic_put

log = logging.getLogger(__name__)


def publish(local: Path, layout: OutputLayout) -> list[str]:
    """Upload a local output file or folder (recursively) to `$PCMBN_OUTPUTS`; return URLs."""
    target = layout.remote(local)
    if target is None or not local.exists():
        return []
    fs, _ = url_to_fs(target)
    files = [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file())
    published = []
    base = local if local.is_dir() else local.parent
    for path in files:
        if any(part.startswith(".") for part in path.relative_to(base).parts):
            continue  # temporary names (and staging folders) never leave the machine
        url = layout.remote(path)
        assert url is not None
        _, remote = url_to_fs(url)
        fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
        atomic_put(fs, path, remote)
        published.append(url)
    log.info("published %d files to %s", len(published), target)
    return published
