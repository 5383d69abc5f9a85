"""Objects that hold locks and still pickle (a generator copied per file, an index kept in the
cache): the locks are left out of the pickled state and made anew when it is read back."""

from __future__ import annotations

import threading
from typing import Callable


class FreshLocks:
    """Mixin: ``LOCKS`` names each lock attribute and how to make it."""

    LOCKS: dict[str, Callable[[], object]] = {"_lock": threading.Lock}

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in self.LOCKS}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name, make in self.LOCKS.items():
            setattr(self, name, make())
