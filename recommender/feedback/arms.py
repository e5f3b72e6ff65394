"""The control arm: which sessions get no suggestions (or popular items only).

A session's arm is a pure function of its id, the holdout share and a salt, so that every
worker process, every restart and the report agree without sharing any state:

- **blake2b, keyed with the salt** (standard library). Python's ``hash()`` is salted per
  process (``PYTHONHASHSEED``), so two workers would disagree; a keyed cryptographic hash is
  the same everywhere and spreads any ids (sequential order numbers included) uniformly.
- **the salt** names the experiment: changing it draws a new, independent control group
  (a holdout kept for months makes the same shoppers miss suggestions for months), and it keeps
  the split independent of other hash-based splits the shop runs on the same ids.
- **a threshold on the hash**: a session is in control when its hash, read as a number in
  [0, 1), is below the share. Raising the share from 0.05 to 0.10 only moves sessions from
  treatment to control, never the other way.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from ..exceptions import ConfigError

__all__ = ["Arm", "DEFAULT_SALT", "assign_arm", "check_salt", "check_share"]

Arm = Literal["treatment", "control"]

DEFAULT_SALT = "recommender-holdout-1"

_SCALE = float(2**64)


def check_share(share: float) -> float:
    """``share`` if it is a share of sessions for the control arm (0 included, 1 excluded)."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share < 1.0:
        raise ConfigError(
            f"the holdout share must be at least 0 and below 1 (0.05 keeps 5% of sessions as control), got {share!r}."
        )
    return float(share)


def check_salt(salt: str) -> str:
    """``salt`` if blake2b takes it as a key (1 to 64 bytes of UTF-8)."""
    if not isinstance(salt, str) or not 1 <= len(salt.encode("utf-8")) <= 64:
        raise ConfigError(f"the holdout salt must be 1 to 64 bytes of text (it keys blake2b), got {salt!r}.")
    return salt


def assign_arm(session_id: str | None, *, share: float, salt: str = DEFAULT_SALT) -> Arm:
    """The arm of ``session_id``: ``"control"`` for a ``share`` of sessions, else ``"treatment"``.

    A request without a session id cannot be followed to its order, so it is treated.

    Examples
    --------
    >>> assign_arm("session-1", share=0.0)
    'treatment'
    >>> assign_arm(None, share=0.5)
    'treatment'
    >>> arms = [assign_arm(f"s{i}", share=0.25) for i in range(10_000)]
    >>> round(arms.count("control") / len(arms), 2)
    0.25
    >>> assign_arm("s1", share=0.25) == assign_arm("s1", share=0.25)
    True
    """
    if share <= 0.0 or not session_id:
        return "treatment"
    digest = hashlib.blake2b(session_id.encode("utf-8"), digest_size=8, key=salt.encode("utf-8")).digest()
    return "control" if int.from_bytes(digest, "big") / _SCALE < share else "treatment"
