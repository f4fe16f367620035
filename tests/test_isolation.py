"""Worker processes that may die: a crash, a hang or a memory blow-up costs one job, never the run.

The tasks are top-level functions of this module; each job is a small tuple ("what to do", argument).
"""

from __future__ import annotations

import faulthandler
import gc
import io
import multiprocessing
import multiprocessing.resource_tracker
import os
import signal
import sys
import threading
import time

import pytest
import python_calamine
import xlsxwriter

from pipeline import platform
from pipeline.isolation import WorkerFailure, WorkerStartError, run_inline, run_isolated

MiB = 1024 * 1024
MEMORY = 256 * MiB
_initialised: list[str] = []


# How a death reads on each system: Windows has no signals; abort() ends a process with exit code 3 and
# os.kill() terminates it with the number as its exit code.
_KILL = getattr(signal, "SIGKILL", 9)
ABORTED = "exit code 3" if platform.WINDOWS else "SIGABRT"
KILLED = "exit code 9" if platform.WINDOWS else "SIGKILL"
# Rust's abort on Windows is a fail-fast (__fastfail), which ends the process with this status
RUST_ABORTED = "STATUS_STACK_BUFFER_OVERRUN (abort)" if platform.WINDOWS else "SIGABRT"


def task(job):
    """Do what the job says; used by every test here."""
    kind, arg = job
    if kind == "double":
        return arg * 2
    if kind == "pid":
        return os.getpid()
    if kind == "abort":
        os.abort()
    if kind == "exit":
        sys.exit(arg)
    if kind == "kill":
        os.kill(os.getpid(), _KILL)
    if kind == "sleep":
        time.sleep(arg)
        return "woke"
    if kind == "allocate":
        return len(bytearray(arg))
    if kind == "grow":
        hoard = []
        while True:
            hoard.append(bytearray(arg))
    if kind == "raise":
        raise ValueError(f"bad value {arg}")
    if kind == "disk full":
        raise OSError(28, "No space left on device", arg)
    if kind == "unpicklable error":
        raise _Unpicklable(arg)
    if kind == "unpicklable":
        return threading.Lock()
    if kind == "initialised":
        return list(_initialised)
    if kind == "calamine":
        book = python_calamine.CalamineWorkbook.from_path(arg)
        return book.get_sheet_by_index(0).to_python()
    raise AssertionError(kind)


class _Unpicklable(Exception):
    def __init__(self, a, b=None):   # no way back from its args alone
        super().__init__(a)
        self.lock = threading.Lock()


def _initialise(tag: str) -> None:
    _initialised.append(tag)


def _fail_to_initialise() -> None:
    raise RuntimeError("plan file missing")


def _run(jobs, **options) -> dict:
    options = {"workers": 2, "memory_bytes": MEMORY, "timeout": 10.0, **options}
    return dict(run_isolated(task, jobs, **options))


def _children() -> list[tuple[int, str]]:
    """(pid, state) of this process's child processes, zombies included, from /proc."""
    me = os.getpid()
    found = []
    if platform.WINDOWS:
        return found     # no /proc: a worker left behind is seen by the Linux run
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            found.append((int(entry), fields[0]))
    return found


@pytest.fixture(autouse=True)
def no_worker_left_behind():
    before = set(_children())
    yield
    # spawned workers' shared resource tracker (multiprocessing's own) lives as long as this process
    tracker = getattr(multiprocessing.resource_tracker._resource_tracker, "_pid", None)
    left = {(pid, state) for pid, state in set(_children()) - before if pid != tracker}
    assert left == set(), "a worker outlived its run (or is a zombie)"


def _workbook(path, cells) -> str:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("取組")
    for (row, col), value in cells.items():
        sheet.write(row, col, value)
    book.close()
    return str(path)


# --- results ---------------------------------------------------------------------------------------

def test_run_isolated__every_job__paired_with_its_result():
    jobs = [("double", n) for n in range(20)]
    assert _run(jobs) == {("double", n): n * 2 for n in range(20)}


