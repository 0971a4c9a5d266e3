"""A background loop inside a nameko service (the outbox relay, the delivery worker).

nameko's timers run one worker at a time on a fixed interval; these loops run for the life of
the container, wake early when told (``wake()`` after a commit) and stop cleanly with it.
"""
from __future__ import annotations

import threading

import eventlet
from nameko.extensions import DependencyProvider


class BackgroundLoop(DependencyProvider):
    """Subclasses define ``run_once()`` and ``pause()`` (seconds until the next round), and may
    extend ``close()``."""

    def __init__(self):
        self._wake = threading.Event()
        self._running = False
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._loop)

    def stop(self) -> None:
        self._running = False
        self._wake.set()
        if self._thread is not None:
            self._thread.wait()
        self.close()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    def get_dependency(self, worker_ctx):
        return self

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """Release what ``setup`` opened, after the loop ended."""

    def run_once(self) -> None:
        raise NotImplementedError

    def pause(self) -> float:
        raise NotImplementedError

    def _loop(self) -> None:
        while self._running:
            self.run_once()
            self._wake.wait(timeout=self.pause())
            self._wake.clear()
