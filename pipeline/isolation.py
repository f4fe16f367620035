"""Running a per-file task in worker processes that may die.

python-calamine 0.9 aborts the whole process on some hostile files (a single cell at XFD1048576
makes it allocate half a terabyte; calamine issue #693), and no Python code can catch that. So each
returned file is read in a worker process with an address-space limit; a worker that dies or hangs
costs one file (a WorkerFailure), a fresh worker takes its place, and the run goes on.

Why not the standard pools: a dead worker breaks a whole ProcessPoolExecutor, and multiprocessing.Pool
waits forever for the result of a worker that died. Here each worker is a Process with its own
Pipe, working through the jobs it was sent in order and sending back each result as soon as it has it, so
the parent always knows which job a death belongs to: the first one sent that has no result. The jobs
queued behind it go to other workers, so a hostile file costs only itself. Several jobs travel in one
message (`queue`), so a worker never waits for a round trip to the parent between two small files.

Workers are forked where the system allows it (Linux) and spawned elsewhere (Windows, macOS; see
pipeline.platform): a worker gets the task, the initializer and its arguments pickled, and inherits nothing
else, so the task and the initializer must be module-level functions (or functools.partial of one).
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pipeline import platform

J = TypeVar("J")
R = TypeVar("R")

# First item of every message a worker sends. _ERROR_ENDING: the task ran out of memory, and the worker ends
# after saying so (what it mapped may not be given back): the job after it gets a fresh worker.
# _READY: the worker is set up (initialised) and takes jobs; its first job's time limit counts from then, not
# from its start, which for a spawned worker (Windows) includes a second or more of importing.
_OK, _ERROR, _INIT_FAILED, _ERROR_ENDING, _READY = 0, 1, 2, 3, 4
_STARTED = object()
_START_SECONDS = 120.0                  # how long a worker may take to get ready before it counts as stuck
_JOIN_SECONDS = 2.0                     # how long an idle worker gets to end before it is killed
# With queues (queue > 1), while every worker has work in hand, the parent waits this long before it looks
# for results, so that it takes several at each wake-up instead of waking up for every small job.
_SETTLE_SECONDS = 0.004
_DETAIL_CHARS = 300


@dataclass(frozen=True)
class WorkerFailure:
    """Why a job has no result.

    kind: "crashed" (the worker died: a signal such as SIGABRT or SIGKILL, or an exit),
    "timeout" (no result in time; the worker was killed), or "error" (the task raised; the worker lives on).
    detail: one line for a message, e.g. "SIGABRT: memory allocation of 549755813888 bytes failed".
    error: for "error", the exception the task raised, when it could be sent back (else None), so the
    caller can tell its own failures (a file it could not write) from the input's.
    """

    kind: Literal["crashed", "timeout", "error"]
    detail: str
    error: BaseException | None = field(default=None, compare=False, repr=False)


class WorkerStartError(RuntimeError):
    """The initializer failed in a worker: a bug or a bad setup, not a bad file, so the run stops."""


def run_isolated(
    task: Callable[[J], R],
    jobs: Iterable[J],
    *,
    workers: int,
    memory_bytes: int,
    timeout: float | None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    queue: int = 1,
) -> Iterator[tuple[J, R | WorkerFailure]]:
    """Run `task(job)` for every job in worker processes; yield (job, result or WorkerFailure) as
    each finishes, in completion order.

    `task` and `initializer` run in worker processes (`workers`=0: one per CPU), each working through the
    jobs it was sent one at a time. `queue` is how many jobs a worker may hold: with more than one, jobs are
    sent in batches (a new one once half are done), so a worker goes from one small job to the next without
    waiting for this process; a worker that dies costs only the job it was working on, and the jobs queued
    behind it go to other workers. `jobs` is consumed lazily and results are not kept, so a long run
    streams. `memory_bytes` is how much address space a worker may map beyond what it inherits from this
    process at fork, or has after starting (platform.limit_memory): counting from zero would make the limit depend on how much the parent
    happened to map (libraries, thread stacks) rather than on the file being read. `timeout` is seconds per
    job, counted from when the worker gets to it (None: no limit). Workers end when the iterator is
    exhausted, closed, garbage-collected or interrupted (Ctrl-C).
    """
    if workers < 0:
        raise ValueError("workers must be 0 (one per CPU) or more")
    if queue < 1:
        raise ValueError("queue must be 1 or more")
    size = workers or os.cpu_count() or 1
    pool = _Pool(size, task, memory_bytes, initializer, initargs, queue)
    pending = iter(jobs)
    exhausted = False
    finished: list[tuple[J, R | WorkerFailure]] = []
    try:
        while True:
            # Hand out work before yielding, so the workers are busy while the caller handles results.
            while True:
                room = pool.room()
                if not room:
                    break
                batch = pool.take_returned(room)
                while len(batch) < room and not exhausted:
                    try:
                        batch.append(next(pending))
                    except StopIteration:
                        exhausted = True
                if not batch:
                    break
                pool.submit(batch, timeout)
            yield from finished
            if not pool.busy():
                return
            if queue > 1 and pool.all_working(at_least=max(2, queue * 3 // 8)):
                time.sleep(_SETTLE_SECONDS)
            finished = pool.collect()
    finally:
        pool.close()


def run_inline(task: Callable[[J], R], jobs: Iterable[J]) -> Iterator[tuple[J, R | WorkerFailure]]:
    """The same shape as run_isolated, in this process: for tests of tasks, never for untrusted files."""
    for job in jobs:
        try:
            result: R | WorkerFailure = task(job)
        except Exception as exc:
            result = WorkerFailure("error", _exception_line(exc), exc)
        yield job, result


# --- the parent's side ----------------------------------------------------------------------------

class _Worker:
    """One worker process, its end of the pipe, and the jobs it was sent and has not answered yet."""

    def __init__(self, context, task, memory_bytes, initializer, initargs, stderr, others):
        self.stderr = stderr
        # Unflushed output would be inherited by the child and written twice.
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                _quietly(stream.flush)
        parent_end, child_end = context.Pipe(duplex=True)
        # A forked child closes every parent end it inherits, so that if this process dies, the worker
        # sees the end of its pipe and stops instead of waiting for a job forever. A spawned one inherits none.
        inherited = [parent_end, *(w.conn for w in others)] if context.get_start_method() == "fork" else []
        self.process = context.Process(
            target=_serve,
            args=(child_end, inherited, task, memory_bytes, initializer, initargs, stderr),
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.jobs: deque = deque()     # sent, in order; the first is the one it is working on
        self.timeout: float | None = None
        self.deadline = float("inf")   # for the first job: `timeout` after the worker got to it
        self.ready = False             # it said _READY

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    def start_clock(self) -> None:
        """The worker has just got to its first job (it was idle, or sent back the job before); one that is not
        ready yet gets its first job once it is (and _START_SECONDS to become so)."""
        if self.timeout is None:
            self.deadline = float("inf")
        else:
            self.deadline = time.monotonic() + self.timeout + (0.0 if self.ready else _START_SECONDS)


class _Pool:
    def __init__(self, size, task, memory_bytes, initializer, initargs, queue=1):
        self.context = multiprocessing.get_context(platform.worker_start_method())
        self.size = size
        self.task = task
        self.memory_bytes = memory_bytes
        self.initializer = initializer
        self.initargs = initargs
        self.queue = queue
        self.workers: list[_Worker] = []
        self.spare_stderr: list = []   # the captured-stderr files of workers that were replaced
        self.returned: deque = deque()  # jobs a worker that died never got to: sent again first

    def room(self) -> int:
        """How many jobs the next batch may hold (0: every worker has enough). A worker is sent more once
        half of its queue is done, so it never runs dry while this process is busy elsewhere."""
        if len(self.workers) < self.size:
            return self.queue
        free = max(self.queue - len(w.jobs) for w in self.workers)
        return free if free >= max(1, self.queue // 2) else 0

    def all_working(self, at_least: int) -> bool:
        """Every worker is there and has at least `at_least` jobs in hand (none will run dry soon)."""
        return len(self.workers) == self.size and all(len(w.jobs) >= at_least for w in self.workers)

    def take_returned(self, most: int) -> list:
        return [self.returned.popleft() for _ in range(min(most, len(self.returned)))]

    def busy(self) -> bool:
        return bool(self.returned) or any(w.busy for w in self.workers)

    def submit(self, jobs: list, timeout: float | None) -> None:
        worker = self._worker_with_room()
        try:
            worker.conn.send(jobs)
        except OSError:
            # The worker died (killed from outside while idle, or on a job whose death `collect` will
            # see): these jobs never reached it, so they cost nothing; send them to another.
            if not worker.busy:
                self._retire(worker)
            worker = self._worker_with_room(fresh=True)
            worker.conn.send(jobs)
        if not worker.busy:
            worker.timeout = timeout
            worker.start_clock()
        worker.jobs.extend(jobs)

    def _worker_with_room(self, fresh: bool = False) -> _Worker:
        if len(self.workers) < self.size or fresh:
            stderr = self.spare_stderr.pop() if self.spare_stderr else _stderr_file()
            worker = _Worker(self.context, self.task, self.memory_bytes, self.initializer, self.initargs,
                             stderr, self.workers)
            self.workers.append(worker)
            return worker
        return min(self.workers, key=lambda w: len(w.jobs))

    def collect(self) -> list[tuple[Any, Any]]:
        """Wait until at least one busy worker has a result, died, or ran out of time; take every result
        that is there."""
        busy = [w for w in self.workers if w.busy]
        if not busy:
            return []
        wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        multiprocessing.connection.wait(
            [w.conn for w in busy] + [w.process.sentinel for w in busy],
            timeout=None if wait_for == float("inf") else wait_for,
        )
        finished = []
        for worker in busy:
            # A result already in the pipe wins over a death or a deadline noticed at the same time.
            while worker.jobs and _has_message(worker.conn):
                outcome, ended = self._receive(worker)
                if outcome is _STARTED:
                    worker.start_clock()
                    continue
                finished.append((worker.jobs.popleft(), outcome))
                if ended:
                    self._give_back(worker)      # retired already
                    break
                worker.start_clock()
            else:
                if not worker.jobs:
                    continue
                if not worker.process.is_alive():
                    finished.append((worker.jobs.popleft(), WorkerFailure("crashed", self._death(worker))))
                    self._give_back(worker)
                elif worker.deadline <= time.monotonic():
                    worker.process.kill()
                    finished.append((worker.jobs.popleft(),
                                     WorkerFailure("timeout", f"no result within {worker.timeout:g} s")))
                    self._give_back(worker)
                    self._retire(worker)
        return finished

    def _give_back(self, worker: _Worker) -> None:
        """The jobs queued behind the one a worker died on: it never got to them."""
        self.returned.extend(worker.jobs)
        worker.jobs.clear()

    def _receive(self, worker: _Worker) -> tuple[Any, bool]:
        """The worker's next result, and whether the worker has ended (it is then retired)."""
        try:
            tag, payload = worker.conn.recv()
        except Exception:  # EOF or a message cut off: the worker died while sending
            return WorkerFailure("crashed", self._death(worker)), True
        if tag == _OK:
            return payload, False
        if tag == _READY:
            worker.ready = True
            return _STARTED, False
        if tag in (_ERROR, _ERROR_ENDING):
            line, error = payload
            if tag == _ERROR_ENDING:
                self._retire(worker)
            return WorkerFailure("error", line, error), tag == _ERROR_ENDING
        self._retire(worker)
        raise WorkerStartError(f"the worker initializer failed: {payload}")

    def _death(self, worker: _Worker) -> str:
        worker.process.join(_JOIN_SECONDS)
        code = worker.process.exitcode
        if code is None:
            worker.process.kill()
            reason = "the worker stopped answering"
        else:
            reason = platform.death_reason(code)
        said = _last_words(worker.stderr)
        self._retire(worker)
        return f"{reason}: {said}"[:_DETAIL_CHARS] if said else reason

    def _retire(self, worker: _Worker) -> None:
        """Reap a dead or killed worker; its slot is refilled when the next job comes."""
        worker.process.join()
        worker.process.close()
        worker.conn.close()
        self.workers.remove(worker)
        self.spare_stderr.append(worker.stderr)

    def close(self) -> None:
        """Stop every worker and reap it: idle ones end when their pipe closes, busy ones are killed."""
        for worker in self.workers:
            if worker.busy:
                _quietly(worker.process.kill)
            _quietly(worker.conn.close)
        deadline = time.monotonic() + _JOIN_SECONDS
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                _quietly(worker.process.kill)
                worker.process.join()
            _quietly(worker.process.close)
            _quietly(lambda w=worker: os.unlink(w.stderr))
        for stderr in self.spare_stderr:
            _quietly(lambda s=stderr: os.unlink(s))
        self.workers = []
        self.spare_stderr = []


