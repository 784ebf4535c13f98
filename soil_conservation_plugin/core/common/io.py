"""File helpers: all-or-nothing outputs, hashes, JSON. One place, so no output is ever half-written.

Every file the plugin writes goes through :func:`atomic_path`. Inside an :func:`output_set`
(one per algorithm run) the temporaries of all its files are kept until the run ends and then
moved into place together; on an error, a cancel or a signal they are removed and what was
there before is unchanged. Outside a set, each ``atomic_path`` is its own small set.

What a run may replace, and what it must refuse:
- a file output replaces a file, never a folder, and never one of the run's own inputs;
- a GeoPackage output adds or replaces only the layers this run writes; every other layer
  stays, a layer that is an input of the same run is never replaced, and an existing layer is
  replaced only when the GeoPackage's registry says this plugin wrote it (:data:`REGISTRY_URI`:
  rows of the GeoPackage metadata extension, one per layer, written with the layer);
- a folder output (export package, demo results) replaces only an empty folder or one this
  plugin wrote (it carries :data:`MARKER`);
- ``overwrite=False`` is checked again when committing, not only at the start;
- a lock next to each output makes a second concurrent run on it refuse.

Each staged file is read back before the commit (rasters fully decoded, GeoPackages checked,
PDF/ZIP/JSON parsed), so a disk that filled up during a GDAL write cannot leave a truncated
file under its final name.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
import zipfile
from pathlib import Path

from .errors import CancelledError, ChecksFailed, InputError

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
MARKER = ".soil_conservation_output.json"  # left in every folder output: "this plugin wrote it"
PARTIAL = ".partial-"  # in every temporary name
# the registry of the layers this plugin wrote into a GeoPackage: rows of the GeoPackage metadata
# extension (gpkg_metadata / gpkg_metadata_reference), one per layer, so no extra table shows as a layer
REGISTRY_URI = "urn:soil_conservation_plugin:layers"

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

_ACTIVE: contextvars.ContextVar[OutputSet | None] = contextvars.ContextVar("soil_conservation_output_set", default=None)
# target → the set that claimed it, for writes from worker threads that did not inherit the context
_CLAIMED: dict[Path, OutputSet] = {}
_CLAIMED_LOCK = threading.Lock()


def _refuse(label: str, zh: str, en: str) -> InputError:
    return InputError(label, zh, en)


# --- locks ----------------------------------------------------------------------------------------
class _Lock:
    """An exclusive, non-blocking lock file ``.<name>.lock`` beside an output, removed on release."""

    def __init__(self, target: Path):
        self.path = target.with_name(f".{target.name}.lock")
        self.fd: int | None = None

    def acquire(self) -> bool:
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:  # pragma: no cover
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                os.close(fd)
                return False
            # the holder before us may have removed the file after we opened it: lock the live one
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same or fcntl is None:
                self.fd = fd
                os.write(fd, str(os.getpid()).encode())
                return True
            os.close(fd)
        return False

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self.fd)  # closing drops the flock
        self.fd = None


# --- what a path holds ----------------------------------------------------------------------------
def _is_gpkg(path: Path) -> bool:
    return path.suffix.lower() == ".gpkg"


def _gpkg_layers(path: Path) -> list[str]:
    from osgeo import ogr

    with _gdal_quiet():
        try:
            ds = ogr.Open(str(path))
        except RuntimeError:  # GDAL exceptions turned on by some library
            ds = None
    if ds is None:
        return []
    try:
        return [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    finally:
        ds = None


def _sqlite_header(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


_METADATA_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
    "definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, "
    "extension_name))",
    "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
    "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
    "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, "
    "column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT "
    "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
    "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
    "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))",
    "INSERT INTO gpkg_extensions SELECT 'gpkg_metadata', NULL, 'gpkg_metadata', "
    "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write' WHERE NOT EXISTS "
    "(SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_metadata' AND extension_name = 'gpkg_metadata')",
    "INSERT INTO gpkg_extensions SELECT 'gpkg_metadata_reference', NULL, 'gpkg_metadata', "
    "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write' WHERE NOT EXISTS "
    "(SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_metadata_reference' "
    "AND extension_name = 'gpkg_metadata')",
)


def _sql_text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _registry_statements(layers, step: str) -> list[str]:
    """SQL that (re)registers ``layers`` as written by this plugin in ``step`` now."""
    # GDAL's own fixed date when one is set (reproducible files, as the demo region's), else now
    when = os.environ.get("OGR_CURRENT_DATE") or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = list(_METADATA_DDL)
    for layer in layers:
        name = _sql_text(layer)
        out.append(
            "DELETE FROM gpkg_metadata_reference WHERE lower(table_name) = lower("
            f"{name}) AND md_file_id IN (SELECT id FROM gpkg_metadata WHERE md_standard_uri = '{REGISTRY_URI}')"
        )
        record = json.dumps(
            {"written_by": "soil_conservation_plugin", "layer": layer, "step": step, "written": when},
            ensure_ascii=False,
        )
        out.append(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES "
            f"('dataset', '{REGISTRY_URI}', 'application/json', {_sql_text(record)})"
        )
        out.append(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, timestamp, md_file_id) VALUES "
            f"('table', {name}, {_sql_text(when)}, last_insert_rowid())"
        )
    out.append(
        "DELETE FROM gpkg_metadata WHERE md_standard_uri = '"
        f"{REGISTRY_URI}' AND id NOT IN (SELECT md_file_id FROM gpkg_metadata_reference)"
    )
    return out


def registered_layers(path) -> set[str]:
    """The layers of the GeoPackage ``path`` that its registry says this plugin wrote (lower case)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{Path(os.path.abspath(path)).as_uri()}?mode=ro", uri=True)  # '#', '?' quoted
    except sqlite3.Error:
        return set()
    try:
        rows = con.execute(
            "SELECT r.table_name FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id "
            "WHERE m.md_standard_uri = ? AND r.reference_scope = 'table'",
            (REGISTRY_URI,),
        ).fetchall()
    except sqlite3.Error:  # no metadata tables: nothing registered
        return set()
    finally:
        con.close()
    return {str(r[0]).lower() for r in rows if r[0]}


