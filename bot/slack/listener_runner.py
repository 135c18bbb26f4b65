"""Bolt's listener runner, answering the HTTP request the moment the listener acks.

slack_bolt 1.30's ThreadListenerRunner starts a listener on the listener pool and then polls
for its ack: `while ack.response is None: time.sleep(0.01)`. Each request thread so wakes
every 10 ms while its ack is pending and takes the GIL from the threads doing the work: at 50
concurrent /logs, about ten wake-ups per request (`strace -c -f`: 10.5 clock_nanosleep and
~170 futex calls per /log, against 3.9 and ~75 in benchmarks/floor_app.py), and an ack
waits up to 10 ms more before it is sent. Bolt offers no hook for this (no runner or Ack
class to pass in), so `prompt` swaps the runner's class for this one, which waits on an
event its Ack sets instead. Everything else (lazy listeners, process_before_response, the
error and completion handlers) stays Bolt's own code.
"""

from __future__ import annotations

import threading
import time

from slack_bolt import App, BoltResponse
from slack_bolt.context.ack import Ack
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request import BoltRequest


class SignallingAck(Ack):
    """An Ack that says when its response is set: by ack() or by Bolt's error handling,
    which both assign `response`."""

    def __init__(self) -> None:
        self.given = threading.Event()
        super().__init__()

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self.given.set()


class PromptListenerRunner(ThreadListenerRunner):
    def run(self, request: BoltRequest, response: BoltResponse | None, listener_name: str,
            listener: Listener, starting_time: float | None = None) -> BoltResponse | None:
        if (self.process_before_response or request.lazy_only or listener.lazy_functions
                or listener.auto_acknowledgement or request.context.ack.response is not None):
            return super().run(request, response, listener_name, listener, starting_time)
        started = starting_time if starting_time is not None else time.time()
        ack = SignallingAck()
        # In place of the unused one Bolt made for the middleware's arguments: the
        # listener's are built from the context on the pool.
        request.context["ack"] = ack

        def run_ack_function_asynchronously() -> None:  # as Bolt's, for a listener that acks
            nonlocal response
            try:
                self.listener_start_handler.handle(request=request, response=response)
                listener.run_ack_function(request=request, response=response)
            except Exception as e:  # noqa: BLE001 - Bolt's error handler reports it
                if response is None:
                    response = BoltResponse(status=500)
                response.status = 500
                if ack.response is not None:  # already acknowledged
                    response = None
                self.listener_error_handler.handle(error=e, request=request,
                                                   response=response)
                ack.response = response
            finally:
                self.listener_completion_handler.handle(request=request, response=response)

        self.listener_executor.submit(run_ack_function_asynchronously)
        ack.given.wait(max(0.0, listener.ack_timeout - (time.time() - started)))
        if response is None and ack.response is None:
            self.logger.warning(warning_did_not_call_ack(listener_name))
            return None
        if response is None:
            self._debug_log_completion(started, ack.response)  # type: ignore[arg-type]
            return ack.response
        return response


def prompt(app: App) -> App:
    """`app` with its listener runner answering on the ack (see above)."""
    app.listener_runner.__class__ = PromptListenerRunner
    return app
