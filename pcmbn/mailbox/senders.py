"""Who a sender is: the registry unit whose `email` lists the address (pure).

The sender decides the unit (`pcmbn.monthly.hold_spoofed`): a file is filed under the unit
whose address sent it, never under whatever its `ThongTin` sheet claims. Addresses are compared
in lower case; a unit may list several (`Unit.addresses`). The same address may belong to units
of several registries (a province's registry before and after a reform): within one plan's
registry it names at most one unit, and without a plan only when every registry agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit


@dataclass(frozen=True)
class Sender:
    """The unit an address belongs to, within `plan` when one is known."""

    address: str
    unit: Unit


def units_of(catalog: Catalog, address: str, plan: Plan | None = None) -> list[Unit]:
    """Every unit listing `address`: in `plan`'s registry, else in any plan's registry (one
    entry per unit code)."""
    wanted = address.strip().lower()
    registries = (
        [catalog.registry(plan)]
        if plan is not None
        else [catalog.registry(p) for p in catalog.plans.values()]
    )
    found: dict[str, Unit] = {}
    for registry in registries:
        for unit in registry.units.values():
            if wanted in unit.addresses:
                found.setdefault(unit.code, unit)
    return list(found.values())


def find_sender(catalog: Catalog, address: str | None, plan: Plan | None = None) -> Sender | None:
    """The one unit `address` belongs to, or None (unknown, or ambiguous without a plan)."""
    if not address:
        return None
    units = units_of(catalog, address, plan)
    return Sender(address.strip().lower(), units[0]) if len(units) == 1 else None


def registry_addresses(catalog: Catalog) -> frozenset[str]:
    """Every address of every registry: the only addresses the intake ever writes to."""
    return frozenset(
        a for r in catalog.registries.values() for u in r.units.values() for a in u.addresses
    )
