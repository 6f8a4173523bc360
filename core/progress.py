"""Progress of long jobs (ETL, model fit): a bar on a terminal, plain lines in a log, a snapshot for the app."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, TextIO

Emit = Callable[[str], None]
MEMORY_SAMPLE_SECONDS = 0.05


def resident_mb() -> float | None:
    """This process's resident memory now (None where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def peak_mb() -> float:
    """This process's peak resident memory so far: VmHWM where /proc has it (getrusage's maxrss also counts the
    parent's peak when the process was started by vfork + exec, as Python's subprocess does), else maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere


class StagePeak:
    """Peak resident memory during one stage: the process's peak when it rose during the stage (exact), else the
    highest of samples taken every 50 ms by a small thread (the process peak then belongs to an earlier stage)."""

    def __init__(self) -> None:
        self.before = peak_mb()
        self.highest = resident_mb() or 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(MEMORY_SAMPLE_SECONDS):
            self.highest = max(self.highest, resident_mb() or 0.0)

    def stop(self) -> float:
        """Stop sampling; the stage's peak in MB."""
        self._done.set()
        self._thread.join()
        after = peak_mb()
        return after if after > self.before else max(self.highest, resident_mb() or 0.0)


@dataclass
class Stage:
    """One named step: its position in the plan, work done and total (None: not countable), start time."""

    name: str
    number: int
    total: float | None = None
    unit: str = ""
    done: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def fraction(self) -> float | None:
        """Share of the stage done (None when it has no total)."""
        return min(1.0, self.done / self.total) if self.total else None

    def seconds_left(self, now: float) -> float | None:
        """Time left in this stage at its rate so far (None until some work is done)."""
        fraction = self.fraction()
        if not fraction:
            return None
        return (now - self.started) * (1 - fraction) / fraction


