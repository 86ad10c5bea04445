import shutil

import pytest

from livecodes import counting


@pytest.fixture(autouse=True)
def fresh_scan_counts(settings, tmp_path):
    """Each test counts into files of its own: the database is emptied between tests, a count file is not."""
    settings.VAR_DIR = tmp_path / "var"
    counting._tally, counting._adopted = None, True
    yield
    counting._tally, counting._adopted = None, True
    shutil.rmtree(counting.tally_dir(), ignore_errors=True)
