"""Models a visitor trained (or opened) in the app, kept on the server for that browser only.

Each browser gets a random token (the app keeps it in a cookie); the token names one folder under
the store's root, holding that browser's checkpoints as `<model id>.safetensors`. Nothing lists
other folders to a visitor, and a token is refused unless it is the shape `new_token` makes, so it
can never name a path outside the root. Limits: `max_bytes` per browser (the oldest models go
first), `max_age_s` since the browser last used its folder, and `max_total_bytes` for the whole
store (the folders used longest ago go first).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import AelibError

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MODEL_ID = re.compile(r"[A-Za-z0-9_]{1,60}")
SUFFIX = ".safetensors"
DAY_S = 86_400.0


def default_root() -> Path:
    """AELIB_USER_MODELS, else a folder in the system's temporary directory."""
    return Path(os.environ.get("AELIB_USER_MODELS") or Path(tempfile.gettempdir()) / "aelib-user-models")


class UserModelStore:
    def __init__(
        self,
        root: str | Path | None = None,
        max_bytes: int = 100 * 2**20,
        max_age_s: float = 7 * DAY_S,
        max_total_bytes: int = 2 * 2**30,
    ):
        self.root = Path(root) if root else default_root()
        self.max_bytes, self.max_age_s, self.max_total_bytes = max_bytes, max_age_s, max_total_bytes

    @property
    def keep_days(self) -> float:
        return self.max_age_s / DAY_S

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)  # 32 characters, 192 random bits

    @staticmethod
    def valid_token(token) -> bool:
        return isinstance(token, str) and TOKEN.fullmatch(token) is not None

    def folder(self, token: str) -> Path:
        if not self.valid_token(token):
            raise AelibError("not a browser token this app made")
        return self.root / token

    def paths(self, token: str) -> list[Path]:
        """This browser's checkpoints, oldest first; [] for an unknown or invalid token."""
        if not self.valid_token(token) or not self.folder(token).is_dir():
            return []
        found = [p for p in self.folder(token).glob(f"*{SUFFIX}") if MODEL_ID.fullmatch(p.stem)]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def touch(self, token: str) -> None:
        """The browser came back: its expiry starts again."""
        folder = self.folder(token)
        if folder.is_dir():
            os.utime(folder)

    def save(self, token: str, model_id: str, data: bytes) -> list[str]:
        """Keep `data` as this browser's model `model_id`; returns the ids of its older models
        removed to stay within max_bytes. A model over max_bytes on its own is refused."""
        if not MODEL_ID.fullmatch(model_id):
            raise AelibError(f"not a model id the store accepts: {model_id[:60]!r}")
        if len(data) > self.max_bytes:
            raise AelibError(
                f"the model is {len(data) / 2**20:.0f} MB, over the {self.max_bytes / 2**20:.0f} MB kept per browser"
            )
        self.prune()
        folder = self.folder(token)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{model_id}.partial"
        partial.write_bytes(data)
        partial.replace(folder / f"{model_id}{SUFFIX}")  # never a half-written checkpoint under its name
        removed = []
        for path in self.paths(token)[:-1]:
            if sum(p.stat().st_size for p in self.paths(token)) <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            removed.append(path.stem)
        os.utime(folder)
        return removed

    def prune(self, now: float | None = None) -> None:
        """Remove the folders unused for max_age_s, then the least recently used ones while the
        store is over max_total_bytes."""
        if not self.root.is_dir():
            return
        now = time.time() if now is None else now
        folders = [f for f in self.root.iterdir() if f.is_dir() and self.valid_token(f.name)]
        for folder in folders:
            if now - folder.stat().st_mtime > self.max_age_s:
                shutil.rmtree(folder, ignore_errors=True)
        folders = sorted((f for f in folders if f.exists()), key=lambda f: f.stat().st_mtime)
        sizes = {f: sum(p.stat().st_size for p in f.glob("*") if p.is_file()) for f in folders}
        total = sum(sizes.values())
        for folder in folders:
            if total <= self.max_total_bytes:
                break
            shutil.rmtree(folder, ignore_errors=True)
            total -= sizes[folder]
