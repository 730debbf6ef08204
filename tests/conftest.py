"""Test-session settings shared by every test.

The tests are hermetic: no test reaches a service on the internet. ``bomhost diff`` appends
bomdrift's network signals (OSV, registry, maintainer age) by default, so every ``bomhost``
process a test starts inherits ``BOMHOST_OFFLINE=1`` (the documented switch of ``--offline``).
A test of those signals points them at a server on 127.0.0.1 and names them with
``--plugin builtin:NAME``, which ``--offline`` does not skip, or drops the variable itself.
"""

from __future__ import annotations

import os

os.environ["BOMHOST_OFFLINE"] = "1"
