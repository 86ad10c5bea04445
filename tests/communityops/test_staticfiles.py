"""collectstatic with the production storage (communityops/staticfiles.py): WhiteNoise's hashed names and gzip and
Brotli copies, and a second collectstatic compresses only the files whose copies no longer hold their bytes."""

import gzip
import os

import brotli
import pytest
from django.core.management import call_command

from communityops import settings as production_settings

STORAGE = production_settings.STORAGES["staticfiles"]["BACKEND"]  # the test settings keep Django's plain one


@pytest.fixture
def collect(settings, tmp_path):
    source, root = tmp_path / "static", tmp_path / "collected"
    source.mkdir()
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": STORAGE}}

    def run(**files: str):
        for name, text in files.items():
            path = source / name
            path.write_text(text)
            later = os.stat(path).st_mtime_ns + 5 * 10**9  # newer than the collected copy, as an edit is
            os.utime(path, ns=(later, later))
        call_command("collectstatic", interactive=False, verbosity=0)
        return root

    return run


def compressed(root, name: str) -> list:
    """The compressed copies of `name` and of its hashed names (`app.js.br`, `app.1a2b3c4d5e6f.js.gz`, ...)."""
    return sorted(path for path in root.glob(name.split(".")[0] + ".*") if path.suffix in (".br", ".gz"))


def copies(root, name: str) -> dict[str, bytes]:
    """Each compressed copy of `name`, decompressed."""
    read = {".br": brotli.decompress, ".gz": gzip.decompress}
    return {path.name: read[path.suffix](path.read_bytes()) for path in compressed(root, name)}


def changed_at(root, name: str) -> dict[str, int]:
    """When each compressed copy was last written (its inode's change time)."""
    return {path.name: path.stat().st_ctime_ns for path in compressed(root, name)}


APP = "function app() { return 'first'; }\n" * 400
LIB = "function lib() { return 'always the same'; }\n" * 400


def test_collectstatic_writes_hashed_names_and_both_compressed_copies(collect):
    assert STORAGE == "communityops.staticfiles.StaticFilesStorage"
    root = collect(**{"app.js": APP})
    found = copies(root, "app.js")
    # app.js and app.<hash>.js, each in Brotli and gzip, each holding the file's bytes
    assert len(found) == 4, sorted(found)
    assert set(found.values()) == {APP.encode()}
    assert (root / "staticfiles.json").exists()


def test_a_second_collectstatic_compresses_only_what_changed(collect):
    root = collect(**{"app.js": APP, "lib.js": LIB})
    lib_before = changed_at(root, "lib.js")
    assert len(lib_before) == 4

    edited = APP.replace("first", "second")
    root = collect(**{"app.js": edited})
    # The edited file's copies hold its new bytes: app.js's own, and its new hashed name's (the old hashed
    # name's copies stay, as WhiteNoise leaves them, for pages still cached with the old name).
    app = copies(root, "app.js")
    assert app["app.js.br"] == app["app.js.gz"] == edited.encode()
    assert sorted(data for data in app.values()) == sorted([APP.encode()] * 2 + [edited.encode()] * 4)
    # ... and the unchanged file's copies were left as they were, not written again.
    lib_after = changed_at(root, "lib.js")
    assert {name: lib_after[name] for name in lib_before} == lib_before


def test_a_damaged_or_missing_copy_is_made_again(collect):
    root = collect(**{"lib.js": LIB})
    (root / "lib.js.br").write_bytes(b"not brotli at all")
    hashed_gz = next(root.glob("lib.*.js.gz"))
    hashed_gz.write_bytes(gzip.compress(b"an older lib.js"))
    next(root.glob("lib.*.js.br")).unlink()
    root = collect()
    found = copies(root, "lib.js")
    assert len(found) == 4, sorted(found)
    assert set(found.values()) == {LIB.encode()}


def test_the_same_bytes_under_two_names_are_compressed_once():
    from communityops.staticfiles import FreshCopiesCompressor

    compressor = FreshCopiesCompressor(quiet=True)
    for compress, decompress in (
        (compressor.compress_brotli, brotli.decompress),
        (compressor.compress_gzip, gzip.decompress),
    ):
        first = compress(APP.encode())
        assert compress(APP.encode()) is first  # the result kept, not compressed again
        assert decompress(first) == APP.encode()
        assert decompress(compress(LIB.encode())) == LIB.encode()
