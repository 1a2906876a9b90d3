"""问题属地 (7.1.1): the districts and streets an agency serves, from a TOML list it keeps.

The list is ``[[district]]`` tables, each with a ``name`` and optionally the ``streets`` of that
district. A district without streets takes any street typed; a district with streets takes one
of them. The default is Guangzhou's eleven districts (``places.toml`` beside this module).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


def N_(message: str) -> str:  # noqa: N802 - the conventional name for a deferred msgid
    """Mark a message id for the catalogs; the page translates it."""
    return message


DEFAULT_PLACES = Path(__file__).with_name("places.toml")
#: The key under which figures count cases whose 问题属地 is not recorded.
UNPLACED = N_("未登记")


class PlacesError(ValueError):
    """The places file cannot be used (its message says why and where)."""


@dataclass(frozen=True)
class District:
    """A district and the streets the agency lists in it (empty: any street)."""

    name: str
    streets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Places:
    """The districts of an agency, in the order its file gives them."""

    districts: tuple[District, ...]

    def district(self, name: str) -> District | None:
        """The district called ``name``, or None."""
        return next((d for d in self.districts if d.name == name), None)

    def check(self, district: str, street: str) -> str | None:
        """None when ``district``/``street`` is a place of the list (both may be empty), else a
        message id saying what is wrong."""
        if not district:
            return N_("Choose the district first.") if street else None
        found = self.district(district)
        if found is None:
            return N_("Not a district of the agency's list.")
        if street and found.streets and street not in found.streets:
            return N_("Not a street of this district in the agency's list.")
        return None


def load_places(path: str | Path | None = None) -> Places:
    """The places in ``path`` (default: Guangzhou's districts); PlacesError when unreadable."""
    source = Path(path) if path else DEFAULT_PLACES
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlacesError(f"{source.name}: {exc}") from exc
    districts: list[District] = []
    for n, item in enumerate(raw.get("district", []), start=1):
        name = str(item.get("name", "")).strip() if isinstance(item, dict) else ""
        streets = item.get("streets", []) if isinstance(item, dict) else None
        if not name or not isinstance(streets, list):
            raise PlacesError(f"{source.name}: district {n} needs a name and a list of streets")
        districts.append(District(name, tuple(str(s).strip() for s in streets if str(s).strip())))
    if not districts:
        raise PlacesError(f"{source.name}: no [[district]] listed")
    if len({d.name for d in districts}) != len(districts):
        raise PlacesError(f"{source.name}: a district is listed twice")
    return Places(tuple(districts))
