"""What `pacer team|rules|jobs|import|export|member|retention` do, once bot/cli.py has
parsed the arguments: each builds its dependencies, brings the database up to date and calls
store/ or bot/services/ (the same functions /pacer and the jobs call), then prints a result.

Kept apart from bot/cli.py, which holds the argument grammar and the commands that start
Pacer (run, console, db), so each reads on its own page.
"""

from __future__ import annotations

import argparse
import sys

from bot.config import ConfigError, Settings
from bot.deps import Deps
from store import audit, db, teams, workspaces


def _ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]



def _cli_workspace(deps: Deps, explicit: str | None) -> str:
    """--workspace, else the only workspace known, else the bot token's own (auth.test).
    Several workspaces and no --workspace is an error naming them."""
    if explicit:
        return explicit
    with deps.sessions() as session:
        workspace_id = teams.workspace_scope(session, team=None, workspace_id=None)[0]
    if workspace_id:
        return workspace_id
    if deps.settings.bot_token:
        from bot.slack.client import web_client

        return web_client(deps.settings).auth_test()["team_id"]
    return "T0LOCAL"


CHANNEL_LANG_WORDS = {"auto": "the first manager's language", "en": "English", "zh": "Chinese",
                      "both": "Chinese and English, the first manager's language first",
                      "zh+en": "Chinese, then English", "en+zh": "English, then Chinese"}


def cmd_team(args: argparse.Namespace, settings: Settings) -> int:
    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    now = deps.clock.now()
    if args.team_command == "list":
        with deps.sessions() as session:
            if args.workspace:
                teams.workspace_scope(session, team=None, workspace_id=args.workspace)
            summaries = teams.list_teams(session, workspace_id=args.workspace)
            several = not args.workspace and len(workspaces.ids(session)) > 1
        if not summaries:
            print("no teams yet: pacer team create NAME --channel C… --manager U… --members U…")
        for s in summaries:
            print(f"{s.name}\tchannel={s.channel_id or '-'}\ttz={s.tz}\tcurrency={s.currency}"
                  f"\tlanguage={s.channel_lang}"
                  f"\tmanagers={','.join(s.managers) or '-'}\tmembers={','.join(s.members) or '-'}"
                  + (f"\tworkspace={s.workspace_id}" if several else ""))
        return 0
    workspace_id = _cli_workspace(deps, args.workspace)
    with deps.sessions() as session:
        if args.team_command == "create":
            team = teams.create_team(
                session, workspace_id=workspace_id, name=args.name, channel_id=args.channel,
                managers=_ids(args.manager), members=_ids(args.members), tz=args.tz,
                currency=args.currency, now=now)
            print(f"created team {team.name} in workspace {workspace_id}")
        else:
            print(team_change(session, args, workspace_id, now))
    return 0


ADMIN_HOW = {"slack": "a Slack workspace owner or admin", "installer": "installed Pacer",
             "named": "named in Slack", "cli": "named on the command line",
             "legacy": "the first to use /pacer, before admins came from Slack"}


def cmd_role(args: argparse.Namespace, settings: Settings) -> int:
    """`pacer role list`, `pacer role U… admin|manager|rep`: audited as done by `cli`."""
    from store import admins

    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    workspace_id, now = _cli_workspace(deps, args.workspace), deps.clock.now()
    with deps.sessions() as session:
        if args.user_id == "list":
            for line in admins.roles(session, workspace_id=workspace_id):
                how = ADMIN_HOW.get(line.source or "legacy", line.source)
                by = f" by {line.by}" if line.by not in (None, "slack", "cli") else ""
                print(f"{line.user_id}\t{line.role}" + (f"\t{how}{by}"
                                                       if line.role == "admin" else ""))
            return 0
        if args.role is None:
            raise ConfigError("say which role: pacer role U… admin|manager|rep")
        if args.role == "admin":
            done = admins.grant(session, workspace_id=workspace_id, user_id=args.user_id,
                                source=admins.CLI, by=admins.CLI_ACTOR, now=now)
        else:
            done = admins.revoke(session, workspace_id=workspace_id, user_id=args.user_id,
                                 by=admins.CLI_ACTOR, now=now, role=args.role)
            if not done:
                teams.set_role(session, workspace_id=workspace_id, user_id=args.user_id,
                               role=args.role, now=now)
                audit.record(session, workspace_id=workspace_id,
                             actor_user_id=admins.CLI_ACTOR, action="member.role",
                             outcome="done", now=now, target=args.user_id, detail=args.role)
    print(f"{args.user_id} is {'now ' if done or args.role != 'admin' else 'already '}"
          f"{args.role} in workspace {workspace_id}")
    return 0


