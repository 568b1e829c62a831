"""Output guard and run-level output transaction shared by every glacvel algorithm.

Two rules hold for every output kind (velocity product, vector layer, CSV table,
HTML report, folder of monthly products):

* **Inputs are never overwritten.** :func:`check_outputs` compares every output with
  every input after resolving symbolic links (``os.path.realpath``) and hard links
  (device and inode), with a shapefile standing for all its sidecar files
  (``.shp .shx .dbf .prj .cpg .qpj ...``), and refuses an output whose extension does
  not name the format glacvel writes (a GeoTIFF product called ``.png``).
* **All outputs of one run appear together or not at all.** :class:`OutputTransaction`
  gives each output a path with its final file name inside a hidden staging folder
  ``.glacvel-<host>-<pid>-<token>`` in the output's own folder; the algorithm writes
  there, and :meth:`OutputTransaction.commit` moves every staged file into place
  (existing files are first set aside and put back if a move fails), while
  :meth:`OutputTransaction.rollback` (error, cancel) deletes the staging folders and
  any folder the run created, so the output folders hold nothing new.

Staging folders and temporary files of runs that died (killed QGIS, power cut) are
removed by :func:`remove_stale_temporaries` the next time glacvel writes into that
folder: a name carrying this machine's host tag and the id of a process that no longer
exists, or any ``.glacvel-*`` entry older than :data:`STALE_SECONDS`.

This module uses only the standard library, so it is usable (and tested) without QGIS.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

TEMP_PREFIX = ".glacvel-"
"""Every temporary file or folder glacvel creates starts with this prefix."""

STALE_SECONDS = 24 * 3600.0
"""A ``.glacvel-*`` entry older than this is removed whatever its process id (a run on
another machine sharing the folder, or a name without a process id)."""

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx",
                      ".qix", ".fix", ".shp.xml", ".aih", ".ain", ".atx", ".ixs", ".mxs")
"""Files that make up one ESRI shapefile; writing any of them rewrites the layer."""

RASTER_EXTENSIONS = (".tif", ".tiff")
"""Extensions of the GeoTIFF velocity products every glacvel algorithm writes."""


class OutputGuardError(ValueError):
    """An output would overwrite an input, or its name does not match its format."""


# ------------------------------------------------------------------------ host, pid
def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def temp_prefix() -> str:
    """Prefix of a temporary name glacvel creates.

    Returns
    -------
    str
        ``.glacvel-<host>-<pid>-``: a hash of this machine's host name and this
        process's id, which :func:`remove_stale_temporaries` reads back.
    """
    return f"{TEMP_PREFIX}{_host_tag()}-{os.getpid()}-"


_NAME_RX = re.compile(r"^\.glacvel-([0-9a-f]{6})-(\d+)-")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return True
    return True


def remove_stale_temporaries(folder: str, now: Optional[float] = None) -> List[str]:
    """Remove ``.glacvel-*`` temporaries of dead runs from a folder.

    An entry whose name carries this machine's host tag is stale when the process id
    in its name is not running; any other ``.glacvel-*`` entry (another machine, an
    older name without a process id) when it is older than :data:`STALE_SECONDS`.
    Entries of live runs (this process included) are kept. Errors while removing are
    ignored (another run may remove the same entry).

    Parameters
    ----------
    folder : str
        The folder (not searched recursively); an unreadable folder removes nothing.
    now : float, optional
        Current time (seconds since the epoch, as ``time.time()``), the default.

    Returns
    -------
    list of str
        Names of the entries removed.
    """
    removed = []
    now = time.time() if now is None else now
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    me = _host_tag()
    for name in names:
        if not name.startswith(TEMP_PREFIX):
            continue
        path = os.path.join(folder, name)
        m = _NAME_RX.match(name)
        if m and m.group(1) == me:      # this machine: stale once its process is gone
            pid = int(m.group(2))
            stale = pid != os.getpid() and not _pid_alive(pid)
        else:                           # another machine, or no process id: by age
            try:
                stale = now - os.lstat(path).st_mtime > STALE_SECONDS
            except OSError:
                continue
        if not stale:
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
            removed.append(name)
        except OSError:
            pass
    return removed


# ------------------------------------------------------------------------ file families
def _split_source(source: str) -> str:
    """The file part of a QGIS/GDAL layer source (``a.gpkg|layername=x`` → ``a.gpkg``,
    ``file:///data/gps.csv?delimiter=,`` → ``/data/gps.csv``)."""
    source = source.strip()
    if source.startswith("file://"):
        from urllib.parse import unquote, urlparse
        return unquote(urlparse(source).path)
    return source.split("|", 1)[0].strip()


def looks_like_file(dest: str) -> bool:
    """Whether a layer source or destination is a plain file path.

    Parameters
    ----------
    dest : str
        A path or QGIS/GDAL source string.

    Returns
    -------
    bool
        False for an empty string, ``memory:``, ``ogr:``-style provider prefixes,
        URLs (``postgres://``) and ``/vsi...`` paths; a one-letter drive (``C:``) is a
        file path.
    """
    if not dest:
        return False
    if "://" in dest or dest.startswith("/vsi"):
        return False
    if re.match(r"^[A-Za-z][A-Za-z0-9_]+:", dest):  # provider prefix (a drive is one letter)
        return False
    return True


def _shapefile_stem(path: str) -> Optional[str]:
    low = path.lower()
    for ext in sorted(SHAPEFILE_SIDECARS, key=len, reverse=True):
        if low.endswith(ext):
            return path[:-len(ext)]
    return None


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path)).lower()