def _register_layers(path: Path, layers, step: str) -> None:
    """Register ``layers`` in a GeoPackage this run created (its temporary, before the commit)."""
    import sqlite3

    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        con.execute("BEGIN")
        for statement in _registry_statements(layers, step):
            con.execute(statement)
        con.execute("COMMIT")
    finally:
        con.close()


def foreign_layers(target, layers) -> list[str]:
    """Those of ``layers`` that the existing GeoPackage ``target`` holds but this plugin did not write."""
    target = Path(target)
    if not target.is_file() or not target.stat().st_size or not _sqlite_header(target):
        return []
    existing = {name.lower() for name in _gpkg_layers(target)}
    mine = registered_layers(target)
    return [name for name in layers if name.lower() in existing and name.lower() not in mine]


def check_foreign_layers(target, layers, label: str) -> None:
    """Refuse (bilingual, naming the file and the layers) when ``target`` holds one of ``layers`` that this
    plugin did not write: such a layer is never replaced."""
    names = foreign_layers(target, layers)
    if names:
        raise _refuse_foreign(label, Path(os.path.abspath(target)), names)


def _refuse_foreign(label: str, target: Path, names: list[str]) -> InputError:
    shown = "、".join(names)
    return _refuse(
        label,
        f"图层 {shown} 不是本插件写入的，不会被覆盖：请换一个输出文件（{target}）",
        f"the layer(s) {', '.join(names)} of {target} were not written by this plugin and are not replaced: "
        "choose another output file",
    )


