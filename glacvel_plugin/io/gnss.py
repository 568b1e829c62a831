"""GNSS station files → station velocities with their periods (no QGIS needed).

A GNSS record is one station observed at two dates: position (x0, y0) at ``start``
and (x1, y1) at ``end`` (projected coordinates in metres), giving the velocity
vx = (x1 − x0)/Δt, vy = (y1 − y0)/Δt in m/d, located at the midpoint, valid for
[start, end]. Files are CSV with a header row; the columns are named by a
*layout* (a mapping role → column name). Roles:

``station``
    station id (text). An empty column name means the first column (pandas-style
    unnamed index column, as in the Kaskawulsh files).
``start_date``, ``end_date``
    ISO dates or datetimes (``2018-03-04``, ``2018-03-04T12:00:00``); naive = UTC.
``start_x``, ``start_y``, ``end_x``, ``end_y``
    positions at ``start_date`` and ``end_date`` (layout ``positions``), or
``x``, ``y``, ``vx``, ``vy``
    a location and a velocity in m/d (layout ``velocity``).

Built-in layouts (:data:`LAYOUTS`):

``kaskawulsh``
    the GLAFT/Kaskawulsh ``*_GPS`` files: ``date1`` is the LATER date and
    ``start_easting``/``start_northing`` the position at ``date1``;
    ``end_easting``/``end_northing`` the position at ``date2`` (the earlier date).
    So start_date = date2, start_x = end_easting, end_date = date1,
    end_x = start_easting: the displacement from the earlier to the later date is
    start_easting − end_easting (UTM 7N, EPSG:32607).
``positions``
    columns ``station, start_date, end_date, start_x, start_y, end_x, end_y``.
``velocity``
    columns ``station, start_date, end_date, x, y, vx, vy`` (m/d).

Rows where a position (both coordinates) or the velocity is empty are stations
not observed on one of the dates (the Kaskawulsh files have such rows); they are
skipped and counted. A half-filled position (x without y), text in a numeric column, a missing column or an end date
not after the start date raise :class:`GnssFileError` naming the file, the line
and the column.
"""
from __future__ import annotations

import csv
import datetime as _dt
import math
import os
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

POSITION_ROLES = ("start_x", "start_y", "end_x", "end_y")
VELOCITY_ROLES = ("x", "y", "vx", "vy")

LAYOUTS: Dict[str, Dict[str, str]] = {
    "kaskawulsh": {"station": "", "start_date": "date2", "end_date": "date1",
                   "start_x": "end_easting", "start_y": "end_northing",
                   "end_x": "start_easting", "end_y": "start_northing"},
    "positions": {"station": "station", "start_date": "start_date", "end_date": "end_date",
                  "start_x": "start_x", "start_y": "start_y", "end_x": "end_x",
                  "end_y": "end_y"},
    "velocity": {"station": "station", "start_date": "start_date", "end_date": "end_date",
                 "x": "x", "y": "y", "vx": "vx", "vy": "vy"},
}
"""Column name of every role, per built-in layout."""


class GnssFileError(ValueError):
    """A GNSS file that cannot be read; the message names file, line and column."""


@dataclass
class GnssRecord:
    """One station velocity from a GNSS file.

    Attributes
    ----------
    station : station id (text)
    start, end : naive UTC datetimes, end > start
    x, y : location (midpoint of the two positions, or the given location), file CRS
    vx, vy : velocity in m/d along the CRS axes (x east, y north in UTM)
    start_x, start_y, end_x, end_y : positions (NaN for the ``velocity`` layout)
    file : base name of the file; line : 1-based line number in it (header = 1)
    """
    station: str
    start: _dt.datetime
    end: _dt.datetime
    x: float
    y: float
    vx: float
    vy: float
    start_x: float
    start_y: float
    end_x: float
    end_y: float
    file: str
    line: int

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0


