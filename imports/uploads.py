"""The browser upload's size limit, applied while the file arrives (settings.FILE_UPLOAD_HANDLERS).

Django stores an upload (in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, else in a temporary file) before any
form sees it, and gunicorn has no request-body limit: without this, a 20 GB upload fills the disk first and
is refused after. This handler passes on to the storing handlers after it no more than IMPORT_MAX_FILE_BYTES
and one byte: the stored upload then shows it is too large, and the form (`ImportUploadForm.clean_file`)
refuses it, naming the limit; the rest of the request is read and dropped.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


class UploadLimitHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        kept = settings.IMPORT_MAX_FILE_BYTES + 1
        if start + len(raw_data) <= kept:
            return raw_data
        return raw_data[: max(kept - start, 0)] or None  # None: the handlers after this one get nothing

    def file_complete(self, file_size: int) -> None:
        return None  # the storing handlers after this one make the file
