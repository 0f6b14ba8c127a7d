"""The app's local state: device key, device id, issuer and names, in a JSON file of mode 0600.

Format (version 1)::

    {
      "version": 1,
      "issuer": "http://localhost:5000/d/default",
      "device_id": "<opaque, from the provider>",
      "device_name": "Pixel 8",
      "directory": "default",
      "username": "alice",
      "activated_at": 1767225600,
      "private_key_pem": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"
    }

The private key is unencrypted PKCS#8 PEM (P-256): the file itself is the secret, which is why
it is written with mode 0600 (a fresh temporary file in the same folder, then renamed over).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from clients.authenticator.keys import DeviceKey

STATE_VERSION = 1
DEFAULT_STATE_PATH = Path("~/.grip-authenticator.json")


class StateError(Exception):
    """The state file is missing, unreadable or malformed."""


@dataclass
class DeviceState:
    """What the app remembers after activation."""

    issuer: str
    device_id: str
    device_name: str
    directory: str
    username: str
    private_key_pem: str
    activated_at: int = 0
    version: int = STATE_VERSION

    @property
    def key(self) -> DeviceKey:
        """The device's private key."""
        return DeviceKey.from_pem(self.private_key_pem)

    def to_json(self) -> dict:
        """Return the file's JSON object."""
        data = asdict(self)
        return {"version": data.pop("version"), **data}

    @classmethod
    def from_json(cls, data: object) -> DeviceState:
        """Read a state object; raise StateError when it is not one this version understands."""
        if not isinstance(data, dict):
            raise StateError("the state file does not hold a JSON object")
        if data.get("version") != STATE_VERSION:
            raise StateError(f"unsupported state file version {data.get('version')!r}")
        fields = ("issuer", "device_id", "device_name", "directory", "username",
                  "private_key_pem")
        missing = [name for name in fields if not isinstance(data.get(name), str)]
        if missing:
            raise StateError(f"the state file lacks {', '.join(missing)}")
        activated_at = data.get("activated_at", 0)
        if not isinstance(activated_at, int):
            raise StateError("activated_at must be an integer")
        state = cls(**{name: data[name] for name in fields}, activated_at=activated_at)
        try:
            state.key  # noqa: B018 - fail early on a damaged key
        except ValueError as exc:
            raise StateError(f"the stored private key is unusable: {exc}") from exc
        return state


def resolve(path: str | os.PathLike | None) -> Path:
    """Return the state file path: `path`, or the default ~/.grip-authenticator.json."""
    return Path(path if path is not None else DEFAULT_STATE_PATH).expanduser()


def load_state(path: str | os.PathLike) -> DeviceState:
    """Read the state file; StateError when it is missing or malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StateError(f"not activated: no state file at {path}") from None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateError(f"{path} is not valid JSON: {exc}") from exc
    return DeviceState.from_json(data)


def save_state(path: str | os.PathLike, state: DeviceState) -> None:
    """Write the state atomically with mode 0600 (never readable by others, even briefly)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(state.to_json(), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def forget_state(path: str | os.PathLike) -> bool:
    """Delete the state file; return whether there was one."""
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True
