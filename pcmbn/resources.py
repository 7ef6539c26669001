"""What tasks and the CLI work with, built from `Settings`: catalog, store, layout, mailer.

Tasks receive the (picklable) `Settings` as a parameter and call `resources_for(settings)`; the
cache is per process, so a thread pool shares one `Resources`, and a process-pool or Dask
worker builds its own once and reuses it for every chunk it runs. Nothing here reads the
environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from pcmbn.layout import OutputLayout
from pcmbn.settings import Settings

if TYPE_CHECKING:
    from pcmbn.catalog import Catalog
    from pcmbn.reminders import Mailer
    from pcmbn.store import Store


@dataclass(frozen=True, eq=False)
class Resources:
    """Built lazily: the CLI's `catalog` command never opens the store, `status` never mails."""

    settings: Settings

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog under `PCMBN_SCHEMAS`, loaded and cross-checked once."""
        from pcmbn.catalog import load_catalog

        return load_catalog(self.settings.schemas)

    @cached_property
    def store(self) -> Store:
        """The history store (DuckDB file or PostgreSQL database): the one place that opens it."""
        from pcmbn.store import open_store

        return open_store(self.settings.store_target)

    @cached_property
    def layout(self) -> OutputLayout:
        """File and folder names under the home and outputs folders."""
        return OutputLayout.from_settings(self.settings)

    @cached_property
    def mailer(self) -> Mailer:
        """Sends reminders with the configured mail server (resolved when mail is sent)."""
        from pcmbn.reminders import Mailer

        return Mailer(self.settings)


@lru_cache(maxsize=16)
def resources_for(settings: Settings) -> Resources:
    """The process's `Resources` for these settings (equal settings share one)."""
    return Resources(settings)
