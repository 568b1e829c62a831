"""Scene identification: sensor and acquisition time from names and metadata text.

Pure string parsing (no file access; ``glacvel_plugin.io.scenes`` reads the files).
Recognised names (anywhere in a file or folder name):

* Landsat pre-collection scene ids ``LC80630182016200LGN00`` (sensor, WRS path/row,
  year + day of year) and Collection 1/2 product ids
  ``LC08_L1TP_063018_20160718_20200906_02_T1`` (acquisition date);
* Landsat MTL text: ``DATE_ACQUIRED`` + ``SCENE_CENTER_TIME`` (to the second),
  ``CLOUD_COVER``, ``WRS_PATH``/``WRS_ROW``;
* Sentinel-2 product names ``S2A_MSIL1C_20180304T203411_N0206_R071_T07VFH_...`` and
  granule band files ``T07VFH_20180304T203411_B08.jp2``;
* Sentinel-1 names ``S1A_IW_GRDH_1SDV_20200301T083237_20200301T083346_...`` (time =
  middle of start and stop), including ``S1B_EW_GRDM_1SDH`` and prefixed clips;
* GDAL tags: glacvel's ``START_TIME``, ``ACQUISITION_DATE``/``ACQUISITION_TIME``,
  ``DATE_ACQUIRED``, ``TIFFTAG_DATETIME`` and EXIF ``DateTimeOriginal``
  (``YYYY:MM:DD HH:MM:SS``; UAV orthomosaics).

All times are naive datetimes in UTC.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

SENSOR_L8 = "L8"
SENSOR_L9 = "L9"
SENSOR_S2 = "S2"
SENSOR_S1 = "S1"
SENSOR_UAV = "UAV"


@dataclass
class SceneInfo:
    """What a scene's name or metadata tells.

    Attributes
    ----------
    sensor : str or None
        ``L8``, ``L9``, ``S2``, ``S1`` or ``UAV`` (the ``SENSOR_*`` constants); None when
        unknown.
    time : datetime.datetime or None
        Acquisition time, naive UTC; None when nothing was found.
    date_only : bool
        True when only the day is known (time of day 00:00 until metadata refine it).
    footprint_id : str or None
        WRS-2 path/row ``PPPRRR``, MGRS tile (``07VFH``) or Sentinel-1 relative orbit
        ``Rnnn``, where known.
    platform : str or None
        Spacecraft as named in the source (``S1A``, ``S2B``, ``LANDSAT_8``).
    extra : dict
        Further fields: ``cloud_cover`` (percent, from MTL), ``relative_orbit``
        (Sentinel-2), ``mode`` and ``product`` (Sentinel-1).
    """
    sensor: Optional[str] = None
    time: Optional[_dt.datetime] = None
    date_only: bool = False
    footprint_id: Optional[str] = None
    platform: Optional[str] = None
    extra: dict = field(default_factory=dict)


_LANDSAT_PRE = re.compile(r"L([COTEM])0?([4-9])(\d{3})(\d{3})(\d{4})(\d{3})[A-Z]{3}\d{2}")
_LANDSAT_COLL = re.compile(r"L([COTEM])0([4-9])_L[0-9A-Z]{3}_(\d{3})(\d{3})_(\d{8})_\d{8}_\d{2}_[A-Z0-9]{2}")
_S2_PRODUCT = re.compile(r"(S2[ABCD])_MSIL[12][AC]_(\d{8}T\d{6})_N\d{4}_R(\d{3})_T(\d{2}[A-Z]{3})")
_S2_GRANULE = re.compile(r"T(\d{2}[A-Z]{3})_(\d{8}T\d{6})_B")
_S1 = re.compile(r"(S1[ABCD])_(IW|EW|SM|WV|S[1-6])_([A-Z]{3}[A-Z_])_\w{4}_(\d{8}T\d{6})_(\d{8}T\d{6})_(\d{6})")


def _t(stamp: str) -> _dt.datetime:
    return _dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S")


def parse_scene_name(name: str) -> SceneInfo:
    """Sensor, time and footprint from a product or scene name.

    Parameters
    ----------
    name : str
        File or folder name (any text holding one of the ids of the module doc).

    Returns
    -------
    SceneInfo
        Sensor, time, footprint and platform; Landsat names give the day only
        (``date_only`` True); Sentinel-1 gives the middle of start and stop and the
        relative orbit computed from the absolute orbit. An empty ``SceneInfo`` when no
        pattern matches.
    """
    m = _S1.search(name)
    if m:
        t0, t1 = _t(m.group(4)), _t(m.group(5))
        abs_orbit = int(m.group(6))
        rel = ((abs_orbit - 73) % 175 + 1) if m.group(1) == "S1A" else ((abs_orbit - 27) % 175 + 1)
        return SceneInfo(SENSOR_S1, t0 + (t1 - t0) / 2, False, f"R{rel:03d}", m.group(1),
                         {"mode": m.group(2), "product": m.group(3).strip("_")})
    m = _S2_PRODUCT.search(name)
    if m:
        return SceneInfo(SENSOR_S2, _t(m.group(2)), False, m.group(4), m.group(1),
                         {"relative_orbit": m.group(3)})
    m = _S2_GRANULE.search(name)
    if m:
        return SceneInfo(SENSOR_S2, _t(m.group(2)), False, m.group(1), "S2")
    m = _LANDSAT_COLL.search(name)
    if m:
        sensor = f"L{m.group(2)}"
        day = _dt.datetime.strptime(m.group(5), "%Y%m%d")
        return SceneInfo(sensor, day, True, m.group(3) + m.group(4), f"LANDSAT_{m.group(2)}")
    m = _LANDSAT_PRE.search(name)
    if m:
        sensor = f"L{m.group(2)}"
        day = _dt.datetime(int(m.group(5)), 1, 1) + _dt.timedelta(days=int(m.group(6)) - 1)
        return SceneInfo(sensor, day, True, m.group(3) + m.group(4), f"LANDSAT_{m.group(2)}")
    return SceneInfo()


def parse_mtl(text: str) -> SceneInfo:
    """Parse Landsat MTL text (``KEY = value`` lines) for sensor, time, path/row, cloud cover.

    Parameters
    ----------
    text : str
        Content of a Landsat ``*_MTL.txt`` file.

    Returns
    -------
    SceneInfo
        Time = ``DATE_ACQUIRED`` + ``SCENE_CENTER_TIME`` (truncated to the second;
        ``date_only`` when there is no centre time), sensor from ``SPACECRAFT_ID``,
        footprint from ``WRS_PATH``/``WRS_ROW``, ``extra["cloud_cover"]`` from
        ``CLOUD_COVER``. An empty ``SceneInfo`` when the text has no ``DATE_ACQUIRED``.
    """
    kv = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            kv[k.strip()] = v.strip().strip('"')
    date = kv.get("DATE_ACQUIRED")
    if not date:
        return SceneInfo()
    t = _dt.datetime.strptime(date, "%Y-%m-%d")
    date_only = True
    ct = kv.get("SCENE_CENTER_TIME")
    if ct:
        hh, mm, ss = ct.rstrip("Z").split(":")
        t = t.replace(hour=int(hh), minute=int(mm), second=int(float(ss)))
        date_only = False
    sc = kv.get("SPACECRAFT_ID", "")
    digit = re.search(r"(\d)$", sc)
    sensor = f"L{digit.group(1)}" if digit else None
    extra = {}
    if "CLOUD_COVER" in kv:
        try:
            extra["cloud_cover"] = float(kv["CLOUD_COVER"])
        except ValueError:
            pass
    fp = None
    if "WRS_PATH" in kv and "WRS_ROW" in kv:
        fp = f"{int(kv['WRS_PATH']):03d}{int(kv['WRS_ROW']):03d}"
    return SceneInfo(sensor, t, date_only, fp, sc or None, extra)


_TAG_TIME_KEYS = ("START_TIME", "ACQUISITION_START_TIME", "ACQUISITION_TIME", "ACQUISITION_DATE",
                  "DATE_ACQUIRED", "DATETIME", "EXIF_DateTimeOriginal", "DateTimeOriginal",
                  "TIFFTAG_DATETIME")


def parse_tag_time(text: str) -> Optional[_dt.datetime]:
    """Parse one time tag value.

    Parameters
    ----------
    text : str
        ISO 8601 (with ``Z`` or a UTC offset, converted to UTC), EXIF
        ``YYYY:MM:DD HH:MM:SS``, or a date starting ``YYYYMMDD``.

    Returns
    -------
    datetime.datetime or None
        Naive UTC time; None when the text is none of these forms.
    """
    s = text.strip().strip('"')
    m = re.match(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})", s)
    if m:
        return _dt.datetime(*map(int, m.groups()))
    s2 = s[:-1] if s.endswith("Z") else s
    try:
        t = _dt.datetime.fromisoformat(s2)
    except ValueError:
        try:
            t = _dt.datetime.strptime(s2[:8], "%Y%m%d")
        except ValueError:
            return None
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t


def time_from_tags(tags: Mapping[str, str]) -> Optional[_dt.datetime]:
    """Acquisition time from GDAL metadata tags.

    Parameters
    ----------
    tags : mapping of str to str
        Tag name → value, as GDAL reports them; keys are tried in the order of
        :data:`_TAG_TIME_KEYS` (glacvel's ``START_TIME`` first, ``TIFFTAG_DATETIME`` last).

    Returns
    -------
    datetime.datetime or None
        The first parsable time (naive UTC, :func:`parse_tag_time`); None when no tag
        holds one.
    """
    for key in _TAG_TIME_KEYS:
        if key in tags and tags[key]:
            t = parse_tag_time(tags[key])
            if t is not None:
                return t
    return None