def test_run_isolated__run_over__idle_workers_end_as_soon_as_their_pipe_closes(monkeypatch):
    # Each worker must hold only its own end of the pipes: a copy of another worker's parent end
    # would keep that pipe open, and the worker would wait for a job until it was killed (after
    # isolation._JOIN_SECONDS). So: no worker killed. (Not a time bound: a machine under load, or Wine,
    # starts and ends processes at its own pace.)
    killed = []
    kill = multiprocessing.process.BaseProcess.kill
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "kill",
                        lambda self: (killed.append(self.name), kill(self))[1])
    assert _run([("double", n) for n in range(4)], workers=4) == {("double", n): n * 2 for n in range(4)}
    assert killed == []


def test_run_isolated__no_jobs__nothing_and_no_worker_started():
    assert _run([]) == {}


def test_run_isolated__workers_zero__one_per_cpu():
    jobs = [("sleep", 0.3)] * (2 * os.cpu_count())
    pids = {pid for _, pid in run_isolated(_pid_after_sleep, enumerate(jobs), workers=0, memory_bytes=MEMORY,
                                            timeout=10)}
    assert len(pids) == os.cpu_count()


def _pid_after_sleep(numbered_job):
    time.sleep(numbered_job[1][1])
    return os.getpid()


def test_run_isolated__jobs_pulled_as_workers_free_up__not_all_at_once():
    pulled = []

    def jobs():
        for n in range(1000):
            pulled.append(n)
            yield ("double", n)

    results = run_isolated(task, jobs(), workers=2, memory_bytes=MEMORY, timeout=10)
    next(results)
    assert len(pulled) <= 4
    results.close()


def test_run_isolated__thousands_of_small_jobs__every_result_back():
    # throughput is measured by `make bench`, not asserted here
    results = _run([("double", n) for n in range(3000)])
    assert results == {("double", n): n * 2 for n in range(3000)}


def test_run_isolated__stderr_replaced_by_an_object_without_a_descriptor__workers_still_start(monkeypatch):
    # click's CliRunner does this; with faulthandler on, a worker must not ask sys.stderr for its fileno.
    was_enabled = faulthandler.is_enabled()
    faulthandler.enable(sys.__stderr__)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    try:
        assert _run([("double", 1), ("abort", None)]) == {
            ("double", 1): 2, ("abort", None): WorkerFailure("crashed", ABORTED)}
    finally:
        if not was_enabled:
            faulthandler.disable()


def test_run_isolated__initializer__runs_in_each_worker_not_here():
    results = _run([("initialised", None)], initializer=_initialise, initargs=("plan loaded",))
    assert results == {("initialised", None): ["plan loaded"]}
    assert _initialised == []


def test_run_isolated__initializer_fails__run_stops_with_the_reason():
    with pytest.raises(WorkerStartError, match="RuntimeError: plan file missing"):
        _run([("double", 1)], initializer=_fail_to_initialise)


# --- failures --------------------------------------------------------------------------------------

def test_run_isolated__task_raises__error_with_message_and_worker_lives_on():
    results = list(run_isolated(task, [("pid", 0), ("raise", 42), ("pid", 1)], workers=1, memory_bytes=MEMORY,
                                timeout=10))
    assert results[1] == (("raise", 42), WorkerFailure("error", "ValueError: bad value 42"))
    assert results[0][1] == results[2][1]  # the same worker process answered before and after


def test_run_isolated__task_raises__the_exception_itself_comes_back_when_it_can():
    results = dict(run_isolated(task, [("disk full", "/out/a.csv"), ("unpicklable error", 1)], workers=1,
                                memory_bytes=MEMORY, timeout=10))
    failure = results[("disk full", "/out/a.csv")]
    assert failure == WorkerFailure("error", "OSError: [Errno 28] No space left on device: '/out/a.csv'")
    assert isinstance(failure.error, OSError) and (failure.error.errno, failure.error.filename) == (28, "/out/a.csv")
    other = results[("unpicklable error", 1)]
    assert other.kind == "error" and other.detail.endswith("_Unpicklable: 1") and other.error is None
    inline = dict(run_inline(task, [("disk full", "/out/b.csv")]))[("disk full", "/out/b.csv")]
    assert isinstance(inline.error, OSError) and inline.error.filename == "/out/b.csv"


