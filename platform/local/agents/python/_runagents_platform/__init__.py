"""The local RunAgents platform's side of an agent sandbox: the runner and its egress glue.

Not part of the `runagents` package, so an agent's own copy of the RunAgents SDK cannot shadow it.
"""