def family(path: str, existing_only: bool = False) -> Dict[str, str]:
    """Files that writing or reading a path involves.

    A shapefile (or any of its sidecars) stands for every sidecar of its stem
    (:data:`SHAPEFILE_SIDECARS`, also in another letter case); any other file stands
    for itself. Paths are resolved through symbolic links.

    Parameters
    ----------
    path : str
        A file path.
    existing_only : bool, default False
        Return only files that exist (inputs).

    Returns
    -------
    dict
        Comparison key (real path, case-folded) → real path.
    """
    real = os.path.realpath(path)
    stem = _shapefile_stem(real)
    if stem is None:
        members = [real]
    else:
        members = [stem + ext for ext in SHAPEFILE_SIDECARS]
        folder, base = os.path.split(stem)
        try:  # sidecars in another letter case (BEDROCK.DBF)
            for name in os.listdir(folder or "."):
                if _shapefile_stem(name) is not None and \
                        _shapefile_stem(name).lower() == base.lower():
                    members.append(os.path.join(folder, name))
        except OSError:
            pass
    out = {}
    for m in members:
        if existing_only and not os.path.exists(m):
            continue
        out[_key(m)] = m
    return out


def _inode(path: str) -> Optional[Tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


@dataclass
class Output:
    """One output of a run.

    Attributes
    ----------
    name : str
        Parameter name (``OUTPUT``, ``OUTPUT_CSV``, ...), used in messages.
    path : str
        Path the user gave (not resolved).
    kind : str
        ``raster`` (GeoTIFF product), ``vector`` (QGIS writes the format its
        extension names), ``file`` (text table or report) or ``folder``.
    extensions : tuple of str
        Accepted extensions with the dot, lower case; empty = any.
    format_name : str
        Name of the format for messages (``GeoTIFF``, ``CSV``, ...).
    """
    name: str
    path: str
    kind: str
    extensions: Tuple[str, ...] = ()
    format_name: str = ""


def _symlink_note(path: str) -> str:
    real = os.path.realpath(path)
    if real != os.path.abspath(path):
        return f" (it resolves through a symbolic link to {real})"
    return ""


def check_extension(out: Output):
    """Refuse an output whose extension does not name its format.

    Parameters
    ----------
    out : Output
        The output; folders and outputs without ``extensions`` pass.

    Raises
    ------
    OutputGuardError
        Naming the parameter, the file, the format and the file name to use instead.
    """
    if out.kind == "folder" or not out.extensions:
        return
    base = os.path.basename(out.path)
    ext = os.path.splitext(base)[1].lower()
    if ext in out.extensions:
        return
    stem = os.path.splitext(base)[0] if ext else base
    suggestion = stem + out.extensions[0]
    what = f"the extension '{ext}'" if ext else "no extension"
    raise OutputGuardError(
        f"{out.name}: {out.path} has {what}, but this output is written as "
        f"{out.format_name or 'a ' + out.extensions[0] + ' file'}; name it {suggestion} "
        f"(accepted: {', '.join(out.extensions)})")


def check_outputs(outputs: Sequence[Output], inputs: Sequence[Tuple[str, str]]):
    """Refuse outputs that would overwrite an input or each other, or are misnamed.

    Parameters
    ----------
    outputs : sequence of :class:`Output`
    inputs : sequence of (parameter name, file path)
        Every file the run reads; shapefiles count with all their sidecars.

    Raises
    ------
    OutputGuardError
        Naming the output parameter and file, the input parameter and file, and what
        to change.
    """
    in_keys: Dict[str, Tuple[str, str, str]] = {}
    in_inodes: Dict[Tuple[int, int], Tuple[str, str, str]] = {}
    for pname, p in inputs:
        if not p or not looks_like_file(p):
            continue
        p = _split_source(p)
        if not os.path.exists(p):
            continue
        for k, member in family(p, existing_only=True).items():
            in_keys.setdefault(k, (pname, p, member))
            ino = _inode(member)
            if ino is not None:
                in_inodes.setdefault(ino, (pname, p, member))
        if os.path.isdir(p):
            in_keys.setdefault(_key(p), (pname, p, p))

    seen: Dict[str, Tuple[str, str]] = {}
    for out in outputs:
        if not out.path or not looks_like_file(out.path):
            continue
        path = _split_source(out.path)
        if out.kind == "folder":
            k = _key(path)
            if k in in_keys and os.path.isfile(path):
                pname, p, _ = in_keys[k]
                raise OutputGuardError(
                    f"{out.name}: the folder {path} is the input file {p} ({pname}); "
                    "choose a folder for the outputs")
            continue
        if os.path.isdir(path):
            raise OutputGuardError(
                f"{out.name}: {path} is a folder; give a file name inside it")
        fam = family(path)
        own = _key(path)
        for k, member in sorted(fam.items(), key=lambda km: km[0] != own):
            hit = in_keys.get(k) or in_inodes.get(_inode(member) or (-1, -1))
            if hit is None:
                continue
            pname, p, in_member = hit
            same = _key(in_member) == _key(p) and (_key(member) == _key(path))
            what = ("is one of the inputs" if same else
                    f"would overwrite {os.path.basename(in_member)}, a file of one of the "
                    "inputs")
            raise OutputGuardError(
                f"{out.name}: {out.path} {what} ({pname}: {p}){_symlink_note(out.path)}; "
                "inputs are never overwritten, choose another file name or folder for "
                "the output")
        for k in fam:
            if k in seen:
                other, opath = seen[k]
                raise OutputGuardError(
                    f"{out.name}: {out.path} is also the output {other} ({opath}); give "
                    "each output its own file name")
        for k in fam:
            seen[k] = (out.name, out.path)
        check_extension(Output(out.name, path, out.kind, out.extensions, out.format_name))


# ------------------------------------------------------------------------ transaction
def _describe_oserror(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOENT:
        return "the folder does not exist (any more)"
    return exc.strerror or str(exc)


def free_space_text(folder: str) -> str:
    """The free space of a folder's file system, for messages.

    Parameters
    ----------
    folder : str
        An existing folder.

    Returns
    -------
    str
        ``'12.3 MB free'``; ``''`` when it cannot be read.
    """
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    for unit, size in (("GB", 2 ** 30), ("MB", 2 ** 20), ("kB", 2 ** 10)):
        if free >= size:
            return f"{free / size:.1f} {unit} free"
    return f"{free} bytes free"


class OutputTransaction:
    """Stage every output of a run, then publish all of them or none.

    Usage::

        tx = OutputTransaction(protect=input_files)
        staged = tx.stage_file("OUTPUT", "/data/v.tif")      # /data/.glacvel-…/v.tif
        folder = tx.stage_folder("OUTPUT_FOLDER", "/data/months")
        ...                                                 # write there
        tx.commit()           # or tx.rollback() on error / cancel

    Parameters
    ----------
    protect : iterable of (str, str)
        (parameter name, file path) of the inputs; a staged file whose final path is
        one of them (or a sidecar of one) makes :meth:`commit` fail before anything
        moves.
    """

    def __init__(self, protect: Iterable[Tuple[str, str]] = ()):
        self.protect = list(protect)
        self._stages: List[Tuple[str, str, str]] = []   # (param, staging dir, final dir)
        self._created: List[str] = []                   # folders this run created
        self._done = False

    # -- staging
    def _make_folder(self, name: str, folder: str):
        if os.path.isdir(folder):
            return
        f = folder
        while f and not os.path.lexists(f):
            f = os.path.dirname(f)
        if f and not os.path.isdir(f):
            raise OSError(errno.ENOTDIR, f"{name}: {f} is a file, not a folder; choose "
                          "another folder for the output")
        missing = []
        f = folder
        while f and not os.path.isdir(f):
            missing.append(f)
            parent = os.path.dirname(f)
            if parent == f:
                break
            f = parent
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, f"{name}: cannot create the folder {folder} "
                          f"({_describe_oserror(exc)}); choose a folder you can write to") \
                from None
        self._created.extend(reversed(missing))

    def _stage_dir(self, name: str, final_dir: str) -> str:
        for param, stage, fdir in self._stages:
            if fdir == final_dir:
                return stage
        self._make_folder(name, final_dir)
        remove_stale_temporaries(final_dir)
        stage = os.path.join(final_dir, temp_prefix() + secrets.token_hex(4))
        try:
            os.mkdir(stage)
        except OSError as exc:
            raise OSError(exc.errno, f"{name}: cannot write in the folder {final_dir} "
                          f"({_describe_oserror(exc)}); choose a folder you can write to") \
                from None
        self._stages.append((name, stage, final_dir))
        return stage

    def stage_file(self, name: str, path: str) -> str:
        """Staged path for one output file.

        Creates the output's folder (remembered for :meth:`rollback`) and a hidden staging
        folder ``.glacvel-<host>-<pid>-<token>`` in it, shared by all outputs of the run
        in that folder.

        Parameters
        ----------
        name : str
            Output parameter name, for messages.
        path : str
            The output's final path.

        Returns
        -------
        str
            Same file name inside the staging folder beside ``path``.

        Raises
        ------
        OSError
            When the folder cannot be created or written, or a parent is a file; the
            message names the parameter and the folder.
        """
        final_dir = os.path.dirname(os.path.abspath(path))
        return os.path.join(self._stage_dir(name, final_dir), os.path.basename(path))

    def stage_folder(self, name: str, folder: str) -> str:
        """Staged folder for an output folder.

        Parameters
        ----------
        name : str
            Output parameter name, for messages.
        folder : str
            The output folder; created if needed.

        Returns
        -------
        str
            The staging folder inside ``folder``; files written there are moved into
            ``folder`` on commit.

        Raises
        ------
        OSError
            As :meth:`stage_file`.
        """
        return self._stage_dir(name, os.path.abspath(folder))

    # -- mapping staged names back to the user's
    def final_text(self, text):
        """A message or result with every staging folder replaced by its final folder.

        Parameters
        ----------
        text : str or object
            Anything; only strings are changed.

        Returns
        -------
        str or object
            ``text`` with staged paths replaced by final paths.
        """
        if not isinstance(text, str):
            return text
        for _, stage, final_dir in sorted(self._stages, key=lambda s: -len(s[1])):
            text = text.replace(stage + os.sep, final_dir + os.sep).replace(stage, final_dir)
        return text

    def final_value(self, value):
        """Like :meth:`final_text` for results: strings, lists, tuples and dicts of them.

        Parameters
        ----------
        value : object
            A result value.

        Returns
        -------
        object
            The same structure with staged paths replaced (dict keys unchanged).
        """
        if isinstance(value, str):
            return self.final_text(value)
        if isinstance(value, list):
            return [self.final_value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.final_value(v) for v in value)
        if isinstance(value, dict):
            return {k: self.final_value(v) for k, v in value.items()}
        return value

    @property
    def staging_folders(self) -> List[str]:
        return [s for _, s, _ in self._stages]

    # -- publish / drop
    def _moves(self) -> List[Tuple[str, str, str]]:
        moves = []
        for name, stage, final_dir in self._stages:
            for entry in sorted(os.listdir(stage)):
                if entry.startswith(TEMP_PREFIX):  # a nested writer's leftover
                    continue
                moves.append((name, os.path.join(stage, entry), os.path.join(final_dir, entry)))
        return moves

    def commit(self) -> List[str]:
        """Move every staged file into place.

        Before anything moves, each final path is checked against ``protect``. An
        existing file at a final path is set aside in the staging folder and restored
        if a later move fails; on success the set-aside files are deleted. A shapefile
        output also replaces the old layer's sidecars that the new one does not have.

        Returns
        -------
        list of str
            The final paths placed (empty on a second call).

        Raises
        ------
        OutputGuardError
            When a final path is one of the ``protect`` inputs (everything is rolled back).
        OSError
            When a staging folder vanished during the run or a move fails (everything is
            rolled back and the old files restored).
        """
        if self._done:
            return []
        for name, stage, final_dir in self._stages:
            if not os.path.isdir(stage):
                self.rollback()
                raise OSError(errno.ENOENT, f"{name}: the output folder {final_dir} was removed "
                              "or moved during the run; nothing was written, run again")
        moves = self._moves()
        protect_keys = {}
        for pname, p in self.protect:
            if p and looks_like_file(p) and os.path.exists(_split_source(p)):
                for k in family(_split_source(p), existing_only=True):
                    protect_keys[k] = (pname, p)
        for name, src, dst in moves:
            for k in family(dst):
                if k in protect_keys:
                    pname, p = protect_keys[k]
                    self.rollback()
                    raise OutputGuardError(
                        f"{name}: writing {dst} would overwrite the input {pname} {p}; "
                        "choose another output folder")
        # old sidecars of replaced shapefiles
        extra = []
        new = {os.path.normcase(d) for _, _, d in moves}
        for name, src, dst in moves:
            if dst.lower().endswith(".shp"):
                for k, member in family(dst, existing_only=True).items():
                    if os.path.normcase(member) not in new:
                        extra.append((name, member))
        aside: List[Tuple[str, str]] = []   # (backup, original)
        placed: List[str] = []
        try:
            for name, member in extra:
                stage = os.path.dirname(next(s for n, s, d in moves if n == name))
                backup = os.path.join(stage, TEMP_PREFIX + "old-" + os.path.basename(member))
                os.replace(member, backup)
                aside.append((backup, member))
            for name, src, dst in moves:
                if os.path.lexists(dst) and not os.path.isdir(dst):
                    backup = os.path.join(os.path.dirname(src),
                                          TEMP_PREFIX + "old-" + os.path.basename(dst))
                    os.replace(dst, backup)
                    aside.append((backup, dst))
                os.replace(src, dst)
                placed.append(dst)
        except OSError as exc:
            for dst in placed:
                try:
                    os.remove(dst)
                except OSError:
                    pass
            for backup, original in aside:
                try:
                    os.replace(backup, original)
                except OSError:
                    pass
            self.rollback()
            raise OSError(exc.errno, f"cannot move the outputs into place "
                          f"({_describe_oserror(exc)}); nothing was written") from None
        self._remove_stages()
        self._done = True
        return placed

    def _remove_stages(self):
        for _, stage, _ in self._stages:
            shutil.rmtree(stage, ignore_errors=True)

    def rollback(self):
        """Delete everything staged and every folder this run created (if left empty)."""
        if self._done:
            return
        self._remove_stages()
        for folder in reversed(self._created):
            try:
                os.rmdir(folder)
            except OSError:
                pass
        self._done = True