@pytest.mark.parametrize("queue", [1, 8])
def test_run_isolated__abort_in_one_job__that_job_crashed_others_fine(queue):
    jobs = [("double", 1), ("abort", None), ("double", 2), ("double", 3)]
    results = _run(jobs, queue=queue)
    assert results == {("double", 1): 2, ("abort", None): WorkerFailure("crashed", ABORTED),
                       ("double", 2): 4, ("double", 3): 6}


def test_run_isolated__worker_dies__replaced_by_a_fresh_one():
    results = list(run_isolated(task, [("pid", 0), ("kill", None), ("pid", 1)], workers=1, memory_bytes=MEMORY,
                                timeout=10))
    assert results[1] == (("kill", None), WorkerFailure("crashed", KILLED))
    assert results[0][1] != results[2][1]


def test_run_isolated__idle_worker_killed_from_outside__next_job_goes_to_a_fresh_one():
    def jobs():
        yield ("double", 1)
        for pid, _ in _children():
            os.kill(pid, _KILL)
        time.sleep(0.2)
        yield ("double", 2)

    assert _run(jobs(), workers=1) == {("double", 1): 2, ("double", 2): 4}


def test_run_isolated__task_exits__crashed_with_exit_code():
    assert _run([("exit", 3)]) == {("exit", 3): WorkerFailure("crashed", "exit code 3")}


def test_run_isolated__job_runs_past_timeout__killed_and_reported():
    started = time.monotonic()
    results = _run([("sleep", 30), ("double", 5)], workers=1, timeout=0.5)
    assert results == {("sleep", 30): WorkerFailure("timeout", "no result within 0.5 s"), ("double", 5): 10}
    assert time.monotonic() - started < 20   # the sleeping job was killed, not waited for (30 s)


@pytest.mark.skipif(platform.wine_version() is not None,
                    reason="Wine accepts a Job Object's memory limit but does not enforce it (real Windows does)")
