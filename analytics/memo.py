"""A small cache of results computed from one fact store."""

from .facts import Facts


class Memo:
    """The last few results computed from one fact store. A page reloaded, or a grade and a ranking asking for
    the same window, reuse them; a refreshed store is a new object, so nothing stale is ever returned."""

    def __init__(self, size: int = 16):
        self.size = size
        self.entries: dict = {}

    def get(self, f: Facts, key: tuple, compute):
        entry = self.entries.get((id(f), key))
        if entry is not None and entry[0] is f:
            return entry[1]
        value = compute()
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[(id(f), key)] = (f, value)
        return value
