"""The static files' storage: WhiteNoise's (hashed names, gzip and Brotli copies), which compresses a file again only
when its compressed copies no longer hold what it holds.

WhiteNoise compresses every file on every `collectstatic`: about 30 MB of JavaScript, CSS and source maps (the
vendored ECharts and Tabler, the admin's, the API documentation's), a minute of CPU at Brotli's best level, and
bin/demo collects at each start. Checking a copy (decompressing it and comparing) takes a hundredth of that. And
the same bytes under two names (a file and its hashed name) are compressed once.
"""

import gzip
import hashlib
import re

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _brotli_decompress(data: bytes) -> bytes:
    import brotli  # only called when WhiteNoise found it installed (use_brotli)

    return brotli.decompress(data)


class FreshCopiesCompressor(Compressor):
    """WhiteNoise's compressor, keeping the compressed copies that already hold the file's bytes."""

    # In the order WhiteNoise writes them: (suffix, how to read it back, the attribute that says it is used).
    ENCODINGS = [(".br", _brotli_decompress, "use_brotli"), (".gz", gzip.decompress, "use_gzip")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # collectstatic compresses most files twice, under their name and their hashed name (app.js and
        # app.1a2b3c4d5e6f.js hold the same bytes unless the file links others): compressed once, written twice.
        self._compressed: dict[tuple[str, bytes], bytes] = {}

    def compress(self, path: str) -> list[str]:
        fresh = self.fresh_copies(path)
        return super().compress(path) if fresh is None else fresh

    def compress_brotli(self, data: bytes) -> bytes:
        return self._once(".br", data, super().compress_brotli)

    def compress_gzip(self, data: bytes) -> bytes:
        return self._once(".gz", data, super().compress_gzip)

    def _once(self, suffix: str, data: bytes, compress) -> bytes:
        key = (suffix, hashlib.sha256(data).digest())
        if key not in self._compressed:
            self._compressed[key] = compress(data)
        return self._compressed[key]

    def fresh_copies(self, path: str) -> list[str] | None:
        """The file's compressed copies if each one decompresses to the file as it is now, else None.

        WhiteNoise writes the first encoding it tries whenever it compresses a file at all (it gives up on the
        second when the first does not pay), so a file without that copy is compressed again, as before."""
        encodings = [(suffix, decompress) for suffix, decompress, used in self.ENCODINGS if getattr(self, used)]
        if not encodings:
            return None
        with open(path, "rb") as source:
            data = source.read()
        copies = []
        for position, (suffix, decompress) in enumerate(encodings):
            try:
                with open(path + suffix, "rb") as copy:
                    compressed = copy.read()
            except FileNotFoundError:
                if position == 0:
                    return None
                continue  # the second encoding did not pay for this file
            try:
                if decompress(compressed) != data:
                    return None
            except Exception:  # noqa: BLE001 - a truncated or foreign copy is made again, whatever the decoder says
                return None
            copies.append(path + suffix)
        return copies


HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)?$")  # app.1a2b3c4d5e6f.js, as ManifestStaticFilesStorage names


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs) -> Compressor:
        return FreshCopiesCompressor(**kwargs)

    def compress_files(self, paths):
        # The plain names first, the hashed ones after: the two copies of a file are then not compressed at the
        # same moment by two threads, and the second finds the first's result.
        return super().compress_files(sorted(paths, key=lambda path: (bool(HASHED_NAME.search(path)), path)))