def team_change(session, args: argparse.Namespace, workspace_id: str, now) -> str:
    """`pacer team add|remove|manager|channel|tz|holidays|language`: the store calls /pacer
    makes."""
    name, command = args.name, args.team_command
    ids = [u for part in getattr(args, "user_ids", []) for u in _ids(part)]
    scope = {"session": session, "workspace_id": workspace_id, "name": name}
    if command == "add":
        teams.add_members(**scope, user_ids=ids, now=now)
    elif command == "remove":
        teams.remove_members(**scope, user_ids=ids)
    elif command == "manager":
        teams.add_managers(**scope, user_ids=ids, now=now)
    elif command == "channel":
        teams.set_channel(**scope, channel_id=args.channel_id)
    elif command == "tz":
        teams.set_tz(**scope, tz=args.tz)
    elif command == "language":
        teams.set_channel_lang(**scope, value=args.value)
        return (f"{name}: channel posts in {CHANNEL_LANG_WORDS[args.value]}; direct messages "
                "stay in each person's own language")
    elif command == "calibration":
        from bot.services.calibration import set_team_cadence

        team = set_team_cadence(session, workspace_id=workspace_id, name=name,
                                anchor=args.anchor, at=args.time, now=now)
        anchor = team.calibration_anchor or "the first Tuesday after the team was created"
        return (f"{name}: calibrations every two weeks from {anchor} at "
                f"{team.calibration_time} ({team.tz})")
    elif command == "times":
        for which in teams.TIMES:
            if getattr(args, which):
                teams.set_time(**scope, which=which, at=getattr(args, which))
        team = teams.get_team(**scope)
        return (f"{name}: check-in reminder {team.checkin_time} (each rep's zone), brief "
                f"request Fridays {team.brief_time} (each rep's zone), Friday report "
                f"{team.report_time} ({team.tz})")
    else:
        if args.country:
            country = None if args.country.lower() == "none" else args.country
            teams.set_holiday_country(**scope, country=country)
        for day in args.add:
            teams.add_day_off(**scope, day=day)
        for day in args.remove:
            teams.remove_day_off(**scope, day=day)
        team = teams.get_team(**scope)
        days = ", ".join(d.day.isoformat() for d in teams.days_off(session, team_id=team.id))
        return f"{name}: holidays of {team.holiday_country or 'no country'}; days off: " \
               f"{days or 'none'}"
    return f"team {name}: {command} done" + (f" ({', '.join(ids)})" if ids else "")


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.clock import FixedClock
    from bot.jobs import registry as jobs

    at = getattr(args, "at", None)
    deps = Deps.build(settings, clock=FixedClock(at) if at else None)
    db.upgrade(deps.engine)
    if args.workspace:
        with deps.sessions() as session:
            teams.workspace_scope(session, team=None, workspace_id=args.workspace)
        deps.only_workspace = args.workspace
    now = deps.clock.now()
    if args.jobs_command == "list":
        for line in jobs.describe(deps, now=now, team=args.team):
            print(line)
        return 0
    try:
        job = jobs.JOBS.get(args.name)
        if job is not None and job.available and job.posts and \
                not settings.has_slack_credentials:
            raise ConfigError("missing environment: SLACK_BOT_TOKEN, or SLACK_CLIENT_ID for "
                              "the OAuth install (the job posts to Slack)")
        result = jobs.run_job(deps, args.name, now=now, team=args.team)
    except jobs.JobError as exc:
        print(f"pacer: {exc}", file=sys.stderr)
        return 2
    print(f"{args.name} at {now.isoformat()}: {result.summary()}")
    for line in result.lines:
        print(f"  {line}")
    return 1 if result.failed else 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.importer import run_import

    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    return run_import(deps, what=args.what, path=args.file, team=args.team,
                      workspace=args.workspace, dry_run=args.dry_run, out=sys.stdout,
                      err=sys.stderr)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.clock import FixedClock
    from bot.services.exports import EXPORTS

    # Scorecards are computed as of a moment: --at (a scripted run's clock), else PACER_NOW's
    # (the clock of a bot run for a demo), else now; the same team_report the cards used.
    at = getattr(args, "at", None) or settings.clock_start
    deps = Deps.build(settings, clock=FixedClock(at) if at else None)
    db.upgrade(deps.engine)
    if args.export_command == "scorecards":
        from bot.calendar.periods import parse_period
        from bot.services.exports import export_scorecards

        period = parse_period(args.period, deps.clock.now().date())
        if period is None or period.kind not in ("month", "quarter", "year"):
            print(f"pacer: {args.period!r} is not a period: use 2026-11, 2026-Q4 or 2026",
                  file=sys.stderr)
            return 2
        return export_scorecards(deps, team=args.team, workspace=args.workspace, period=period,
                                 out=sys.stdout)
    if args.export_command == "reviews":
        from bot.calendar.periods import parse_period
        from bot.services.exports import export_reviews

        chosen = parse_period(args.period, deps.clock.now().date()) if args.period else None
        if args.period and (chosen is None or chosen.kind not in ("month", "quarter", "year")):
            print(f"pacer: {args.period!r} is not a review period: use 2026-11, 2026-Q4 or "
                  f"2026 (the year end)", file=sys.stderr)
            return 2
        return export_reviews(deps, team=args.team, workspace=args.workspace,
                              period=chosen.label if chosen else None, out=sys.stdout)
    return EXPORTS[args.export_command](deps, team=args.team, workspace=args.workspace,
                                        start=args.start, end=args.end, out=sys.stdout)