@contextlib.contextmanager
def _gdal_quiet():
    """GDAL errors collected, not printed; per thread, and the global exception mode untouched."""
    from osgeo import gdal

    gdal.PushErrorHandler("CPLQuietErrorHandler")
    gdal.ErrorReset()
    try:
        yield gdal
    finally:
        gdal.PopErrorHandler()


_WRITE_FAILURE = re.compile(
    r"no space|write error|write failed|cannot write|could not write|failed to write|too large|i/o error"
    r"|flush|quota|disk",
    re.I,
)


@contextlib.contextmanager
def _gdal_write_errors(label: str, target: Path):
    """Raise if GDAL reported a failure in this thread while the block wrote (disk full, I/O error).

    GDAL reports a failed write through its error handler, often only when a block is flushed
    or the file closed; rasterio logs such errors and carries on, leaving a truncated file that
    looks finished (a sparse GeoTIFF even reads back without error).
    """
    from osgeo import gdal

    failures: list[str] = []

    def handler(err_class, err_no, message):
        # only failures of writing: QGIS's exporters meet harmless GDAL failures too
        # (e.g. "The PNG driver does not support update access"), which must not fail a run
        text = str(message)
        if err_class in (gdal.CE_Failure, gdal.CE_Fatal) and (
            err_no == gdal.CPLE_FileIO or _WRITE_FAILURE.search(text)
        ):
            failures.append(text)

    def refusal():
        shown = "; ".join(dict.fromkeys(failures))[:500]
        return _refuse(
            label,
            f"写入 {target} 失败（磁盘已满或无法写入？）：{shown}",
            f"writing {target} failed (disk full or not writable?): {shown}",
        )

    gdal.PushErrorHandler(handler)
    try:
        yield
    except Exception as exc:  # an empty RuntimeError of OGR, rasterio's RasterioIOError …: say what failed
        causes = [str(e) for e in (exc, exc.__cause__, exc.__context__) if e is not None]
        said = isinstance(exc, InputError) or (
            isinstance(exc, OSError) and not type(exc).__module__.startswith("rasterio")
        )
        if not failures and not said:  # a plain OSError already says it (ENOSPC …); rasterio's hides it
            failures.extend(c for c in causes if _WRITE_FAILURE.search(c))
        if failures:
            raise refusal() from exc
        raise
    finally:
        gdal.PopErrorHandler()
    if failures:
        raise refusal()


def _holds_files(folder: Path) -> bool:
    """True when the folder holds anything but this plugin's running locks and temporaries."""
    return any(
        not (p.name.startswith(".") and (p.name.endswith(".lock") or PARTIAL in p.name)) for p in folder.iterdir()
    )


