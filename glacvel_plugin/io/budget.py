"""Memory estimates before large allocations, with refusals that name the parameters.

A parameter typed one order of magnitude too large (``MAX_SPEED`` 100000 m/d, a UAV
``SPACING`` of 0.01 m) used to start allocating arrays of tens of gigabytes, run for
minutes and end in a ``MemoryError`` traceback or the kernel's out-of-memory killer.
The checks here run before any such allocation and raise ``ValueError`` (which every
algorithm shows to the user unchanged) saying which parameter, what it implies, and
which value would work.

* :func:`check_search` — a search range (from the maximum speed, Δt and the pixel
  size) larger than the images cannot find anything and would need a search area of
  ``(window + 2·search)²`` px per window.
* :func:`check_points` — a grid of points (UAV feature tracking) whose per-point
  arrays exceed the memory this machine has free.
* :func:`check_grid` — an output grid (fusion, monthly products) of absurd size
  (more than :data:`MAX_GRID_CELLS` cells, e.g. ``TARGET_RESOLUTION`` 0.001 m over a
  glacier) or whose products would not fit in the free space of the output folder.
"""
from __future__ import annotations

import math
import os
from typing import Optional, Tuple

MEMORY_SHARE = 0.5
"""Share of the memory available (``MemAvailable``) one run may plan to use."""


