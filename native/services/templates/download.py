"""Background download of registered templates and ISOs into secondary storage.

A periodic task (`DOWNLOAD_TASK`) runs cluster-wide; each round, on the server that wins it:

1. copies left DOWNLOAD_IN_PROGRESS by a management server that is gone (no live,
   recently beating `ManagementServer` row) go back to NOT_DOWNLOADED;
2. NOT_DOWNLOADED copies are claimed compare-and-swap (-> DOWNLOAD_IN_PROGRESS with this
   server's msid as owner), one for each free download thread of this process. A thread
   that has filled its copy claims the next queued one itself, so a long queue drains as
   fast as the copies can be written, not one batch per round.

A thread streams the URL (http, https or file) onto the image store, saving progress
("45% Downloaded") at most every `PROGRESS_INTERVAL` seconds, verifies the checksum,
reads the virtual size (from the qcow2 header for QCOW2), and marks the copy DOWNLOADED,
counting its bytes against the owner's secondary storage limit. Any failure leaves the copy
DOWNLOAD_ERROR with a clear status and nothing on the store. A copy deleted meanwhile
makes the thread stop and remove what it wrote. A copy without a URL (made from a volume)
is refilled from another downloaded copy of the template, if there is one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import unquote, urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from native.drivers.storage import qcow2
from native.drivers.storage.base import StorageDriver, StorageError
from native.model import Account, ImageStore, ManagementServer, Template, TemplateStore, utcnow
from native.services import limits
from native.services.errors import ResourceLimitExceeded
from native.services.limits import ResourceType
from native.services.periodic import PeriodicTask
from native.services.runtime import Runtime
from native.services.settings import Settings
from native.services.steps import Undo
from native.services.stores import image_store_driver
from native.services.templates.registration import Checksum, parse_checksum

log = logging.getLogger(__name__)

NOT_DOWNLOADED = "NOT_DOWNLOADED"
IN_PROGRESS = "DOWNLOAD_IN_PROGRESS"
DOWNLOADED = "DOWNLOADED"
DOWNLOAD_ERROR = "DOWNLOAD_ERROR"

DOWNLOAD_THREADS = 4
PROGRESS_INTERVAL = 0.5
ROUND_INTERVAL = 1.0
CONNECT_TIMEOUT = 30.0
READ_SIZE = 256 * 1024


class DownloadFailed(Exception):
    """The copy cannot be made; the text is the status users see."""


class CopyAbandoned(Exception):
    """The copy row is gone or no longer ours (deleted, or taken over)."""


@dataclass(frozen=True, kw_only=True)
class CopyJob:
    """What a download thread needs, read once from the database."""

    copy_id: int
    template_id: int
    url: str | None
    checksum: str | None
    format: str
    path: str
    store: ImageStore


_workers = 0
_workers_lock = threading.Lock()


def run_round(runtime: Runtime) -> None:
    """One round of the periodic task: recover abandoned copies, then start a download
    thread for each queued copy this process has a free thread for."""
    global _workers
    recover_abandoned(runtime)
    with _workers_lock:
        free = DOWNLOAD_THREADS - _workers
    if free <= 0:
        return
    for copy_id in claim(runtime, limit=free):
        with _workers_lock:
            _workers += 1
        thread = threading.Thread(
            target=drain_queue, args=(runtime, copy_id), name="alto-download", daemon=True
        )
        thread.start()


def drain_queue(runtime: Runtime, copy_id: int) -> None:
    """Fill the claimed copy, then claim and fill queued copies one by one until the queue
    is empty. Never raises."""
    global _workers
    try:
        current: int | None = copy_id
        while current is not None:
            fetch_copy(runtime, current)
            current = next(iter(claim(runtime, limit=1)), None)
    except Exception:
        log.exception("claiming the next template copy to download failed")
    finally:
        with _workers_lock:
            _workers -= 1


DOWNLOAD_TASK = PeriodicTask(
    name="template.download", interval=lambda runtime: ROUND_INTERVAL, run=run_round
)


def _live_servers(session: Session, settings: Settings) -> Any:
    timeout = int(settings.get(session, "management.server.heartbeat.timeout"))
    cutoff = utcnow() - dt.timedelta(seconds=timeout)
    return select(ManagementServer.msid).where(
        ManagementServer.state == "Up", ManagementServer.last_heartbeat >= cutoff
    )


def recover_abandoned(runtime: Runtime) -> int:
    """Put copies in progress on a dead management server back in the queue; how many."""
    with runtime.db.session() as session:
        live = _live_servers(session, runtime.settings)
        result = session.execute(
            update(TemplateStore)
            .where(
                TemplateStore.download_state == IN_PROGRESS,
                or_(TemplateStore.owner_msid.is_(None), TemplateStore.owner_msid.not_in(live)),
            )
            .values(
                download_state=NOT_DOWNLOADED,
                owner_msid=None,
                download_percent=0,
                status="Download restarted: the management server doing it stopped",
            )
            .execution_options(synchronize_session=False)
        )
        count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        log.warning("restarting %d template download(s) abandoned by a stopped server", count)
    return count


def claim(runtime: Runtime, *, limit: int) -> list[int]:
    """Take up to `limit` queued copies of live templates for this server; their ids."""
    claimed: list[int] = []
    with runtime.db.session() as session:
        candidates = session.scalars(
            select(TemplateStore.id)
            .join(Template, Template.id == TemplateStore.template_id)
            .where(TemplateStore.download_state == NOT_DOWNLOADED, Template.removed.is_(None))
            .order_by(TemplateStore.id)
            .limit(limit)
        ).all()
        for copy_id in candidates:
            result = session.execute(
                update(TemplateStore)
                .where(TemplateStore.id == copy_id, TemplateStore.download_state == NOT_DOWNLOADED)
                .values(
                    download_state=IN_PROGRESS,
                    owner_msid=runtime.msid,
                    download_percent=0,
                    status="0% Downloaded",
                    state="Creating",
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(copy_id)
    return claimed


def _load(runtime: Runtime, copy_id: int) -> CopyJob | None:
    with runtime.db.session(write=False) as session:
        row = session.execute(
            select(TemplateStore, Template, ImageStore)
            .join(Template, Template.id == TemplateStore.template_id)
            .join(ImageStore, ImageStore.id == TemplateStore.store_id)
            .where(TemplateStore.id == copy_id)
        ).first()
        if row is None:
            return None
        copy, template, store = row
        assert copy.install_path is not None
        return CopyJob(
            copy_id=copy.id,
            template_id=template.id,
            url=template.url,
            checksum=template.checksum,
            format=template.format,
            path=copy.install_path,
            store=store,
        )


def fetch_copy(runtime: Runtime, copy_id: int) -> None:
    """Fill one claimed copy (see the module docstring). Never raises."""
    try:
        job = _load(runtime, copy_id)
        if job is not None:
            _fill(runtime, job)
    except Exception:
        log.exception("downloading template copy %s failed", copy_id)
        fail_copy(runtime, copy_id=copy_id, status="Download failed: internal error")


def _fill(runtime: Runtime, job: CopyJob) -> None:
    try:
        target = image_store_driver(runtime, job.store)
    except StorageError as exc:
        fail_copy(runtime, copy_id=job.copy_id, status=f"Download failed: {exc}")
        return
    try:
        physical = _write(runtime, job, target)
        virtual = virtual_size(target, path=job.path, image_format=job.format, physical=physical)
        with runtime.db.session() as session:
            finished = finish_copy(
                session,
                runtime.settings,
                msid=runtime.msid,
                copy_id=job.copy_id,
                physical=physical,
                virtual=virtual,
            )
    except (DownloadFailed, ResourceLimitExceeded, StorageError) as exc:
        _remove(target, job.path)
        text = exc.text if isinstance(exc, ResourceLimitExceeded) else str(exc)
        fail_copy(runtime, copy_id=job.copy_id, status=f"Download failed: {text}")
        return
    except CopyAbandoned:
        finished = False
    if not finished:
        _remove(target, job.path)


def _write(runtime: Runtime, job: CopyJob, target: StorageDriver) -> int:
    reporter = _Reporter(runtime, copy_id=job.copy_id)
    if job.url is None:
        return _copy_from_ready(runtime, job, target, reporter)
    expected = parse_checksum(job.checksum)
    source, total = open_url(job.url)
    hashing = _Source(
        source,
        total=total,
        digest=None if expected is None else hashlib.new(expected.algorithm),
        report=reporter,
    )
    with source:
        written = target.write(path=job.path, source=cast(BinaryIO, hashing), size=total)
    if total is not None and written != total:
        raise DownloadFailed(f"the transfer ended after {written} of {total} bytes")
    if expected is not None and hashing.digest is not None:
        actual = Checksum(algorithm=expected.algorithm, digest=hashing.digest.hexdigest())
        if actual != expected:
            raise DownloadFailed(
                f"checksum mismatch: expected {expected} but the downloaded file has {actual}"
            )
    return written


def open_url(url: str) -> tuple[BinaryIO, int | None]:
    """An open stream of the URL's content and its length when known; DownloadFailed with a
    readable reason when it cannot be opened."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        path = Path(unquote(parts.path))
        try:
            stream = open(path, "rb")  # noqa: SIM115  (closed by the caller)
        except OSError as exc:
            raise DownloadFailed(f"cannot read {path}: {exc.strerror}") from None
        return stream, path.stat().st_size
    request = urllib.request.Request(url, headers={"User-Agent": "Alto template downloader"})
    try:
        response = urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(f"HTTP {exc.code} {exc.reason} from {url}") from None
    except urllib.error.URLError as exc:
        raise DownloadFailed(f"{url} is unreachable: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise DownloadFailed(f"{url} is unreachable: {exc}") from None
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    return response, total


class _Source:
    """A readable stream that hashes what passes and reports progress; read errors of the
    source become DownloadFailed (so store drivers do not take them for their own)."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        total: int | None,
        digest: Any,
        report: Callable[[int, int | None], None],
    ) -> None:
        self.stream = stream
        self.total = total
        self.digest = digest
        self.report = report
        self.done = 0

    def _read(self, size: int) -> bytes:
        """At most READ_SIZE bytes, as soon as some arrived (a plain `read` of an HTTP
        response waits for all `size` bytes, hiding progress)."""
        wanted = READ_SIZE if size < 0 else min(size, READ_SIZE)
        read1 = getattr(self.stream, "read1", None)
        return bytes(read1(wanted)) if read1 is not None else self.stream.read(wanted)

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self._read(size)
        except (OSError, HTTPException, ValueError) as exc:
            raise DownloadFailed(
                f"reading the source failed after {self.done} bytes: {exc}"
            ) from None
        if self.digest is not None:
            self.digest.update(chunk)
        self.done += len(chunk)
        self.report(self.done, self.total)
        return chunk


class _Reporter:
    """Saves "N% Downloaded" when the percentage moved and PROGRESS_INTERVAL has passed;
    CopyAbandoned when the copy is no longer this server's."""

    def __init__(self, runtime: Runtime, *, copy_id: int) -> None:
        self.runtime = runtime
        self.copy_id = copy_id
        self.percent = 0
        self.saved_at = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        percent = min(99, done * 100 // total) if total else 0
        now = time.monotonic()
        if percent == self.percent or now - self.saved_at < PROGRESS_INTERVAL:
            return
        self.percent, self.saved_at = percent, now
        with self.runtime.db.session() as session:
            result = session.execute(
                update(TemplateStore)
                .where(_ours(self.runtime.msid, self.copy_id))
                .values(download_percent=percent, status=f"{percent}% Downloaded")
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise CopyAbandoned(str(self.copy_id))


def _ours(msid: str, copy_id: int) -> Any:
    return and_(
        TemplateStore.id == copy_id,
        TemplateStore.download_state == IN_PROGRESS,
        TemplateStore.owner_msid == msid,
    )


def _copy_from_ready(
    runtime: Runtime, job: CopyJob, target: StorageDriver, reporter: _Reporter
) -> int:
    with runtime.db.session(write=False) as session:
        row = session.execute(
            select(TemplateStore, ImageStore)
            .join(ImageStore, ImageStore.id == TemplateStore.store_id)
            .where(
                TemplateStore.template_id == job.template_id,
                TemplateStore.download_state == DOWNLOADED,
                ImageStore.removed.is_(None),
            )
            .order_by(TemplateStore.id)
        ).first()
    if row is None:
        raise DownloadFailed("the template has no URL and no downloaded copy to copy from")
    copy, store = row
    assert copy.install_path is not None
    source = image_store_driver(runtime, store)
    total = source.size(path=copy.install_path)
    with source.read(path=copy.install_path) as stream:
        wrapped = _Source(stream, total=total, digest=None, report=reporter)
        return target.write(path=job.path, source=cast(BinaryIO, wrapped), size=total)


def virtual_size(driver: StorageDriver, *, path: str, image_format: str, physical: int) -> int:
    """The disk size a VM sees: from the qcow2 header (bytes 24..32, big-endian) for QCOW2,
    the file size otherwise. DownloadFailed for a QCOW2 file without the qcow2 magic."""
    if image_format != "QCOW2":
        return physical
    with driver.read(path=path) as stream:
        header = qcow2.parse_header(stream.read(qcow2.HEADER_SIZE))
    if header is None:
        raise DownloadFailed("the file is not a valid QCOW2 image (no qcow2 header)")
    return header.virtual_size


def finish_copy(
    session: Session,
    settings: Settings,
    *,
    msid: str,
    copy_id: int,
    physical: int,
    virtual: int,
) -> bool:
    """Mark this server's in-progress copy DOWNLOADED (Ready) with its sizes, set the
    template's virtual size, and count the bytes against the owner's secondary storage.

    False (and nothing changed) when the copy is no longer this server's; 532 when the
    owner's secondary storage limit would be passed.
    """
    result = session.execute(
        update(TemplateStore)
        .where(_ours(msid, copy_id))
        .values(
            download_state=DOWNLOADED,
            download_percent=100,
            status="Download Complete",
            state="Ready",
            size=virtual,
            physical_size=physical,
            owner_msid=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    copy = session.get(TemplateStore, copy_id)
    assert copy is not None
    session.refresh(copy)
    template = session.get(Template, copy.template_id)
    assert template is not None
    template.size = virtual
    owner = session.get(Account, template.account_id)
    assert owner is not None
    limits.consume(
        session, settings, account=owner, resource=ResourceType.SECONDARY_STORAGE, amount=physical
    )
    return True


def fail_copy(runtime: Runtime, *, copy_id: int, status: str) -> None:
    """Mark this server's in-progress copy DOWNLOAD_ERROR with `status` (if still ours)."""
    log.warning("template copy %s failed: %s", copy_id, status)
    with runtime.db.session() as session:
        session.execute(
            update(TemplateStore)
            .where(_ours(runtime.msid, copy_id))
            .values(
                download_state=DOWNLOAD_ERROR,
                download_percent=0,
                status=status[:1024],
                state="Failed",
                owner_msid=None,
                size=None,
                physical_size=None,
            )
            .execution_options(synchronize_session=False)
        )


def _remove(driver: StorageDriver, path: str) -> None:
    try:
        driver.delete(path=path)
    except StorageError:
        log.warning("could not remove %s from an image store", path)


def undo_copy(runtime: Runtime, copy_id: int, store: ImageStore, path: str) -> Undo:
    """A compensation step forgetting a copy row and removing its file from the store."""

    def undo(session: Session) -> None:
        copy = session.get(TemplateStore, copy_id)
        if copy is not None:
            session.delete(copy)
        try:
            _remove(image_store_driver(runtime, store), path)
        except StorageError:
            log.warning("could not reach image store %s to remove %s", store.name, path)

    return undo