def _writable_dir(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


# --- verification of a staged file ----------------------------------------------------------------
def verify_output(path) -> str | None:
    """None when the file (or every file of a folder) reads back completely, else what is wrong."""
    path = Path(path)
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file():
                problem = verify_output(child)
                if problem:
                    return problem
        return None
    if not path.exists():
        return f"{path.name}: missing"
    suffix = path.suffix.lower()
    try:
        if suffix in (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".vrt", ".img"):
            return _verify_raster(path)
        if suffix == ".gpkg":
            return _verify_gpkg(path)
        if suffix == ".pdf":
            data = path.read_bytes()
            if not data.startswith(b"%PDF") or b"%%EOF" not in data[-2048:]:
                return f"{path.name}: incomplete PDF"
        elif suffix in (".zip", ".xlsx"):
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
            if bad:
                return f"{path.name}: damaged entry {bad}"
        elif suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        # text files written by Python: a full disk already raised while writing them
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        return f"{path.name}: {exc}"
    return None


def _verify_raster(path: Path) -> str | None:
    with _gdal_quiet() as gdal:
        try:  # GDAL raises instead where some library turned its exceptions on
            ds = gdal.Open(str(path))
            if ds is None:
                return f"{path.name}: {gdal.GetLastErrorMsg() or 'not readable'}"
            for i in range(1, ds.RasterCount + 1):
                ds.GetRasterBand(i).Checksum()  # decodes every block
                if gdal.GetLastErrorType() >= gdal.CE_Failure:
                    return f"{path.name}: {gdal.GetLastErrorMsg()}"
        except RuntimeError as exc:
            return f"{path.name}: {exc}"
        finally:
            ds = None
    return None


def _verify_gpkg(path: Path) -> str | None:
    with _gdal_quiet() as gdal:
        try:
            ds = gdal.OpenEx(str(path), gdal.OF_VECTOR)
            if ds is None:
                return f"{path.name}: {gdal.GetLastErrorMsg() or 'not a GeoPackage'}"
            res = ds.ExecuteSQL("PRAGMA quick_check")
            ok = res is not None and res.GetNextFeature().GetField(0) == "ok"
            if res is not None:
                ds.ReleaseResultSet(res)
        except RuntimeError as exc:
            return f"{path.name}: {exc}"
        finally:
            ds = None
    return None if ok else f"{path.name}: damaged GeoPackage"


# --- the output set -------------------------------------------------------------------------------
class OutputSet:
    """The files of one run: claimed (checked, locked) up front, staged, then committed together.

    ``inputs``: the run's inputs as (absolute path, layer name or None); ``labels``: output
    path → the name the user knows it by; ``cancelled``: polled before the commit.
    """

    def __init__(self, *, overwrite: bool = True, inputs=(), cancelled=None, step: str = ""):
        self.overwrite = overwrite
        self.step = step
        self.inputs = {(os.path.abspath(p), layer) for p, layer in inputs}
        self.input_files = {p for p, _ in self.inputs}
        self.cancelled = cancelled or (lambda: False)
        self.labels: dict[Path, str] = {}
        self.kinds: dict[Path, str] = {}
        self.locks: dict[Path, _Lock] = {}
        self.staged: list[tuple[Path, Path]] = []  # (temporary, target)
        self.created_dirs: list[Path] = []
        self.folders: list[Path] = []  # folders the run writes into: marked on commit

    # claim: before any work
    def claim(self, target, label: str | None = None, kind: str | None = None) -> Path:
        """Check that ``target`` may be written by this run and lock it. ``kind``: file, folder or gpkg."""
        target = Path(os.path.abspath(target))
        label = label or self.labels.get(target) or target.name
        kind = kind or ("gpkg" if _is_gpkg(target) else "file")
        if target in self.locks:
            self.kinds[target] = kind
            return target
        self.labels[target] = label
        self.kinds[target] = kind
        self._check(target, label, kind)
        parent = target.parent
        missing = []
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _refuse(
                label,
                f"无法创建输出文件夹 {target.parent}：{exc.strerror}",
                f"cannot create the output folder {target.parent}: {exc.strerror}",
            ) from exc
        self.created_dirs.extend(reversed(missing))
        lock = _Lock(target)
        try:
            acquired = lock.acquire()
        except OSError as exc:
            raise _refuse(
                label, f"输出文件夹不可写：{target.parent}", f"the output folder is not writable: {target.parent}"
            ) from exc
        if not acquired:
            raise _refuse(
                label,
                f"另一个运行正在写入此输出：{target}；请等它结束或换一个输出路径",
                f"another run is writing this output: {target}; wait for it to end or choose another path",
            )
        self.locks[target] = lock
        with _CLAIMED_LOCK:
            _CLAIMED[target] = self
        return target

    def _check(self, target: Path, label: str, kind: str) -> None:
        where = str(target)
        if kind != "gpkg" and str(target) in self.input_files:  # a GeoPackage: checked per layer at commit
            raise _refuse(
                label,
                f"输出路径就是本次运行的输入文件，它会被覆盖：{where}",
                f"the output path is an input of this run and would be overwritten: {where}",
            )
        if not _writable_dir(target.parent):
            raise _refuse(
                label, f"输出文件夹不可写：{target.parent}", f"the output folder is not writable: {target.parent}"
            )
        if not target.exists() and not target.is_symlink():
            return
        if kind == "folder" and target.is_dir() and not _holds_files(target):
            return  # an empty folder (e.g. made by the Processing dialog): nothing to lose
        if not self.overwrite:
            raise _refuse(
                label,
                f"输出已存在且未允许覆盖，未覆盖：{where}",
                f"the output exists and overwriting is off, so it is not overwritten: {where}",
            )
        if kind == "folder":
            if not target.is_dir():
                raise _refuse(
                    label,
                    f"输出路径是已有文件，不是文件夹：{where}",
                    f"the output path is an existing file, not a folder: {where}",
                )
            if _holds_files(target) and not (target / MARKER).is_file():
                raise _refuse(
                    label,
                    f"输出文件夹已存在且不是本插件写的，不会删除它：{where}；请选择新的或空的文件夹",
                    f"the output folder exists and was not written by this plugin, so it is not replaced: {where}; "
                    "choose a new or empty folder",
                )
            return
        if target.is_dir():
            raise _refuse(
                label,
                f"输出路径是已有文件夹，不会删除它：{where}；请给出文件名",
                f"the output path is an existing folder, which is never deleted: {where}; give a file name",
            )
        if kind == "gpkg" and target.stat().st_size and not _sqlite_header(target):
            raise _refuse(
                label,
                f"输出路径已有一个不是 GeoPackage 的文件：{where}",
                f"the output path holds a file that is not a GeoPackage: {where}",
            )

    def check_layers(self, target, layers, label: str | None = None) -> None:
        """Refuse now, before any work, when the GeoPackage ``target`` holds one of ``layers`` that this
        plugin did not write (checked again at the commit)."""
        target = Path(os.path.abspath(target))
        check_foreign_layers(target, layers, label or self.labels.get(target) or target.name)

    def claim_folder(self, folder, label: str) -> Path:
        """A folder the run writes files into (tables, a publication): refused if it holds files the
        plugin did not write; marked as the plugin's when the run commits."""
        folder = Path(os.path.abspath(folder))
        if folder.exists() and not folder.is_dir():
            raise _refuse(
                label,
                f"输出路径是已有文件，不是文件夹：{folder}",
                f"the output path is an existing file, not a folder: {folder}",
            )
        if folder.is_dir() and _holds_files(folder) and not (folder / MARKER).is_file():
            raise _refuse(
                label,
                f"输出文件夹已存在且不是本插件写的，不会往里写：{folder}；请选择新的或空的文件夹",
                f"the output folder exists and was not written by this plugin, so nothing is written into it: "
                f"{folder}; choose a new or empty folder",
            )
        if not _writable_dir(folder):
            raise _refuse(label, f"输出文件夹不可写：{folder}", f"the output folder is not writable: {folder}")
        self.folders.append(folder)
        return folder

    # stage: as each file is complete
    def stage(self, tmp: Path, target: Path) -> None:
        target = Path(os.path.abspath(target))
        if self.kinds.get(target) == "folder" and tmp.is_dir():
            _write_marker(tmp / MARKER)
        problem = verify_output(tmp)
        if problem:
            raise _refuse(
                self.labels.get(target, target.name),
                f"输出写入不完整（磁盘满或写入出错？）：{problem}",
                f"the output was not written completely (disk full or a write error?): {problem}",
            )
        if self.kinds.get(target) == "gpkg" and tmp.is_file():  # a GeoPackage the plugin creates: all its layers
            _register_layers(tmp, _gpkg_layers(tmp), self.step or self.labels.get(target, target.name))
        self.staged = [(t, g) for t, g in self.staged if g != target]
        self.staged.append((tmp, target))

    # commit: all files or none
    def commit(self) -> None:
        if self.cancelled():
            raise CancelledError()
        merges, renames = [], []
        for tmp, target in self.staged:
            label = self.labels.get(target, target.name)
            self._check(target, label, self.kinds.get(target, "file"))
            if self.kinds.get(target) == "gpkg" and target.exists() and target.stat().st_size:
                ours = _gpkg_layers(tmp)
                for layer in ours:
                    if (str(target), layer) in self.inputs:
                        raise _refuse(
                            label,
                            f"输出图层“{layer}”是本次运行的输入，不会覆盖它：{target}",
                            f"the output layer '{layer}' is an input of this run and is not replaced: {target}",
                        )
                foreign = foreign_layers(target, ours)
                if foreign:
                    raise _refuse_foreign(label, target, foreign)
                if set(_gpkg_layers(target)) - set(ours):
                    merges.append((tmp, target, ours))
                    continue
            renames.append((tmp, target))
        done: list[tuple[Path, Path | None]] = []  # (target, backup)
        try:
            for tmp, target in renames:
                backup = None
                if target.exists() or target.is_symlink():
                    backup = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
                    os.replace(target, backup)
                done.append((target, backup))
                os.replace(tmp, target)
            for tmp, target, ours in merges:
                _merge_gpkg_layers(tmp, target, ours, self.step or self.labels.get(target, target.name))
        except BaseException:
            for target, backup in reversed(done):
                remove(target)
                if backup is not None:
                    os.replace(backup, target)
            raise
        for _, backup in done:
            if backup is not None:
                remove(backup)
        for folder in self.folders:
            if folder.is_dir() and not (folder / MARKER).exists():
                _write_marker(folder / MARKER)
        self.staged = [(t, g) for t, g in self.staged if t.exists()]  # merged GeoPackages: temporaries left
        self.discard()

    def discard(self) -> None:
        for tmp, _ in self.staged:
            remove(tmp)
        self.staged = []

    def close(self, failed: bool) -> None:
        if failed:
            self.discard()
        with _CLAIMED_LOCK:
            for target in self.locks:
                if _CLAIMED.get(target) is self:
                    del _CLAIMED[target]
        for lock in self.locks.values():
            lock.release()
        self.locks.clear()
        if failed:
            for folder in reversed(self.created_dirs):  # folders this run created and left empty
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _write_marker(path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "written_by": "soil_conservation_plugin",
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            }
        ),
        encoding="utf-8",
    )


