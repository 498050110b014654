"""What the SDK keeps in runagents.runtime that agent code uses: the interrupts a handler may
raise to pause its run, and RunContext."""

from runagents import ApprovalRequired, ConsentRequired, RunContext  # noqa: F401
