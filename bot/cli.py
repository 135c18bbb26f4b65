"""The `pacer` command: the only code that reads the environment and starts servers.

Here: the arguments of every command, `main`, and the commands that start Pacer (run,
console, db upgrade); the administration commands are in bot/cli_commands.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from bot import cli_commands, logs
from bot.config import ConfigError, Settings
from bot.deps import Deps
from bot.i18n import team_error_text
from store import db, teams, workspaces

log = logging.getLogger("pacer")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _moment(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a date and time (e.g. 2026-11-18T09:31:00+08:00): {text!r}") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


WORKSPACE_HELP = ("the Slack team id (T…) the team or data is in; needed when Pacer serves "
                  "several workspaces")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pacer", description="Pacer, the sales team's "
                                     "performance system in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve Slack (HTTP on PORT, or Socket Mode with "
                   "SLACK_APP_TOKEN); with no Slack credentials, the local console")
    console = sub.add_parser("console", help="try Pacer locally against a built-in Slack")
    console.add_argument("--as", dest="user", default=None, help="start as this user id")

    dbp = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    dbp.add_parser("upgrade", help="apply migrations")

    team = sub.add_parser("team", help="teams").add_subparsers(dest="team_command",
                                                                required=True)
    create = team.add_parser("create", help="create a team")
    create.add_argument("name")
    create.add_argument("--channel", required=True, help="team channel id, e.g. C0123")
    create.add_argument("--manager", required=True, help="manager user ids, comma separated")
    create.add_argument("--members", default="", help="rep user ids, comma separated")
    create.add_argument("--tz", default="UTC", help="IANA time zone, e.g. Asia/Shanghai")
    create.add_argument("--currency", default="CNY", help="ISO currency code")
    add = team.add_parser("add", help="add reps to a team")
    add.add_argument("name")
    add.add_argument("user_ids", nargs="+")
    remove = team.add_parser("remove", help="take people off a team")
    remove.add_argument("name")
    remove.add_argument("user_ids", nargs="+")
    manager = team.add_parser("manager", help="make people managers of a team")
    manager.add_argument("name")
    manager.add_argument("user_ids", nargs="+")
    channel = team.add_parser("channel", help="set the team's channel")
    channel.add_argument("name")
    channel.add_argument("channel_id")
    tz = team.add_parser("tz", help="set the team's time zone")
    tz.add_argument("name")
    tz.add_argument("tz")
    hol = team.add_parser("holidays", help="public-holiday country and extra days off")
    hol.add_argument("name")
    hol.add_argument("--country", help="ISO code for the `holidays` calendar, or 'none'")
    hol.add_argument("--add", type=_day, action="append", default=[], help="a day off")
    hol.add_argument("--remove", type=_day, action="append", default=[])
    times = team.add_parser("times", help="when reminders, brief requests and reports go out")
    times.add_argument("name")
    for which, default in (("checkin", "09:30"), ("brief", "15:00"), ("report", "17:00")):
        times.add_argument(f"--{which}", help=f"HH:MM (default {default})")
    calibration = team.add_parser("calibration", help="the team's bi-weekly calibration cadence")
    calibration.add_argument("name")
    calibration.add_argument("--anchor", type=_day, help="the first day, YYYY-MM-DD (default: "
                             "the first Tuesday on or after the team was created)")
    calibration.add_argument("--time", help="HH:MM in the team's zone (default 10:00)")
    language = team.add_parser("language", help="the language(s) of the team's channel posts")
    language.add_argument("name")
    language.add_argument("value", choices=teams.CHANNEL_LANGS,
                          help="auto (the first manager's), en, zh, both (the first manager's "
                          "first), zh+en or en+zh")
    tlist = team.add_parser("list", help="list teams")
    tlist.add_argument("--workspace", help="only this workspace's teams (Slack team id)")
    for p in (create, add, remove, manager, channel, tz, hol, times, calibration, language):
        p.add_argument("--workspace", help="Slack team id (default: the only one, or "
                       "the bot token's)")

    role = sub.add_parser("role", help="who is admin (and manager), and how each became one")
    role.add_argument("user_id", help="a Slack user id (U…), or `list`")
    role.add_argument("role", nargs="?", choices=("rep", "manager", "admin"),
                      help="the role to give (admin: e.g. a first admin without Slack admin "
                      "rights)")
    role.add_argument("--workspace", help="Slack team id (default: the only one, or the bot "
                      "token's)")

    export = sub.add_parser("export", help="CSV to stdout").add_subparsers(
        dest="export_command", required=True)
    for name, text in (("logs", "behaviour and result logs, deals and payments included"),
                       ("checkins", "daily check-ins"), ("leads", "customers and their leads"),
                       ("calibrations", "calibration 1:1s: held, not happened, no minutes"),
                       ("actions", "action items agreed in calibrations")):
        p = export.add_parser(name, help=text)
        p.add_argument("--team")
        p.add_argument("--workspace", help=WORKSPACE_HELP)
        p.add_argument("--from", dest="start", type=_day)
        p.add_argument("--to", dest="end", type=_day)

    rules = sub.add_parser("rules", help="a team's scoring rules").add_subparsers(
        dest="rules_command", required=True)
    show = rules.add_parser("show", help="the rules in force, as TOML (overrides marked)")
    rset = rules.add_parser("set", help="override one rule, e.g. points.visit_day_points 25")
    rset.add_argument("key")
    rset.add_argument("value")
    rimp = rules.add_parser("import", help="replace the team's overrides with a TOML file")
    rimp.add_argument("file")
    rules.add_parser("reset", help="back to the defaults")
    for p in (show, rset, rimp, rules.choices["reset"]):
        p.add_argument("--team", help="the team (default: the only one)")
        p.add_argument("--workspace", help=WORKSPACE_HELP)

    cards = export.add_parser("scorecards", help="every rep's scorecard for a period")
    cards.add_argument("--period", required=True, help="YYYY-MM, YYYY-Qn or YYYY")
    cards.add_argument("--team")
    cards.add_argument("--workspace", help=WORKSPACE_HELP)
    cards.add_argument("--at", type=_moment, help="compute as the cards did when the clock read "
                       "this ISO date-time (the --at of `pacer jobs run`; default: PACER_NOW, "
                       "else now), e.g. 2026-12-01T09:00:00+08:00 (no offset means UTC)")
    revs = export.add_parser("reviews", help="every review: answers, ratings, appeals")
    revs.add_argument("--period", help="YYYY-MM or YYYY-Qn (default: every period)")
    revs.add_argument("--team")
    revs.add_argument("--workspace", help=WORKSPACE_HELP)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers(
        dest="jobs_command", required=True)
    jlist = jobs.add_parser("list", help="every job, its schedule per team and its next run")
    jlist.add_argument("--team", help="only this team")
    jlist.add_argument("--workspace", help="only this workspace's teams (Slack team id)")
    jrun = jobs.add_parser("run", help="run one job once, as the scheduler's tick would")
    jrun.add_argument("name", help="e.g. checkin-reminder, friday-brief")
    jrun.add_argument("--team", help="only this team (default: every team)")
    jrun.add_argument("--workspace", help="only this workspace's teams (Slack team id); "
                      "needed with --team when several workspaces have a team of that name")
    jrun.add_argument("--at", type=_moment, help="as if the clock read this ISO date-time, "
                      "e.g. 2026-11-18T09:31:00+08:00 (no offset means UTC)")

    imp = sub.add_parser("import", help="CRM rows from CSV (see README for columns)")
    imp.add_argument("what", choices=("deals", "payments", "leads"))
    imp.add_argument("file")
    imp.add_argument("--team", help="the team the rows belong to (default: the only one)")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.add_argument("--workspace", help="Slack team id (default: the only one)")

    member = sub.add_parser("member", help="one person's data (README: Privacy and data "
                            "rights)").add_subparsers(dest="member_command", required=True)
    mexp = member.add_parser("export", help="everything about one person, as JSON to stdout")
    mfor = member.add_parser("forget", help="erase or pseudonymise one person's data; team "
                             "numbers stay (a dry run without --yes)")
    mfor.add_argument("--yes", action="store_true", help="do it (without: report only)")
    retention = sub.add_parser("retention", help="how long free text is kept").add_subparsers(
        dest="retention_command", required=True)
    notes = retention.add_parser("notes", help="blank notes and answers older than DAYS; the "
                                 "numbers stay")
    notes.add_argument("days", help="days (at least 14), 'off' (the workspace keeps them), or "
                       "'default' (a team follows the workspace)")
    notes.add_argument("--team", help="this team's own setting")
    rshow = retention.add_parser("show", help="the settings in force")
    for p in (mexp, mfor):
        p.add_argument("user_id", help="a Slack user id, e.g. U0123ABCD")
    for p in (mexp, mfor, notes, rshow):
        p.add_argument("--workspace", help="Slack team id (default: the only one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
        if not logging.getLogger().handlers:  # a host that set up logging (pytest) keeps it
            logs.configure(level=settings.log_level, fmt=settings.log_format,
                           secrets=settings.secrets)
        return COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        print(f"pacer: {exc}", file=sys.stderr)
        return 2
    except teams.TeamError as exc:
        print(f"pacer: {team_error_text(exc, 'en')}", file=sys.stderr)
        return 2


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.has_slack_credentials and not settings.app_token:
        log.info("no Slack credentials (SLACK_BOT_TOKEN) set: starting the local console")
        return cmd_console(args, settings)
    settings.require_slack()
    from concurrent.futures import ThreadPoolExecutor

    from bot.app import LISTENER_THREADS, create_app
    from bot.jobs.scheduler import FirstTick, Scheduler
    from bot.slack.server import HttpServer, SocketModeServer, serve_until_stopped

    deps = Deps.build(settings, clock=_run_clock(settings))
    db.upgrade(deps.engine)
    socket_mode = bool(settings.app_token)
    # Our own pool, so a stop can wait for the work listeners do after their ack.
    listeners = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    app = create_app(settings, deps, listener_executor=listeners)
    if not settings.oauth:
        _token_workspace_installed(deps)
    server = (SocketModeServer(app, settings.app_token) if socket_mode else
              HttpServer(app, port=settings.port, ready=lambda: db.readiness(deps.engine)))
    scheduler = Scheduler(deps, first_tick=FirstTick()).start()
    return serve_until_stopped(server, listeners=listeners, stop_scheduler=scheduler.shutdown,
                               grace=settings.shutdown_grace)


def _token_workspace_installed(deps: Deps) -> None:
    """One bot token: learn its workspace now (auth.test, once; every request is held to it),
    and Pacer is installed there again if an uninstall was recorded (the token was then
    replaced)."""
    workspace_id = deps.home().team_id
    with deps.sessions() as session:
        if workspace_id not in workspaces.uninstalled_ids(session):
            return
        workspaces.installed(session, workspace_id=workspace_id, name=None, now=deps.clock.now())
    log.info("workspace %s is active again (a working bot token)", workspace_id)


def _run_clock(settings: Settings):  # noqa: ANN202 - a bot.clock.Clock, or None: the real one
    """PACER_NOW (staging, demos): the clock starts there and runs on, so a scripted month
    (`pacer jobs run --at …`) can be clicked through against a running bot."""
    if settings.clock_start is None:
        return None
    from bot.clock import OffsetClock

    clock = OffsetClock()
    clock.set(settings.clock_start)
    log.warning("PACER_NOW is set: the clock starts at %s, not at the real time",
                settings.clock_start.isoformat())
    return clock


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.console import run_console

    logging.getLogger("alembic").setLevel(logging.WARNING)  # keep the console readable

    return run_console(settings, start_user=getattr(args, "user", None),
                       stdin=sys.stdin, stdout=sys.stdout)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    db.upgrade(db.make_engine(settings.database_url))
    print("database is at the newest migration")
    return 0


COMMANDS = {"run": cmd_run, "console": cmd_console, "db": cmd_db, "team": cli_commands.cmd_team,
            "export": cli_commands.cmd_export, "import": cli_commands.cmd_import,
            "rules": cli_commands.cmd_rules, "role": cli_commands.cmd_role,
            "jobs": cli_commands.cmd_jobs,
            "member": cli_commands.cmd_privacy, "retention": cli_commands.cmd_privacy}
