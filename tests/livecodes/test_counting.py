"""Scans are counted in each process's memory-mapped file and moved into the database exactly once: a killed
process's counts are added by the next flush, a file applied twice or by two flushes adds only its growth."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from livecodes import counting
from livecodes.models import LiveCode, QRImage, ScanTally

from .helpers import live_code_with

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

KILLED = """
import os, signal, django
django.setup()
from livecodes import counting
for key in [{image}] * 40 + [-{code}] * 3:
    counting.count(key)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def code(django_user_model):
    return live_code_with(django_user_model.objects.create_user("owner"), [("A", 500, 0), ("B", 500, 0)])


def scans():
    return dict(QRImage.objects.values_list("entry__group__code", "scans"))


def test_the_counts_of_a_killed_process_are_added_once_and_its_file_removed(code):
    image = QRImage.objects.get(entry__group__code="A")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "communityops.settings_test", "COMMUNITYOPS_VAR_DIR": str(
        settings.VAR_DIR), "LIVECODE_FLUSH_SECONDS": "3600"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", KILLED.format(image=image.pk, code=code.pk)], cwd=ROOT, env=env,
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    files = list(counting.tally_dir().glob("*.scans"))
    assert len(files) == 1, "the killed process left its counts behind"
    assert counting.scans_flush() == 43
    assert counting.scans_flush() == 0
    assert scans() == {"A": 40, "B": 0}
    assert LiveCode.objects.get().unavailable_scans == 3
    assert not files[0].exists(), "a dead process's file is removed once applied"
    assert ScanTally.objects.filter(file=files[0].name).exists(), "kept: a flush that read the file adds nothing"


def test_a_live_process_file_is_added_by_growth_whoever_flushes_it(code):
    a, b = (QRImage.objects.get(entry__group__code=c).pk for c in "AB")
    for key in [a] * 5 + [b] * 2:
        counting.count(key)
    assert counting.scans_flush() == 7  # the beat task, while this process keeps counting
    counting.count(a)
    assert counting.own_flush() == 1  # the process itself
    assert counting.scans_flush() == 0
    assert counting._tally.path.exists(), "a live process's file stays"
    assert scans() == {"A": 6, "B": 2}


def test_two_flushes_of_one_file_and_a_stale_read_add_nothing_twice(code):
    a = QRImage.objects.get(entry__group__code="A").pk
    for _ in range(3):
        counting.count(a)
    name = counting._tally.path.name
    assert counting._apply(name, {a: 3}) == 3
    assert counting._apply(name, {a: 3}) == 0, "the same read applied again"
    assert counting._apply(name, {a: 2}) == 0, "a read older than the one applied"
    assert counting._apply(name, {a: 5}) == 2
    assert scans()["A"] == 5


def test_at_exit_the_process_adds_its_counts_and_removes_its_file(code):
    a = QRImage.objects.get(entry__group__code="A").pk
    for _ in range(4):
        counting.count(a)
    path = counting._tally.path
    counting._flush_at_exit()
    assert scans()["A"] == 4
    assert not path.exists()
    assert counting.scans_flush() == 0


def test_a_full_file_is_retired_and_a_new_one_taken(code, monkeypatch):
    a, b = (QRImage.objects.get(entry__group__code=c).pk for c in "AB")
    monkeypatch.setattr(counting, "SLOTS", 1)
    counting.count(a)
    first = counting._tally.path
    counting.count(b)  # no slot left for b: a new file
    assert counting._tally.path != first
    assert counting._tally.retired == [first]
    assert counting.own_flush() == 2
    assert not first.exists(), "a retired file changes no more: removed once applied"
    assert scans() == {"A": 1, "B": 1}


def test_a_file_that_is_not_a_count_file_is_left_alone(code):
    directory = counting.tally_dir()
    directory.mkdir(parents=True)
    (directory / f"{os.getpid()}@{os.uname().nodename}.x.scans").write_bytes(b"not a count file")
    assert counting.scans_flush() == 0


def test_a_forked_child_counts_in_a_file_of_its_own(code):
    """As gunicorn forks its workers from a parent that may have counted: the parent's file is mapped shared."""
    a = QRImage.objects.get(entry__group__code="A").pk
    counting.count(a)
    parent_file = counting._tally.path
    pid = os.fork()
    if pid == 0:  # the child: count and leave at once (no test-runner teardown in this process)
        try:
            for _ in range(5):
                counting.count(a)
            os._exit(0 if counting._tally.path != parent_file else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child counted into its parent's file"
    assert len(list(counting.tally_dir().glob("*.scans"))) == 2
    assert counting.scans_flush() == 6
    assert scans()["A"] == 6
