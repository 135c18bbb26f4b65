"""Two workspaces on one Pacer: both have a team "East" with the same user ids and different
data. Nothing one workspace does shows in the other, and each is served with its own token."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.jobs import registry as jobs
from store import teams
from tests.conftest import CHANNEL, Bot
from tests.fakes import FakeSlack
from tests.installs import CLIENT_ID, CLIENT_SECRET, TOKEN_KEY, install, oauth_bot, replies

ACME, GLOBEX = "T0ACME", "T0GLOBEX"


@dataclass
class Two:
    bot: Bot
    tokens: dict[str, str]  # workspace -> its bot token

    def say(self, workspace: str, text: str, *, command: str = "/log",
            user: str = "U0ALICE", later: bool = False) -> str:
        """What `user` reads after typing `command text` in `workspace`."""
        reply = self.bot.command(text, command=command, user=user, team=workspace)
        assert reply.status == 200, reply
        return replies(self.bot, reply, self.bot.counter, wait=later)


@pytest.fixture
def two(database_url: str, fake_slack: FakeSlack, clock: FixedClock) -> Iterator[Two]:
    # The same user id is a different person in Globex, in another time zone.
    fake_slack.team_users[GLOBEX] = {"U0ALICE": {"tz": "Asia/Tokyo", "locale": "en-US"}}
    bot = oauth_bot(database_url, fake_slack, clock)
    tokens = {ws: install(bot, ws, name) for ws, name in ((ACME, "Acme"), (GLOBEX, "Globex"))}
    with bot.deps.sessions() as session:
        for ws in tokens:
            teams.create_team(session, workspace_id=ws, name="East", channel_id=CHANNEL,
                              managers=["U0MEI"], members=["U0ALICE", "U0BO"],
                              tz="Asia/Shanghai", currency="CNY", now=clock.now())
    world = Two(bot, tokens)
    # Alice in Acme (New York: still Tuesday) and Alice in Globex (Tokyo: Wednesday).
    assert "Tue 17 Nov" in world.say(ACME, "visit Umbrella Ltd")
    assert "Wed 18 Nov" in world.say(GLOBEX, "3 calls Hooli Co")
    world.say(ACME, "deal Umbrella Ltd 123k new")
    world.say(GLOBEX, "deal Hooli Co 45,600 new")
    world.say(ACME, "add Vandelay Imports", command="/lead")
    world.say(GLOBEX, "add Pied Piper", command="/lead")
    world.say(ACME, "set <@U0ALICE> sales 500k 2026-11 new territory", command="/target",
              user="U0MEI")
    world.say(ACME, "plan: 3 visits, 5 calls | yesterday: closed Initech | blockers: none",
              command="/checkin", user="U0BO")
    yield world
    bot.close()
    assert fake_slack.problems == [], fake_slack.problems


def test_each_workspace_is_served_with_its_own_token(two: Two) -> None:
    issued = set(two.tokens.values())
    used = {c.token for c in two.bot.fake.calls
            if c.method not in ("response_url", "oauth.v2.access") and c.token}
    assert used <= issued
    asked = {c.token for c in two.bot.fake.find("users.info") if c.args["user"] == "U0ALICE"}
    assert asked == issued  # each workspace asked Slack about its own Alice


def test_log_and_lead_lists_stay_in_their_workspace(two: Two) -> None:
    acme, globex = two.say(ACME, "list month"), two.say(GLOBEX, "list month")
    assert "Umbrella Ltd" in acme and "Hooli Co" not in acme
    assert "Hooli Co" in globex and "Umbrella Ltd" not in globex
    acme, globex = (two.say(ws, "list", command="/lead") for ws in (ACME, GLOBEX))
    assert "Vandelay Imports" in acme and "Pied Piper" not in acme
    assert "Pied Piper" in globex and "Vandelay Imports" not in globex
    team_view = two.say(GLOBEX, "list all", command="/lead", user="U0MEI")
    assert "Pied Piper" in team_view and "Vandelay Imports" not in team_view


def test_scorecards_leaderboards_and_targets_stay_in_their_workspace(two: Two) -> None:
    acme = two.say(ACME, "2026-11", command="/scorecard", later=True)
    globex = two.say(GLOBEX, "2026-11", command="/scorecard", later=True)
    assert "123,000" in acme and "45,600" not in acme
    assert "45,600" in globex and "123,000" not in globex
    acme = two.say(ACME, "month sales", command="/leaderboard", later=True)
    globex = two.say(GLOBEX, "month sales", command="/leaderboard", later=True)
    assert "123,000" in acme and "45,600" not in acme
    assert "45,600" in globex and "123,000" not in globex
    acme = two.say(ACME, "2026-11", command="/target", later=True)
    globex = two.say(GLOBEX, "2026-11", command="/target", later=True)
    assert "set by your manager" in acme and "why: new territory" in acme
    assert "set by your manager" not in globex and "new territory" not in globex
    manager = two.say(GLOBEX, "<@U0ALICE> 2026-11", command="/target", user="U0MEI", later=True)
    assert "<@U0ALICE> · 2026年11月" in manager and "new territory" not in manager


def test_a_scheduled_job_reminds_each_workspace_of_its_own_checkins(
        two: Two, clock: FixedClock) -> None:
    fake = two.bot.fake
    fake.clear()
    # 10:00 in Shanghai: Bo checked in in Acme, not in Globex. Globex's Alice (Tokyo, 11:00)
    # has not either; Acme's Alice is still on Tuesday evening in New York.
    result = jobs.run_job(two.bot.deps, "checkin-reminder", now=clock.now())
    assert (result.sent, result.failed) == (2, 0)
    opened = {(c.token, c.args["users"]) for c in fake.find("conversations.open")}
    assert opened == {(two.tokens[GLOBEX], "U0BO"), (two.tokens[GLOBEX], "U0ALICE")}
    assert {c.token for c in fake.find("chat.postMessage")} == {two.tokens[GLOBEX]}


def cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(two: Two, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Two:
    """The operator's shell: the same database and app credentials as the server."""
    for name, value in {"DATABASE_URL": database_url, "SLACK_CLIENT_ID": CLIENT_ID,
                        "SLACK_CLIENT_SECRET": CLIENT_SECRET, "PACER_TOKEN_KEY": TOKEN_KEY,
                        "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": two.bot.fake.api_url,
                        "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}.items():
        monkeypatch.setenv(name, value)
    return two


def exported(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_exports_take_one_workspace_and_say_which_when_unclear(
        env: Two, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = cli(capsys, "export", "logs", "--workspace", ACME)
    assert code == 0 and {r["customer"] for r in exported(out)} == {"Umbrella Ltd"}
    code, out, _ = cli(capsys, "export", "logs", "--team", "East", "--workspace", GLOBEX)
    assert code == 0 and {r["customer"] for r in exported(out)} == {"Hooli Co"}
    code, out, _ = cli(capsys, "export", "leads", "--workspace", GLOBEX)
    assert code == 0 and {r["customer"] for r in exported(out)} == {"Hooli Co", "Pied Piper"}
    code, out, _ = cli(capsys, "export", "checkins", "--workspace", GLOBEX)
    assert code == 0 and exported(out) == []
    code, out, _ = cli(capsys, "export", "checkins", "--workspace", ACME)
    assert [r["user_id"] for r in exported(out)] == ["U0BO"]
    code, out, _ = cli(capsys, "export", "scorecards", "--period", "2026-11", "--workspace",
                       GLOBEX)
    assert code == 0 and {r["team"] for r in exported(out)} == {"East"}

    code, out, err = cli(capsys, "export", "logs", "--team", "East")
    assert (code, out) == (2, "")
    assert "teams named 'East' are in several workspaces (T0ACME, T0GLOBEX)" in err
    assert "--workspace T0ACME" in err
    code, out, err = cli(capsys, "export", "scorecards", "--period", "2026-11")
    assert code == 2 and "several workspaces (T0ACME, T0GLOBEX)" in err and out == ""
    code, _, err = cli(capsys, "export", "logs", "--workspace", "T0NOPE")
    assert code == 2 and "no workspace 'T0NOPE'" in err


def test_cli_team_names_are_taken_in_one_workspace(
        env: Two, capsys: pytest.CaptureFixture, clock: FixedClock) -> None:
    code, out, _ = cli(capsys, "team", "list")
    assert code == 0 and [line.rsplit("\t", 1)[1] for line in out.splitlines()] == [
        f"workspace={ACME}", f"workspace={GLOBEX}"]
    code, _, err = cli(capsys, "rules", "show", "--team", "East")
    assert code == 2 and "add --workspace" in err
    code, _, err = cli(capsys, "team", "create", "West", "--channel", "C1", "--manager", "U1")
    assert code == 2 and "several workspaces" in err
    code, _, err = cli(capsys, "jobs", "run", "checkin-reminder", "--team", "East")
    assert code == 2 and "several workspaces" in err

    env.bot.fake.clear()
    code, out, _ = cli(capsys, "jobs", "run", "checkin-reminder", "--team", "East",
                       "--workspace", GLOBEX, "--at", clock.now().isoformat())
    assert code == 0 and "sent 2" in out
    assert {c.token for c in env.bot.fake.find("chat.postMessage")} == {env.tokens[GLOBEX]}