def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    import tomllib

    import tomli_w

    from bot.scoring.rules import Rules

    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    with deps.sessions() as session:
        workspace_id, team = teams.workspace_scope(session, team=args.team,
                                                   workspace_id=args.workspace)
        team = team or teams.only_team(session, workspace_id=workspace_id)
        overrides = teams.rule_overrides(session, team_id=team.id)
        if args.rules_command == "set":
            overrides = _merge(overrides, _nested(args.key, _value(args.value)))
        elif args.rules_command == "import":
            with open(args.file, "rb") as f:
                overrides = tomllib.load(f)
        elif args.rules_command == "reset":
            overrides = {}
        try:
            effective = Rules.from_mapping(overrides)
        except ValueError as exc:
            print(f"pacer: {exc}", file=sys.stderr)
            return 2
        if args.rules_command != "show":
            teams.set_rule_overrides(session, team_id=team.id, overrides=overrides)
        print(f"# scoring rules of team {team.name}; overridden: "
              f"{', '.join(_keys(overrides)) or 'nothing (all defaults)'}")
        print(tomli_w.dumps(effective.to_mapping()), end="")
    return 0


def _value(text: str) -> object:
    """A command-line value as TOML reads it (25, 0.85, true, [\"call\"]), else a string."""
    import tomllib

    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _nested(key: str, value: object) -> dict:
    for part in reversed(key.split(".")):
        value = {part: value}
    return value  # type: ignore[return-value]


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def _keys(tree: dict, prefix: str = "") -> list[str]:
    return [k for key, value in tree.items() for k in (
        _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"])]


def cmd_privacy(args: argparse.Namespace, settings: Settings) -> int:
    """`pacer member export|forget`, `pacer retention notes|show` (bot/services/privacy.py)."""
    from bot.services import privacy

    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    return privacy.command(deps, args, out=sys.stdout, err=sys.stderr)
