"""Exceptions a handler may raise to pause its run (as runagents.runtime in the SDK)."""

from runagents import ApprovalRequired, ConsentRequired  # noqa: F401