def parse_columns(text: Optional[str], layout: str = "kaskawulsh") -> Dict[str, str]:
    """A layout's role → column mapping with some roles overridden.

    Parameters
    ----------
    text : str or None
        ``"ROLE=COLUMN"`` entries separated by commas or semicolons
        (``"station=id,vx=ve"``); empty or None keeps the layout.
    layout : str, default "kaskawulsh"
        A key of :data:`LAYOUTS`.

    Returns
    -------
    dict
        Role → column name.

    Raises
    ------
    ValueError
        For an unknown layout, an unknown role or an entry without ``=``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown GNSS layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    cols = dict(LAYOUTS[layout])
    if not text:
        return cols
    known = set(LAYOUTS["positions"]) | set(LAYOUTS["velocity"])
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"column entry {part!r} is not ROLE=COLUMN; write e.g. "
                             "'station=id,start_date=t0'")
        role, _, col = part.partition("=")
        role = role.strip()
        if role not in known:
            raise ValueError(f"unknown column role {role!r}; roles: {', '.join(sorted(known))}")
        cols[role] = col.strip()
    return cols


def _parse_date(text: str, where: str) -> _dt.datetime:
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1]
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError:
        raise GnssFileError(f"{where}: {text!r} is not a date (write YYYY-MM-DD or "
                            "YYYY-MM-DDTHH:MM:SS)") from None
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t


def _parse_float(text: str, where: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise GnssFileError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise GnssFileError(f"{where}: {text!r} is not a finite number")
    return v


def read_gnss_csv(path: str, columns: Optional[Mapping[str, str]] = None,
                  delimiter: str = ",") -> Tuple[List[GnssRecord], int]:
    """Station velocities of one GNSS CSV file.

    Parameters
    ----------
    path : str
        CSV file (UTF-8, optional BOM) with a header row.
    columns : mapping, optional
        Role → column name (see the module docstring); default the ``kaskawulsh``
        layout. It must give either the four position roles or the four velocity
        roles, and ``start_date``, ``end_date``.
    delimiter : str, default ","
        Field separator.

    Returns
    -------
    records : list of GnssRecord
        The stations in file order; positions in the file's CRS (m), velocities in m/d.
    skipped : int
        Rows whose position or velocity is empty (station not observed on a date).

    Raises
    ------
    ValueError
        When ``columns`` names neither the position nor the velocity roles, or misses
        a date role.
    GnssFileError
        File missing or unreadable, empty, a column missing from the header, a
        half-filled position, text in a numeric or date column, end date not after
        start date; the message names file, line and column.
    """
    cols = dict(columns if columns is not None else LAYOUTS["kaskawulsh"])
    base = os.path.basename(path)
    if all(cols.get(r) is not None for r in POSITION_ROLES):
        numeric = POSITION_ROLES
    elif all(cols.get(r) is not None for r in VELOCITY_ROLES):
        numeric = VELOCITY_ROLES
    else:
        raise ValueError("the GNSS columns must name start_x, start_y, end_x, end_y "
                         "(positions) or x, y, vx, vy (velocity)")
    for r in ("start_date", "end_date"):
        if cols.get(r) is None:
            raise ValueError(f"the GNSS columns must name {r}")
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise GnssFileError(f"cannot open GNSS file {path}: {exc.strerror}") from None
    records: List[GnssRecord] = []
    skipped = 0
    with f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise GnssFileError(f"{base} is empty (no header row)") from None
        header = [h.strip() for h in header]
        index = {}
        roles = ["start_date", "end_date", *numeric] + (["station"] if "station" in cols else [])
        missing = []
        for r in roles:
            name = cols[r]
            if r == "station" and name == "":
                index[r] = 0
            elif name in header:
                index[r] = header.index(name)
            else:
                missing.append(f"{name!r} ({r})")
        if missing:
            raise GnssFileError(f"{base}: column(s) {', '.join(missing)} not in the header "
                                f"(columns: {', '.join(repr(h) for h in header)}); choose "
                                "the layout or name the columns, e.g. 'start_x=easting0'")
        for line, row in enumerate(reader, start=2):
            if not any(c.strip() for c in row):
                continue
            row = row + [""] * (len(header) - len(row))
            cell = {r: row[i].strip() for r, i in index.items()}
            groups = ([numeric[:2], numeric[2:]] if numeric is POSITION_ROLES
                      else [numeric])
            half = [g for g in groups if any(cell[r] for r in g) and not all(cell[r] for r in g)]
            if half:
                empty = [cols[r] for g in half for r in g if not cell[r]]
                filled = [cols[r] for g in half for r in g if cell[r]]
                raise GnssFileError(f"{base}, line {line}: column(s) {', '.join(empty)} empty "
                                    f"while {', '.join(filled)} is filled")
            if not all(cell[r] for r in numeric):
                skipped += 1        # the station was not observed on one of the dates
                continue
            vals = {r: _parse_float(cell[r], f"{base}, line {line}, column {cols[r]!r}")
                    for r in numeric}
            t0 = _parse_date(cell["start_date"], f"{base}, line {line}, column "
                                                 f"{cols['start_date']!r}")
            t1 = _parse_date(cell["end_date"], f"{base}, line {line}, column "
                                               f"{cols['end_date']!r}")
            if not t1 > t0:
                raise GnssFileError(f"{base}, line {line}: end date {cell['end_date']} (column "
                                    f"{cols['end_date']!r}) is not after the start date "
                                    f"{cell['start_date']} (column {cols['start_date']!r}); "
                                    "check the layout (in the Kaskawulsh files date1 is the "
                                    "later date)")
            days = (t1 - t0).total_seconds() / 86400.0
            station = cell.get("station", "") or f"{os.path.splitext(base)[0]}:{line}"
            nan = float("nan")
            if numeric is POSITION_ROLES:
                x0, y0, x1, y1 = (vals[r] for r in POSITION_ROLES)
                rec = GnssRecord(station, t0, t1, (x0 + x1) / 2, (y0 + y1) / 2,
                                 (x1 - x0) / days, (y1 - y0) / days, x0, y0, x1, y1, base, line)
            else:
                rec = GnssRecord(station, t0, t1, vals["x"], vals["y"], vals["vx"], vals["vy"],
                                 nan, nan, nan, nan, base, line)
            records.append(rec)
    return records, skipped


def read_gnss_files(paths: Sequence[str], columns: Optional[Mapping[str, str]] = None,
                    delimiter: str = ",") -> Tuple[List[GnssRecord], int]:
    """:func:`read_gnss_csv` over several files.

    Parameters
    ----------
    paths : sequence of str
        CSV files, all with the same columns.
    columns : mapping, optional
        Role → column name, as for :func:`read_gnss_csv`.
    delimiter : str, default ","
        Field separator.

    Returns
    -------
    records : list of GnssRecord
        In file order.
    skipped : int
        Rows without data, summed over the files.

    Raises
    ------
    ValueError
        When ``paths`` is empty; otherwise as :func:`read_gnss_csv`.
    """
    if not paths:
        raise ValueError("no GNSS file given")
    out: List[GnssRecord] = []
    skipped = 0
    for p in paths:
        recs, sk = read_gnss_csv(p, columns, delimiter)
        out.extend(recs)
        skipped += sk
    return out, skipped
