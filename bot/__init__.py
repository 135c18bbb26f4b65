"""Pacer's core: the app shell (app, cli, config, deps, clock, logs, i18n, errors, permissions)
and the packages below it. Nothing here imports handlers/ except app.py, which registers them.
"""
