"""The baseline for benchmarks/ack_vs_bolt.py: a bare Bolt app that only acknowledges `/log`,
on the same production server (waitress, Pacer's thread count) as `pacer run`.

Run: SLACK_SIGNING_SECRET=s SLACK_BOT_TOKEN=xoxb-x SLACK_API_URL=… PORT=… python bare_bolt.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from waitress import serve  # noqa: E402

from bot.slack.server import wsgi_app  # noqa: E402


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    @app.command("/log")
    def handle_log(ack: Ack) -> None:
        ack()

    # The same WSGI wrapper and waitress settings as bot/server.serve_http.
    serve(wsgi_app(app), host="127.0.0.1", port=int(os.environ["PORT"]), threads=16,
          ident="bare-bolt")


if __name__ == "__main__":
    main()
