"""Propose and check image pairs for velocity correlation (pure Python).

The rules follow the monthly multi-source chain glacvel reproduces (see
``docs/desktop.md`` and the project's METHODS notes):

* **Optical** (Landsat-8/9 OLI band 8, Sentinel-2 MSI band 8): for every calendar
  month, pair the *first* and the *last* usable scene of the month (usable = cloud
  cover at most ``max_cloud`` percent where the metadata give it). A month with a
  single usable scene is bridged to the next usable scene of the same footprint
  ("longer where clouds demand"), if that is at most ``max_bridge_days`` later.
  Landsat-8 and Landsat-9 share the WRS-2 grid and the OLI band 8, so they pair with
  each other; Sentinel-2 pairs only with Sentinel-2.
* **Sentinel-1** (GRD amplitude): the 12-day revisit gives pairs of **24 and 36 days**
  (± ``tolerance_days``) on the same relative orbit, so monthly products can be built.
* **UAV** orthomosaics: consecutive surveys of the same site.

Scenes are paired only within one footprint (WRS path/row, MGRS tile, S1 relative
orbit; UAV scenes without a footprint share one group). Times are naive UTC
``datetime`` objects. Nothing here reads files: ``glacvel_plugin.io.catalogue`` scans a
folder (times and footprints from ``glacvel_plugin.io.scenes``) and builds the
:class:`Scene` list.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .velocity import baseline_days

OPTICAL_FAMILIES = {"L8": "Landsat", "L9": "Landsat", "S2": "S2"}
"""Sensor code → pairing family for optical scenes (Landsat-8/9 pair together)."""

S1_DT_DAYS = (24.0, 36.0)
"""Sentinel-1 Δt (days) proposed by default (two and three 12-day revisits)."""


@dataclass
class Scene:
    """One scene offered for pairing (a scene the user ticked).

    Attributes
    ----------
    key : hashable
        Identifier of the scene (the chooser and the dataset use the file path).
    sensor : str
        ``L8``, ``L9``, ``S2``, ``S1`` or ``UAV``.
    time : datetime.datetime
        Acquisition time, naive UTC.
    footprint : str or None
        WRS-2 ``PPPRRR``, MGRS tile, Sentinel-1 relative orbit ``Rnnn``, or None (UAV
        scenes without a footprint form one group).
    cloud_cover : float or None
        Cloud cover in percent; None when the metadata give none.
    """
    key: object
    sensor: str
    time: _dt.datetime
    footprint: Optional[str] = None
    cloud_cover: Optional[float] = None


@dataclass
class Pair:
    """A proposed (or user-made) pair; ``reference`` is the earlier scene.

    Attributes
    ----------
    reference, secondary : Scene
        The earlier and the later scene.
    reason : str
        Why the pair was proposed (shown in the chooser's pair table).
    dt_days : float
        Δt = secondary time − reference time, days (computed, not passed).
    """
    reference: Scene
    secondary: Scene
    reason: str = ""
    dt_days: float = field(init=False)

    def __post_init__(self):
        self.dt_days = baseline_days(self.reference.time, self.secondary.time)

    @property
    def sensor(self) -> str:
        """Sensor of the pair (``L8``/``L9`` mixed pairs report the reference's)."""
        return self.reference.sensor


def check_pair(reference: Scene, secondary: Scene) -> float:
    """Validate a user-edited pair and return its Δt.

    Parameters
    ----------
    reference, secondary : Scene
        The earlier and the later scene.

    Returns
    -------
    float
        Δt in days, > 0.

    Raises
    ------
    ValueError
        When a scene is paired with itself, when Δt ≤ 0 (the message says to swap the
        scenes), or when the sensors cannot be correlated together (SAR with optical,
        Landsat with Sentinel-2, UAV with satellite).
    """
    if reference.key == secondary.key:
        raise ValueError(f"a scene cannot be paired with itself ({reference.key}); "
                         "choose two different scenes")
    dt = baseline_days(reference.time, secondary.time)
    if not dt > 0:
        raise ValueError(
            f"time baseline Δt = {dt:.2f} d is not positive: the second scene "
            f"({secondary.time:%Y-%m-%d %H:%M}) must be acquired after the first "
            f"({reference.time:%Y-%m-%d %H:%M}); swap the scenes")
    if _family(reference.sensor) != _family(secondary.sensor):
        raise ValueError(
            f"{reference.sensor} and {secondary.sensor} scenes cannot be correlated with "
            "each other; pair scenes of the same sensor family")
    return dt


def _family(sensor: str) -> str:
    return OPTICAL_FAMILIES.get(sensor, sensor)


def _usable(c: Scene, max_cloud: Optional[float]) -> bool:
    return max_cloud is None or c.cloud_cover is None or c.cloud_cover <= max_cloud


def _groups(cands: Iterable[Scene]) -> Dict[Tuple[str, Optional[str]], List[Scene]]:
    groups: Dict[Tuple[str, Optional[str]], List[Scene]] = {}
    for c in cands:
        groups.setdefault((_family(c.sensor), c.footprint), []).append(c)
    for g in groups.values():
        g.sort(key=lambda c: c.time)
    return groups


def propose_optical_pairs(cands: Sequence[Scene], max_cloud: Optional[float] = 30.0,
                          max_bridge_days: float = 48.0) -> List[Pair]:
    """First–last pairs per calendar month for optical scenes (see module doc).

    Parameters
    ----------
    cands : sequence of Scene
        Scenes of any sensor; non-optical ones are ignored.
    max_cloud : float or None, optional
        Scenes with cloud cover above this (percent) are skipped; None keeps all.
    max_bridge_days : float, optional
        Longest Δt (days) of the bridge from a month's only usable scene to the next
        usable scene of the same footprint.

    Returns
    -------
    list of Pair
        Sorted by reference time, then secondary time. Two scenes at the same time give
        no pair (Δt must be > 0).
    """
    pairs: List[Pair] = []
    optical = [c for c in cands if c.sensor in OPTICAL_FAMILIES and _usable(c, max_cloud)]
    for group in _groups(optical).values():
        months: Dict[Tuple[int, int], List[Scene]] = {}
        for c in group:
            months.setdefault((c.time.year, c.time.month), []).append(c)
        seen = set()
        for ym in sorted(months):
            scenes = months[ym]
            first, last = scenes[0], scenes[-1]
            if baseline_days(first.time, last.time) > 0:
                pairs.append(Pair(first, last, f"first and last scene of {ym[0]:04d}-{ym[1]:02d}"))
                seen.add((first.key, last.key))
                continue
            # one usable scene this month: bridge to the next usable scene
            later = [c for c in group if baseline_days(first.time, c.time) > 0]
            if later and baseline_days(first.time, later[0].time) <= max_bridge_days \
                    and (first.key, later[0].key) not in seen:
                pairs.append(Pair(first, later[0],
                                  f"only usable scene of {ym[0]:04d}-{ym[1]:02d}; bridged to the next"))
                seen.add((first.key, later[0].key))
    pairs.sort(key=lambda p: (p.reference.time, p.secondary.time))
    return pairs


def propose_s1_pairs(cands: Sequence[Scene], dt_days: Sequence[float] = S1_DT_DAYS,
                     tolerance_days: float = 1.0) -> List[Pair]:
    """Sentinel-1 pairs whose Δt is one of ``dt_days`` (± ``tolerance_days``).

    Only scenes of the same relative orbit (``footprint``) pair. Each scene gets at most
    one partner per Δt (the one closest to the nominal Δt).

    Parameters
    ----------
    cands : sequence of Scene
        Scenes of any sensor; only ``S1`` ones are used.
    dt_days : sequence of float, optional
        Nominal Δt (days), by default :data:`S1_DT_DAYS` (24 and 36: two and three
        12-day revisits).
    tolerance_days : float, optional
        Accepted deviation from a nominal Δt, days.

    Returns
    -------
    list of Pair
        Sorted by reference time, then secondary time.
    """
    pairs: List[Pair] = []
    s1 = [c for c in cands if c.sensor == "S1"]
    for group in _groups(s1).values():
        for i, ref in enumerate(group):
            for base in dt_days:
                best = None
                for sec in group[i + 1:]:
                    err = abs(baseline_days(ref.time, sec.time) - base)
                    if err <= tolerance_days and (best is None or err < best[0]):
                        best = (err, sec)
                if best is not None:
                    pairs.append(Pair(ref, best[1], f"Sentinel-1 {base:g}-day baseline"))
    pairs.sort(key=lambda p: (p.reference.time, p.secondary.time))
    return pairs


def propose_uav_pairs(cands: Sequence[Scene]) -> List[Pair]:
    """Consecutive UAV surveys of the same site (footprint) with Δt > 0.

    Parameters
    ----------
    cands : sequence of Scene
        Scenes of any sensor; only ``UAV`` ones are used.

    Returns
    -------
    list of Pair
        One pair per consecutive survey, in time order within each site.
    """
    pairs: List[Pair] = []
    uav = [c for c in cands if c.sensor == "UAV"]
    for group in _groups(uav).values():
        for a, b in zip(group, group[1:]):
            if baseline_days(a.time, b.time) > 0:
                pairs.append(Pair(a, b, "consecutive UAV surveys"))
    return pairs


def propose_pairs(cands: Sequence[Scene], max_cloud: Optional[float] = 30.0,
                  s1_dt_days: Sequence[float] = S1_DT_DAYS) -> List[Pair]:
    """All proposals: optical monthly first–last, Sentinel-1 24/36-day, UAV consecutive.

    Scenes without a time must be left out by the caller (they cannot be paired).

    Parameters
    ----------
    cands : sequence of Scene
        Scenes of any sensors.
    max_cloud : float or None, optional
        Cloud-cover limit of optical scenes (percent), see :func:`propose_optical_pairs`.
    s1_dt_days : sequence of float, optional
        Nominal Sentinel-1 Δt (days), see :func:`propose_s1_pairs`.

    Returns
    -------
    list of Pair
        Sorted by (reference time, secondary time, reference key).
    """
    pairs = (propose_optical_pairs(cands, max_cloud) + propose_s1_pairs(cands, s1_dt_days)
             + propose_uav_pairs(cands))
    pairs.sort(key=lambda p: (p.reference.time, p.secondary.time, str(p.reference.key)))
    return pairs


def months_covered(pair: Pair) -> List[str]:
    """Calendar months a pair's time span overlaps.

    Parameters
    ----------
    pair : Pair
        A pair (reference time ≤ secondary time).

    Returns
    -------
    list of str
        ``YYYYMM`` labels from the reference's month to the secondary's, inclusive.
    """
    t, end = pair.reference.time, pair.secondary.time
    out = []
    y, m = t.year, t.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