class Progress:
    """Reports named stages of a job. `expected` (stage -> seconds) lets it estimate the time left in the whole
    job: the current stage's remainder plus the expected time of the stages not yet started."""

    def __init__(self, emit: Emit | None = None, bar: TextIO | None = None, every: float = 2.0,
                 on_change: Callable[[dict], None] | None = None) -> None:
        self._emit, self._bar, self._every = emit, bar, every
        self._listeners: list[Callable[[dict], None]] = [on_change] if on_change else []
        self._plan: list[str] = []
        self._expected: dict[str, float] = {}
        self._stage: Stage | None = None
        self._last_report = 0.0
        self._lock = threading.Lock()
        self.peaks: dict[str, float] = {}  # stage -> its peak resident memory in MB, once it has ended
        self.started = time.monotonic()

    @classmethod
    def for_stream(cls, stream: TextIO = sys.stderr) -> Progress:
        """A redrawn bar when the stream is a terminal, else a plain line every few seconds."""
        interactive = hasattr(stream, "isatty") and stream.isatty()
        return cls(bar=stream, every=0.2) if interactive else cls(emit=lambda line: print(line, file=stream,
                                                                                        flush=True))

    def listen(self, listener: Callable[[dict], None]) -> Callable[[], None]:
        """Call listener(snapshot) at each report; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def plan(self, stages: list[str], expected: dict[str, float] | None = None) -> None:
        """The stages to come, in order (for "[2/7]"), and their expected seconds (for the estimate)."""
        self._plan = list(stages)
        self._expected = dict(expected or {})

    @contextmanager
    def stage(self, name: str, total: float | None = None, unit: str = "") -> Iterator[Progress]:
        """Run one stage: a line when it starts and when it ends (with its time and peak memory), updates in
        between."""
        number = self._plan.index(name) + 1 if name in self._plan else 0
        with self._lock:
            self._stage = Stage(name, number, total, unit)
        self._report(force=True)
        memory = StagePeak()
        try:
            yield self
        finally:
            peak = memory.stop()
        with self._lock:
            stage, self._stage = self._stage, None
        if stage is not None:
            self.peaks[stage.name] = peak
            self._line(f"{self._label(stage)} done in {time.monotonic() - stage.started:.1f} s, "
                       f"peak memory {peak:,.0f} MB", final=True)

    def advance(self, amount: float = 1) -> None:
        """Count work done in the current stage."""
        with self._lock:
            if self._stage is not None:
                self._stage.done += amount
        self._report()

    def snapshot(self) -> dict:
        """Where the job is: stage, its number, share done, seconds elapsed and an estimate of those left."""
        with self._lock:
            stage = self._stage
            now = time.monotonic()
            if stage is None:
                return {"stage": None, "elapsed_s": round(now - self.started, 1)}
            return {"stage": stage.name, "step": stage.number, "steps": len(self._plan), "done": stage.done,
                    "total": stage.total, "unit": stage.unit, "fraction": stage.fraction(),
                    "elapsed_s": round(now - self.started, 1), "seconds_left": self._seconds_left(stage, now)}

    def _seconds_left(self, stage: Stage, now: float) -> float | None:
        """Estimate of the time left in the whole job (None when nothing is known yet)."""
        current = stage.seconds_left(now)
        if current is None and stage.name in self._expected:
            current = max(0.0, self._expected[stage.name] - (now - stage.started))
        later = self._plan[stage.number:] if stage.number else []
        if current is None and not any(name in self._expected for name in later):
            return None
        return round((current or 0.0) + sum(self._expected.get(name, 0.0) for name in later), 1)

    def _label(self, stage: Stage) -> str:
        """'[3/7] reading ratings'."""
        prefix = f"[{stage.number}/{len(self._plan)}] " if stage.number else ""
        return prefix + stage.name

    def _report(self, force: bool = False) -> None:
        """Tell the listeners where the job is, at most every few seconds unless forced."""
        now = time.monotonic()
        if not force and now - self._last_report < self._every:
            return
        self._last_report = now
        snapshot = self.snapshot()
        for listener in list(self._listeners):
            listener(snapshot)
        if snapshot["stage"] is not None:
            self._line(describe(snapshot, self._stage_label()), final=False)

    def _stage_label(self) -> str:
        """Label of the current stage ('' when none)."""
        stage = self._stage
        return self._label(stage) if stage is not None else ""

    def _line(self, text: str, final: bool) -> None:
        """One status line: redrawn in place on a terminal, appended in a log."""
        if self._bar is not None:
            self._bar.write("\r\033[K" + text + ("\n" if final else ""))
            self._bar.flush()
        elif self._emit is not None:
            self._emit(text)


def bar(fraction: float, width: int = 24) -> str:
    """A text progress bar: '[#########---------------]'."""
    filled = int(round(fraction * width))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def describe(snapshot: dict, label: str | None = None) -> str:
    """One line for a snapshot: '[3/7] reading ratings [####----] 4/8 files, 6.1 s, about 20 s left'."""
    parts = [label or snapshot.get("stage") or "starting"]
    fraction = snapshot.get("fraction")
    if fraction is not None:
        unit = f" {snapshot['unit']}" if snapshot.get("unit") else ""
        parts.append(f"{bar(fraction)} {snapshot['done']:,.0f}/{snapshot['total']:,.0f}{unit}")
    text = " ".join(parts) + f", {snapshot.get('elapsed_s', 0):.1f} s"
    left = snapshot.get("seconds_left")
    return text + (f", about {left:.0f} s left" if left is not None else "")



def summary(snapshot: dict) -> str:
    """Plain words for a snapshot: 'step 5 of 7: latent factors, 60 % done, about 12 s left'."""
    parts = [f"step {snapshot['step']} of {snapshot['steps']}: " if snapshot.get("step") else ""]
    parts.append(str(snapshot.get("stage") or "starting"))
    if snapshot.get("fraction") is not None:
        parts.append(f", {100 * snapshot['fraction']:.0f} % done")
    if snapshot.get("seconds_left") is not None:
        parts.append(f", about {snapshot['seconds_left']:.0f} s left")
    return "".join(parts)