def _merge_gpkg_layers(tmp: Path, target: Path, layers: list[str], step: str = "") -> None:
    """Copy ``layers`` of ``tmp`` into the GeoPackage ``target``, replacing only those layers.

    Each layer is copied under a temporary name first; the old layer is then dropped, the
    new one renamed and registered as this plugin's in one transaction, so a failure leaves the
    old layer (and the registry) in place. A layer the registry does not name is never replaced.
    """
    from osgeo import gdal

    with _gdal_quiet():
        src = gdal.OpenEx(str(tmp), gdal.OF_VECTOR)
        dst = gdal.OpenEx(str(target), gdal.OF_VECTOR | gdal.OF_UPDATE)
        if src is None or dst is None:
            raise OSError(f"cannot open {target if dst is None else tmp}: {gdal.GetLastErrorMsg()}")
        staged = []
        try:
            for name in layers:
                new_name = f"{name}__partial_{uuid.uuid4().hex[:8]}"
                if dst.CopyLayer(src.GetLayerByName(name), new_name) is None:
                    raise OSError(f"cannot write layer {name} into {target}: {gdal.GetLastErrorMsg()}")
                staged.append((name, new_name))
            mine = registered_layers(target)
            dst.StartTransaction()
            try:
                for name, new_name in staged:
                    existing = [i for i in range(dst.GetLayerCount()) if dst.GetLayer(i).GetName() == name]
                    if existing and name.lower() not in mine:  # checked at the commit; never replaced here either
                        raise _refuse_foreign(target.name, target, [name])
                    if existing:
                        dst.DeleteLayer(existing[0])
                    if dst.GetLayerByName(new_name).Rename(name) != 0:
                        raise OSError(f"cannot rename layer {new_name} in {target}: {gdal.GetLastErrorMsg()}")
                for statement in _registry_statements([name for name, _ in staged], step):
                    gdal.ErrorReset()
                    dst.ExecuteSQL(statement)
                    if gdal.GetLastErrorType() >= gdal.CE_Failure:
                        raise OSError(f"cannot register the layers in {target}: {gdal.GetLastErrorMsg()}")
            except BaseException:
                dst.RollbackTransaction()
                raise
            dst.CommitTransaction()
            staged = []
        finally:
            for _, new_name in staged:  # a failed copy: drop what was copied
                idx = [i for i in range(dst.GetLayerCount()) if dst.GetLayer(i).GetName() == new_name]
                if idx:
                    dst.DeleteLayer(idx[0])
            src = dst = None


