"""Scheduled work: registry.py lists every job, scheduler.py ticks, the outbox delivers each
message once; one module per job family. May import services/, render/, store/, calendar/;
never handlers/.
"""