@pytest.mark.parametrize("queue", [1, 8])
def test_run_isolated__allocation_beyond_memory_limit__failure_not_a_parent_crash(queue):
    results = _run([("allocate", 2 * MEMORY), ("grow", 16 * MiB), ("allocate", MEMORY // 4)], queue=queue)
    assert results[("allocate", 2 * MEMORY)] == WorkerFailure("error", "MemoryError")
    assert isinstance(results[("grow", 16 * MiB)], WorkerFailure)
    assert results[("allocate", MEMORY // 4)] == MEMORY // 4


def test_run_isolated__result_cannot_be_pickled__error():
    failure = _run([("unpicklable", None)])[("unpicklable", None)]
    assert failure.kind == "error"
    assert "could not be sent back" in failure.detail


@pytest.mark.parametrize("queue", [1, 8])
def test_run_isolated__calamine_abort_on_cell_xfd1048576__crashed_and_good_file_still_read(tmp_path, queue):
    hostile = _workbook(tmp_path / "hostile.xlsx", {(0, 0): "ok", (1048575, 16383): "far"})
    good = _workbook(tmp_path / "good.xlsx", {(0, 0): "進捗", (1, 0): 44.7})
    results = _run([("calamine", hostile), ("calamine", good)], workers=1, queue=queue)
    failure = results[("calamine", hostile)]
    assert failure.kind == "crashed"
    assert failure.detail.startswith(f"{RUST_ABORTED}: memory allocation of ")
    assert results[("calamine", good)] == [["進捗"], [44.7]]


# --- several jobs per worker (queue) ---------------------------------------------------------------

def test_run_isolated__queued__death_costs_only_the_job_in_hand_and_the_jobs_behind_it_are_answered():
    jobs = [("pid", 0), ("pid", 1), ("kill", None), *[("pid", n) for n in range(2, 12)]]
    results = list(run_isolated(task, jobs, workers=1, memory_bytes=MEMORY, timeout=10, queue=8))
    assert [job for job, _ in results] == jobs        # one worker works through them in the order sent
    assert results[2][1] == WorkerFailure("crashed", KILLED)
    before, after = {pid for _, pid in results[:2]}, {pid for _, pid in results[3:]}
    assert len(before) == len(after) == 1 and before != after   # the rest went to a fresh worker


def test_run_isolated__queued__a_hang_times_out_alone_and_the_jobs_behind_it_are_answered():
    started = time.monotonic()
    results = _run([("double", 1), ("sleep", 30), ("double", 2), ("double", 3)], workers=1, timeout=0.5, queue=4)
    assert results == {("double", 1): 2, ("sleep", 30): WorkerFailure("timeout", "no result within 0.5 s"),
                       ("double", 2): 4, ("double", 3): 6}
    assert time.monotonic() - started < 20


def test_run_isolated__queued__the_time_limit_counts_from_when_the_worker_gets_to_each_job():
    # three jobs of 0.6 s each, queued together: 1.8 s in all, yet none is over its own 1.5 s
    results = _run([("sleep", 0.6), ("sleep", 0.61), ("sleep", 0.62)], workers=1, timeout=1.5, queue=4)
    assert set(results.values()) == {"woke"}


def test_run_isolated__queued__thousands_of_small_jobs_on_two_workers__every_result_back_once():
    results = list(run_isolated(task, [("double", n) for n in range(3000)], workers=2, memory_bytes=MEMORY,
                                timeout=10, queue=16))
    assert sorted(results) == [(("double", n), n * 2) for n in range(3000)]


def test_run_isolated__queued__jobs_still_pulled_as_workers_free_up():
    pulled = []

    def jobs():
        for n in range(1000):
            pulled.append(n)
            yield ("double", n)

    results = run_isolated(task, jobs(), workers=2, memory_bytes=MEMORY, timeout=10, queue=8)
    try:
        next(results)
        assert len(pulled) <= 2 * 2 * 8      # at most two queues' worth per worker, not the thousand
    finally:
        results.close()


# --- shutdown --------------------------------------------------------------------------------------

def test_run_isolated__iterator_closed_early__workers_killed():
    results = run_isolated(task, [("double", 1), ("sleep", 30), ("sleep", 30)], workers=3, memory_bytes=MEMORY,
                           timeout=60)
    assert next(results) == (("double", 1), 2)
    started = time.monotonic()
    results.close()
    assert time.monotonic() - started < 1  # busy workers are killed, not waited for


@pytest.mark.skipif(platform.WINDOWS, reason="counts child processes in /proc")
def test_run_isolated__iterator_garbage_collected__workers_end():
    before = set(_children())
    results = run_isolated(task, [("double", 1), ("sleep", 30)], workers=2, memory_bytes=MEMORY, timeout=60)
    next(results)
    workers = {pid for pid, _state in set(_children()) - before}
    assert len(workers) == 2
    del results
    gc.collect()
    assert {pid for pid, _state in _children()} & workers == set()   # ended and reaped, not left as zombies


@pytest.mark.skipif(platform.WINDOWS, reason="POSIX signal: os.kill(SIGINT) on Windows terminates the process")
def test_run_isolated__ctrl_c__stops_and_workers_end():
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _run([("sleep", 30)] * 4, timeout=60)
    finally:
        timer.cancel()


# --- run_inline ------------------------------------------------------------------------------------

def test_run_inline__same_shape_in_this_process():
    assert list(run_inline(task, [("double", 4), ("raise", 7), ("pid", None)])) == [
        (("double", 4), 8),
        (("raise", 7), WorkerFailure("error", "ValueError: bad value 7")),
        (("pid", None), os.getpid()),
    ]

