"""Slack's side of the wire: HTTP and Socket Mode server, request adapter, Web API client,
signing, text escaping, install/OAuth, the user directory, and the local emulator and console.

May import bot.config/clock/logs/i18n/deps, store/ (teams, workspaces, audit); never handlers/
but through bot.app (the console builds the app).
"""
