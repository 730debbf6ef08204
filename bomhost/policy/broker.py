"""The capability broker: the only path from a WASM plugin to files and the network.

The WASM host functions ``bomdrift.read_file`` and ``bomdrift.http_get`` do nothing but copy
bytes between guest memory and an ``InvocationBroker``; every decision (which rule matches,
quotas, timeouts, the event that explains it) is made here, against the operator's policy.

Return convention (the ABI's, see protocol/README.md): a non-negative int is the number of
bytes, a negative int is an error code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bomhost.model import SandboxEvent
from bomhost.policy.model import Policy

DENIED = -1
NOT_FOUND = -2  # read_file: not found or unreadable; http_get: connection or HTTP failure
QUOTA = -3
TOO_SMALL = -4
TIMED_OUT = -5


@dataclass
class InvocationBroker:
    """Checks and performs one invocation's file and network requests, recording events.

    One per invocation (never shared between threads); run-wide quotas live in the parent
    ``Broker`` behind its lock.
    """

    broker: Broker
    plugin_name: str
    subject: str
    deadline: float  # time.monotonic() by which the invocation must finish
    events: list[SandboxEvent] = field(default_factory=list)

    def read_file(self, path: str, buf_cap: int) -> bytes | int:
        """The file's bytes (at most ``buf_cap``), or a negative code; always records an event."""
        self.events.append(
            SandboxEvent(
                plugin_name=self.plugin_name,
                component_purl=self.subject,
                decision="deny",
                rule_id="fs.default",
                reason_code="fs_path_denied",
                context={"path": path},
            )
        )
        return DENIED

    def http_get(self, url: str, buf_cap: int) -> bytes | int:
        """The 2xx body (at most ``buf_cap``), or a negative code; always records an event."""
        self.events.append(
            SandboxEvent(
                plugin_name=self.plugin_name,
                component_purl=self.subject,
                decision="deny",
                rule_id="net.default",
                reason_code="net_host_denied",
                context={"url": url},
            )
        )
        return DENIED


@dataclass
class Broker:
    """Run-wide broker for one policy: holds per-run quota counters, hands out invocations."""

    policy: Policy
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_invocation(self, plugin_name: str, subject: str, deadline: float) -> InvocationBroker:
        return InvocationBroker(self, plugin_name, subject, deadline)
