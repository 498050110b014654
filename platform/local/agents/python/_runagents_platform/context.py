"""RunContext: what a two-argument handler(request, ctx) gets besides the request.

The attributes are the SDK 1.2.1 ones (tools, llm_url, model, system_prompt, session); call_tool
and chat are conveniences of the local platform. The runner builds it from the operator's
environment, so it is the same whichever `runagents` the agent imports.
"""

from _runagents_platform import egress


class RunContext:
    def __init__(self, request=None):
        request = request or {}
        self.tools = egress.tool_urls()
        self.llm_url = egress.llm_gateway_url()
        self.model = egress.model()
        self.system_prompt = egress.system_prompt()
        resume = request.get("resume")
        self.session = {"history": request.get("history", [])}
        for key in ("request_id", "run_id", "user_id"):
            if request.get(key):
                self.session[key] = request[key]
        if resume is not None:
            self.session["resume"] = resume
            if isinstance(resume, dict) and resume.get("action_id"):
                self.session["action_id"] = str(resume["action_id"])

    def call_tool(self, name, path="/", payload=None, method="POST"):
        import runagents  # the agent's runagents: its own copy or the platform's shim

        return runagents.Agent().call_tool(name, path=path, payload=payload, method=method)

    def chat(self, message, tools=None, history=None):
        import runagents

        return runagents.Agent().chat(message, tools=tools, history=history)