def available_memory() -> int:
    """Bytes of memory available to a new allocation.

    Returns
    -------
    int
        Linux ``MemAvailable`` from ``/proc/meminfo``; where that cannot be read, the
        physical memory (``os.sysconf``); 8 GiB when neither can be read.
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2 ** 30


def format_bytes(n: float) -> str:
    """A byte count for messages in binary units: ``2.36 TiB``, ``512 MiB``, ``12 kiB``.

    Parameters
    ----------
    n : float
        Bytes.

    Returns
    -------
    str
        Three significant digits (no decimals from 100 up) and the largest binary unit
        not above ``n``; ``"<n> bytes"`` below 1 kiB.
    """
    for unit, size in (("EiB", 2 ** 60), ("PiB", 2 ** 50), ("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("kiB", 2 ** 10)):
        if n >= size:
            v = n / size
            return (f"{v:,.0f}" if v >= 100 else f"{v:.3g}") + f" {unit}"
    return f"{int(n)} bytes"


def search_area_bytes(search: float, window: int, workers: int = 1) -> int:
    """Memory of the similarity search of one window per worker.

    The reference and secondary search areas of ``(window + 2·search)²`` px in float32
    and their complex64 spectra: about 24 bytes per pixel.

    Parameters
    ----------
    search : float
        Search range, px either side (rounded up).
    window : int
        Matching window side (px).
    workers : int, default 1
        Windows matched at once.

    Returns
    -------
    int
        Bytes.
    """
    side = int(window) + 2 * int(math.ceil(search))
    return int(side) ** 2 * 24 * max(1, int(workers))


def check_search(max_speed: float, dt_days: float, pixel_m: float, shape: Tuple[int, int],
                 window: int, workers: int = 1, speed_param: str = "MAX_SPEED",
                 window_param: str = "WINDOW", available: Optional[int] = None):
    """Refuse a search range that cannot be right or would not fit in memory.

    Nothing is checked unless ``max_speed``, ``dt_days`` and ``pixel_m`` are all
    positive (the readers and core report those).

    Parameters
    ----------
    max_speed : float
        Fastest speed searched (m/d), the value of ``speed_param``.
    dt_days : float
        Time baseline Δt (days).
    pixel_m : float
        Pixel size of the images (m; the smaller of x and y).
    shape : (int, int)
        Rows and columns of the images (their overlap).
    window : int
        Matching window side (px), the value of ``window_param``.
    workers : int, default 1
        Windows matched at once.
    speed_param, window_param : str
        Parameter names the message uses (``"MAX_SPEED"``, ``"WINDOW"``).
    available : int, optional
        Bytes of memory (default :func:`available_memory`).

    Raises
    ------
    ValueError
        When ``max_speed·Δt/pixel`` is larger than the images (no displacement that
        large can be measured in them), or the search area would need more than
        :data:`MEMORY_SHARE` of the available memory; the message gives the search in
        px, the memory, and the largest ``speed_param`` that works.
    """
    if not (max_speed > 0 and dt_days > 0 and pixel_m > 0):
        return
    search = max_speed * dt_days / pixel_m
    side = int(window) + 2 * int(math.ceil(search))
    rows, cols = int(shape[0]), int(shape[1])
    largest = max(rows, cols)
    need = search_area_bytes(search, window, workers)
    avail = available_memory() if available is None else int(available)
    head = (f"{speed_param} {max_speed:g} m/d over Δt {dt_days:.1f} d at {pixel_m:g} m pixels "
            f"needs a ±{math.ceil(search):,} px search ({side:,} px search window, "
            f"{format_bytes(need)})")
    if search > largest:
        ok_speed = largest * pixel_m / dt_days
        raise ValueError(
            f"{head}, larger than the images ({rows:,} × {cols:,} px): no displacement that "
            f"large can be measured in them; give the fastest speed you expect on this glacier "
            f"({speed_param} at most {_nice(ok_speed)} m/d for these images)")
    if need > MEMORY_SHARE * avail:
        ok_search = (math.sqrt(MEMORY_SHARE * avail / (24 * max(1, workers))) - window) / 2
        ok_speed = max(ok_search, 1.0) * pixel_m / dt_days
        raise ValueError(
            f"{head}, more than this machine can spare ({format_bytes(avail)} available); "
            f"lower {speed_param} to at most {_nice(ok_speed)} m/d or use a smaller "
            f"{window_param}")


def check_points(n_points: float, bytes_per_point: int, what: str, fix: str,
                 available: Optional[int] = None):
    """Refuse a grid of points whose per-point arrays need too much memory.

    Parameters
    ----------
    n_points : float
        Number of grid points.
    bytes_per_point : int
        Bytes each point needs.
    what : str
        Where the points come from, for the message (``"SPACING 0.01 m over the
        420 × 380 m overlap"``).
    fix : str
        What to change, for the message.
    available : int, optional
        Bytes of memory (default :func:`available_memory`).

    Raises
    ------
    ValueError
        When ``n_points · bytes_per_point`` exceeds :data:`MEMORY_SHARE` of
        ``available``.
    """
    need = float(n_points) * bytes_per_point
    avail = available_memory() if available is None else int(available)
    if need > MEMORY_SHARE * avail:
        raise ValueError(
            f"{what} gives {n_points:,.0f} points and needs {format_bytes(need)} of memory "
            f"({format_bytes(avail)} available); {fix}")


MAX_GRID_CELLS = 1_000_000_000
"""Cells of one output grid above which a grid is refused as absurd (31,623² px: a
949 km square at 30 m, 28 GiB per seven-band float32 product)."""


def free_space(folder: str) -> Optional[int]:
    """Bytes free for an unprivileged user in a folder.

    Parameters
    ----------
    folder : str
        A folder; when it does not exist yet, its nearest existing parent is measured.

    Returns
    -------
    int or None
        ``shutil.disk_usage(...).free``; None when no parent exists or it cannot be read.
    """
    import shutil
    f = os.path.abspath(folder)
    while f and not os.path.isdir(f):
        parent = os.path.dirname(f)
        if parent == f:
            return None
        f = parent
    try:
        return int(shutil.disk_usage(f).free)
    except OSError:
        return None


def check_grid(width: int, height: int, resolution: float, bands: int, products: int = 1,
               folder: Optional[str] = None, param: str = "TARGET_RESOLUTION",
               free: Optional[int] = None, max_cells: int = MAX_GRID_CELLS,
               extent_param: str = "EXTENT"):
    """Refuse an output grid of absurd size or whose products would not fit on disk.

    Parameters
    ----------
    width, height : int, grid size in px
    resolution : float, pixel size in metres (``param``)
    bands : int, float32 bands of each product
    products : int, products written on this grid (e.g. one per month)
    folder : output folder; its free space (:func:`free_space`) bounds the products'
        uncompressed size (not checked when None and ``free`` is None)
    param : the parameter that sets ``resolution``, named in the message
    free : bytes free (default: read from ``folder``)
    max_cells : cells above which the grid is refused whatever the disk
    extent_param : the parameter that sets the extent, named in the message

    Raises
    ------
    ValueError
        When ``width·height`` exceeds ``max_cells`` or ``products × bands × 4`` bytes
        per cell exceed the free space; the message gives the grid size, the bytes,
        and the finest ``param`` that works.
    """
    cells = float(width) * float(height)
    need = cells * int(bands) * 4 * max(1, int(products))
    if free is None and folder is not None:
        free = free_space(folder)
    limit = float(max_cells)
    why = f"more than the {max_cells:,} cells of the largest grid glacvel writes"
    if free is not None and need / cells * limit > free:
        disk_cells = free / (need / cells)
        if cells > disk_cells:
            limit = disk_cells
            where = f" in {folder}" if folder else ""
            why = f"more than the {format_bytes(free)} free{where}"
    if cells <= limit:
        return
    each = "" if products <= 1 else f" for {products} products"
    ok = resolution * math.sqrt(cells / max(limit, 1.0))
    raise ValueError(
        f"{param} {resolution:g} m over the {width * resolution / 1000:,.3g} × "
        f"{height * resolution / 1000:,.3g} km extent gives a {int(width):,} × "
        f"{int(height):,} px grid ({cells:,.3g} cells, {format_bytes(need)} uncompressed"
        f"{each}), {why}; use {param} {_nice_up(ok)} m or coarser, or a smaller {extent_param}")


def _nice_up(x: float) -> str:
    """A round number not below ``x`` for messages (2 significant digits)."""
    if x <= 0:
        return "0"
    digits = 1 - int(math.floor(math.log10(x)))
    f = 10.0 ** digits
    v = math.ceil(x * f - 1e-9) / f
    if digits > 0:
        return f"{v:,.{digits}f}".rstrip("0").rstrip(".")
    return f"{v:,.0f}"


def _nice(x: float) -> str:
    """A round number not above ``x`` for messages (3 significant digits)."""
    if x <= 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(x))))
    f = 10 ** digits
    return f"{math.floor(x * f) / f:,.{digits}f}".rstrip("0").rstrip(".")


def check_search_file(reference: str, max_speed: float, dt_days: float, window: int,
                      workers: int = 2, speed_param: str = "MAX_SPEED",
                      window_param: str = "WINDOW"):
    """:func:`check_search` with the shape and pixel size read from the reference raster.

    Nothing is checked when the raster cannot be opened (the pair reader reports that)
    or is not in a projected CRS.

    Parameters
    ----------
    reference : str
        Path of the reference image (any raster GDAL reads).
    max_speed : float
        Fastest speed searched (m/d).
    dt_days : float
        Time baseline Δt (days).
    window : int
        Matching window side (px).
    workers : int, default 2
        Windows matched at once.
    speed_param, window_param : str
        Parameter names the message uses.

    Raises
    ------
    ValueError
        As :func:`check_search`.
    """
    import rasterio
    try:
        with rasterio.open(reference) as ds:
            shape, pixel = (ds.height, ds.width), min(abs(ds.res[0]), abs(ds.res[1]))
            projected = ds.crs is not None and ds.crs.is_projected
    except Exception:  # noqa: BLE001 - the pair reader gives the real message
        return
    if projected:
        check_search(max_speed, dt_days, pixel, shape, window, workers, speed_param,
                     window_param)
