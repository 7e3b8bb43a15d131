"""ZIP archives written one entry at a time into a temporary file.

However many documents an archive holds, memory holds only the one being written: each
entry's content is made when its turn comes, compressed in small pieces and let go.
"""

import io
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from typing import IO

from flask import Response, send_file

# An archive smaller than this stays in memory; a larger one moves to a file on disk.
# Well under a rendered PDF, so the archive itself never holds documents in memory.
SPOOL_BYTES = 64 * 1024
# The compressor takes a document in pieces of this size, so its output never grows into
# a second whole copy of the document.
CHUNK_BYTES = 64 * 1024

# A file name inside the archive, and what makes its content when its turn comes.
Entry = tuple[str, Callable[[], bytes | str]]


def zip_into_temporary_file(entries: Iterable[Entry]) -> IO[bytes]:
    """The ZIP of ``entries`` in a temporary file, positioned at its start.

    The caller sends and then closes the file (Flask's send_file closes it with the
    response). If making an entry raises, the file is closed and the error goes on.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (returned open)
    try:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, make_content in entries:
                _write_entry(archive, name, make_content())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _write_entry(archive: zipfile.ZipFile, name: str, content: bytes | str) -> None:
    data = content.encode() if isinstance(content, str) else content
    # Stamped as ZipFile.writestr stamps an entry: now, a file only its owner may read.
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = archive.compression
    info.external_attr = 0o600 << 16
    info.file_size = len(data)
    view = memoryview(data)
    with archive.open(info, "w") as entry:
        for start in range(0, len(view), CHUNK_BYTES):
            entry.write(view[start : start + CHUNK_BYTES])


def send_archive(archive: IO[bytes], filename: str) -> Response:
    """The archive as an attachment that no browser or proxy keeps.

    The response reads the file as it goes out and closes it when it is closed.
    """
    size = archive.seek(0, io.SEEK_END)
    archive.seek(0)
    response = send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name=filename,
        conditional=False,  # made afresh each time: no range of an earlier one to resume
    )
    response.content_length = size  # send_file measures only in-memory files
    response.headers["Cache-Control"] = "no-store"
    return response