def _has_message(conn) -> bool:
    """Whether `conn` has something to read: a message, or the end of a worker that died (POSIX says so by
    a readable end; Windows raises BrokenPipeError, which is the same news: recv will tell the death)."""
    try:
        return conn.poll()
    except (BrokenPipeError, EOFError):
        return True


def _quietly(action: Callable[[], Any]) -> None:
    try:
        action()
    except (OSError, ValueError):
        pass


def _stderr_file() -> str:
    """A file for a worker's standard error, by name: a spawned worker opens it itself."""
    fd, path = tempfile.mkstemp(prefix="worker-stderr-")
    os.close(fd)
    return path


def _last_words(stderr: str) -> str:
    """The line that says why a worker died, from its captured stderr: Rust and C print it first,
    a Python traceback ends with it. faulthandler's report (only the signal again, then stacks) is left out."""
    try:
        with open(stderr, "rb") as fh:
            text = fh.read(16384).decode("utf-8", "replace")
    except OSError:
        return ""
    text = text.split("Fatal Python error:", 1)[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if "Traceback (most recent call last):" in text else lines[0]


# --- the worker's side ----------------------------------------------------------------------------

def _serve(conn, inherited, task, memory_bytes, initializer, initargs, stderr) -> None:
    """A worker's life: limit memory, initialise, then one job after another until the pipe closes."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
        for other in inherited:
            other.close()
        platform.redirect_stderr(stderr)
        if faulthandler.is_enabled():
            # Its report of a fatal signal goes to the captured stderr too. By descriptor: sys.stderr
            # may be an object without one (click's CliRunner in tests).
            faulthandler.enable(2)
        platform.limit_memory(memory_bytes)
        if initializer is not None:
            initializer(*initargs)
    except Exception as exc:
        conn.send((_INIT_FAILED, _exception_line(exc)))
        return
    conn.send((_READY, None))
    while True:
        try:
            jobs = conn.recv()
        except EOFError:  # the parent closed the pipe (the run is over) or died
            return
        for job in jobs:   # in the order sent: the parent counts on it to know which job a death belongs to
            _clear_stderr()
            try:
                message = (_OK, task(job))
            except MemoryError as exc:
                message = (_ERROR_ENDING, (_exception_line(exc), _portable(exc)))
            except Exception as exc:
                message = (_ERROR, (_exception_line(exc), _portable(exc)))
            try:
                conn.send(message)
            except MemoryError as exc:
                message = (_ERROR_ENDING, (f"the result could not be sent back: {_exception_line(exc)}", None))
                conn.send(message)
            except Exception as exc:  # the result could not be pickled
                conn.send((_ERROR, (f"the result could not be sent back: {_exception_line(exc)}", None)))
            if message[0] == _ERROR_ENDING:
                return


def _clear_stderr() -> None:
    """Keep only the current job's stderr, so a crash shows its own last words and the file stays small."""
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        platform.clear_file(2)
    except OSError:
        pass


def _portable(exc: BaseException) -> BaseException | None:
    """`exc` if it survives pickling both ways (so the parent can receive it), else None."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


def _exception_line(exc: BaseException) -> str:
    """The last line of the traceback: "ValueError: bad value"."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()[:_DETAIL_CHARS]