@contextlib.contextmanager
def output_set(**kwargs):
    """One run's outputs: every ``atomic_path`` inside is committed together when the block succeeds."""
    outputs = OutputSet(**kwargs)
    token = _ACTIVE.set(outputs)
    failed = True
    try:
        try:
            yield outputs
        except ChecksFailed:  # complete, with a report that says why it failed: keep it
            _ACTIVE.reset(token)
            token = None
            outputs.commit()
            failed = False
            raise
        _ACTIVE.reset(token)
        token = None
        outputs.commit()
        failed = False
    finally:
        if token is not None:
            _ACTIVE.reset(token)
        outputs.close(failed)


def staged_path(target) -> Path:
    """Where ``target``'s new content is until the run commits: its temporary if staged, else itself."""
    target = Path(os.path.abspath(target))
    outputs = _ACTIVE.get()
    if outputs is None:
        with _CLAIMED_LOCK:
            outputs = _CLAIMED.get(target)
    for tmp, staged_target in reversed(outputs.staged if outputs is not None else []):
        if staged_target == target:
            return tmp
    return target


def temporary_sibling(target: Path) -> Path:
    return target.with_name(f".{target.stem}{PARTIAL}{uuid.uuid4().hex[:8]}{target.suffix}")


@contextlib.contextmanager
def atomic_path(target, folder: bool = False):
    """Yield a temporary sibling path; it becomes ``target`` only when the block (and the run) succeeds.

    ``folder=True``: the block builds a folder there (an export package, the demo results).
    Inside an :func:`output_set` the move waits for the whole run; otherwise it happens
    when the block ends. On any exception (including cancel) the temporary is removed and
    an existing ``target`` is left untouched.
    """
    outputs = _ACTIVE.get()
    if outputs is None:
        with _CLAIMED_LOCK:
            outputs = _CLAIMED.get(Path(os.path.abspath(target)))
    with contextlib.ExitStack() as own:
        if outputs is None:
            outputs = own.enter_context(output_set())
        target = outputs.claim(target, kind="folder" if folder else None)
        tmp = temporary_sibling(target)
        try:
            with _gdal_write_errors(outputs.labels.get(target, target.name), target):
                yield tmp
            outputs.stage(tmp, target)
        except BaseException:
            remove(tmp)
            raise


def remove(path) -> None:
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
    # GDAL and SQLite side files of a temporary
    for side in (".aux.xml", ".ovr", "-journal", "-wal", "-shm"):
        extra = path.with_name(path.name + side)
        if extra.exists():
            extra.unlink()


def file_sha256(path, sidecars: bool = True) -> str:
    """SHA-256 of a file; for a shapefile, of all its sidecars in a fixed order.

    ``sidecars=False``: of the one file only (a package manifest lists every sidecar itself, and
    must match ``sha256sum`` of each file).
    """
    path = Path(path)
    parts = [path]
    if sidecars and path.suffix.lower() == ".shp":
        parts = [path.with_suffix(s) for s in SHAPEFILE_SIDECARS if path.with_suffix(s).exists()]
    digest = hashlib.sha256()
    for part in parts:
        with open(part, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def write_json(path, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
