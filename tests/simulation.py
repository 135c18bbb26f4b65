"""A sales team's ten weeks, simulated: issue 12's month-simulation world.

East: Shanghai time, China's public holidays (CN), currency CNY, created Monday 7 Sep 2026
08:00; manager U0MEI (Chinese), admin U0HR. Eight reps, half writing in English and half in
Chinese; U0GUS joins on Monday 21 Sep (added by the admin), U0HUI is away the week of 19 Oct
(logs nothing). Each rep's working days are drawn from a seeded random generator: a check-in,
new leads, calls, visits and emails, discovery rounds, needs-analysis reports, demos, objections,
proposals, deals, payments, follow-ups of signed customers and a Friday brief. Calibration
packs are answered and minuted from the buttons the job sent. The manager sets targets late
(October's on 20 Oct, November's on 3 Nov). Everything a person does is a signed HTTP request
to the real app; every message goes to the fake Slack over HTTP.

The jobs: every job of bot/jobs/registry.py runs through `run_job` (the scheduler's own path)
at each step of the timeline. The steps are (a) every due minute the registry exposes: for the
jobs with a schedule, `Job.next_due` for the team and each stored rep zone, followed minute by
minute through each day; and (b) for the jobs that look at everything on every tick
(`every_minute`), a grid of team-local times no more than three hours apart (hourly in the
working day). A job delivers whatever is due by its run and not yet delivered, within a
catch-up window of at least three hours (bot/jobs/outbox.py); a message that fell due and was
not delivered inside its window is recorded as "gave up". The test asserts that no run failed
or gave up and that the ledger holds nothing but sent messages: that is how nothing due is
skipped even though the clock does not stop at every minute.
"""

from __future__ import annotations

import heapq
import json
import os
import random
import re
import time as wall
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.jobs import registry as jobs
from bot.render import calibrate as cal_render
from bot.services.teams import team_infos
from bot.slack.signing import sign, view_submission_body
from store import teams
from tests.calibration_world import buttons
from tests.conftest import SECRET, WORKSPACE, Bot, Reply, make_deps
from tests.fakes import FakeSlack
from tests.simulation_truth import SHANGHAI, STAGE_FOR_KIND, Customer, Log, working

ROOT = Path(__file__).resolve().parents[1]
START = date(2026, 9, 7)  # a Monday
WEEKS = 10
CREATED = datetime(2026, 9, 7, 8, 0, tzinfo=SHANGHAI).astimezone(UTC)
END = datetime(2026, 11, 16, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)  # Oct's month end is done
MANAGER, ADMIN, CHANNEL = "U0MEI", "U0HR", "C0SALES"
REPS = {  # user: (language, zone)
    "U0AMY": ("en", "Asia/Shanghai"), "U0BO": ("zh", "Asia/Shanghai"),
    "U0CARL": ("en", "Asia/Singapore"), "U0DAN": ("zh", "Asia/Shanghai"),
    "U0EVE": ("en", "Asia/Shanghai"), "U0FANG": ("zh", "Asia/Shanghai"),
    "U0GUS": ("en", "Asia/Shanghai"), "U0HUI": ("zh", "Asia/Shanghai"),
}
JOINER, JOINS = "U0GUS", date(2026, 9, 21)
AWAY, AWAY_WEEK = "U0HUI", date(2026, 10, 19)
USERS = {user: {"tz": zone, "locale": "zh-CN" if lang == "zh" else "en-US"}
         for user, (lang, zone) in REPS.items()}
USERS[MANAGER] = {"tz": "Asia/Shanghai", "locale": "zh-CN"}
USERS[ADMIN] = {"tz": "Asia/Shanghai", "locale": "en-US"}
# Team-local times the jobs that tick every minute run at: never more than three hours apart
# (the shortest catch-up window, bot/jobs/outbox.py's CATCH_UP).
GRID = [time(h) for h in (0, 3, 6, 9, 12, 15, 18, 21)]
EVERY_MINUTE = {name for name, job in jobs.JOBS.items() if job.next_due is jobs.every_minute}
# "No objections" (`/log visit Acme no objections`) is new grammar from another part of
# issue 12: the simulation logs such conversations only when this is switched on.
NO_OBJECTIONS = os.environ.get("PACER_SIM_NO_OBJECTIONS", "1") == "1"  # 0: none logged

# How busy the reps are (actions per working day, times each rep's skill): CI's default keeps
# the ten weeks to about two minutes on one core; PACER_SIM_ACTIVITY=1.2 doubles it.
ACTIVITY = float(os.environ.get("PACER_SIM_ACTIVITY", "0.6"))

EN_WORDS = {"call": "call", "visit": "visit", "email": "email", "discovery": "discovery",
            "report": "report", "demo": "demo", "objection": "objection",
            "followup": "followup", "deal": "deal", "payment": "payment"}
ZH_WORDS = {"call": "电话", "visit": "拜访", "email": "邮件", "discovery": "需求挖掘",
            "report": "需求分析报告", "demo": "演示", "objection": "异议",
            "followup": "回访", "deal": "签约", "payment": "回款"}
EN_NAMES = [a + " " + b for a in ("Zorvex", "Quilldon", "Brambly", "Castora", "Delvane",
                                  "Fennick", "Glimmer", "Harrow", "Ivoria", "Jorvik",
                                  "Kestrel", "Lumora", "Marlow", "Norvane", "Ostrel")
            for b in ("Labs", "Works", "Systems", "Freight", "Pharma", "Foods")]
ZH_NAMES = [a + b for a in ("恒泰", "瑞丰", "博雅", "嘉禾", "凯达", "鼎盛", "华宇", "金桥", "远航",
                            "东升", "海润", "宏图", "安信", "正和", "广源")
            for b in ("科技", "实业", "贸易", "电子", "物流", "医药")]


def internal_error_texts() -> list[str]:
    return [tomllib.loads((ROOT / "bot" / "locales" / lang / "common.toml").read_text())
            ["errors"]["internal"] for lang in ("en", "zh")]


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class Rep:
    user: str
    lang: str
    skill: float
    names: list[str]
    customers: list[str] = field(default_factory=list)

    def word(self, kind: str) -> str:
        return (ZH_WORDS if self.lang == "zh" else EN_WORDS)[kind]


@dataclass
class Step:
    at: datetime
    what: str  # "jobs" or a description of the person's action
    do: Callable[[], None] | None = None
    jobs: set[str] = field(default_factory=set)


class Simulation:
    """The world, the seeded people and the driver."""

    def __init__(self, database_url: str, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = FakeSlack(users=USERS, team_id=WORKSPACE).start()
        self.clock = FixedClock(CREATED)
        self.settings, self.deps = make_deps(database_url, self.fake, self.clock)
        with self.deps.sessions() as s:
            teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                              managers=[MANAGER], members=[u for u in REPS if u != JOINER],
                              tz="Asia/Shanghai", currency="CNY", now=CREATED)
            teams.set_holiday_country(s, workspace_id=WORKSPACE, name="East", country="CN")
            teams.set_role(s, workspace_id=WORKSPACE, user_id=ADMIN, role="admin", now=CREATED)
        self.bot = Bot(self.settings, self.deps, self.fake)
        names = {"en": EN_NAMES[:], "zh": ZH_NAMES[:]}
        for pool in names.values():
            self.rng.shuffle(pool)
        self.reps = {}
        for user, (lang, _) in REPS.items():
            take, names[lang] = names[lang][:20], names[lang][20:]
            self.reps[user] = Rep(user, lang, round(self.rng.uniform(0.4, 1.4), 2), take)
        self.logs: list[Log] = []
        self.customers: dict[str, Customer] = {}
        self.replies: list[tuple[str, str, Reply]] = []  # (user, command + text, reply)
        self.problems: list[str] = []  # what a person was told that the script did not expect
        self.results: list[tuple[str, datetime, jobs.RunResult]] = []
        self.targets: dict[str, set[str]] = {}  # month label -> reps with a target
        self.queue: list[tuple[datetime, int, Step]] = []
        self.counter = 0
        self.seen_posts = 0
        self.timings: dict[str, float] = {"jobs": 0.0, "people": 0.0}

    def close(self) -> None:
        self.bot.close()
        self.deps.engine.dispose()
        self.fake.stop()

    # ------------------------------------------------------------------ the timeline
    def add(self, at: datetime, what: str, do: Callable[[], None] | None = None,
            jobs_due: set[str] | None = None) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, Step(at, what, do, jobs_due or set())))

    def run(self) -> None:
        day = START
        while _local(day, time(0)) < END:
            self.plan_day(day)
            while self.queue and self.queue[0][0] < _local(day + timedelta(days=1), time(0)):
                _, _, step = heapq.heappop(self.queue)
                if step.at > END:
                    continue
                self.clock.set(step.at)
                started = wall.perf_counter()
                if step.do is None:
                    self.run_jobs(step.at, step.jobs)
                    self.timings["jobs"] += wall.perf_counter() - started
                    self.react(step.at)
                else:
                    step.do()
                    self.bot.settle()
                    self.timings["people"] += wall.perf_counter() - started
            if os.environ.get("PACER_SIM_TRACE"):
                print(day, {k: round(v, 1) for k, v in self.timings.items()}, len(self.logs),
                      flush=True)
            day += timedelta(days=1)

    def due_minutes(self, day: date) -> dict[datetime, set[str]]:
        """The jobs to run at each minute of `day`: each scheduled job at every minute the
        registry's `next_due` gives for the team and each stored rep zone, and the jobs that
        tick every minute (the registry's `every_minute`, or a `next_due` that answers the
        next minute, as year-end's does in the new year) at the grid's times."""
        start, end = _local(day, time(0)), _local(day + timedelta(days=1), time(0))
        ticking = set(EVERY_MINUTE) | {jobs.calibration.JOB}  # it also works every minute
        found: dict[datetime, set[str]] = {}
        for info in team_infos(self.deps, None):
            zones = {ZoneInfo(info.tz), *info.stored_zones.values()}
            for job in jobs.JOBS.values():
                for tz in zones:
                    at, streak = start - timedelta(minutes=1), 0
                    while (nxt := job.next_due(info, tz, at)) is not None and nxt < end:
                        streak = streak + 1 if nxt - at <= timedelta(minutes=1) else 0
                        if streak >= 2:
                            ticking.add(job.name)
                            break
                        found.setdefault(nxt.replace(second=0, microsecond=0),
                                         set()).add(job.name)
                        at = nxt + timedelta(seconds=59)
        for at in GRID:
            found.setdefault(_local(day, at), set()).update(ticking)
        return found

    def run_jobs(self, now: datetime, names: set[str]) -> None:
        for name in jobs.JOBS:  # in the registry's order
            if name in names:
                started = wall.perf_counter()
                self.results.append((name, now, jobs.run_job(self.deps, name, now=now)))
                self.timings[name] = (self.timings.get(name, 0.0) + wall.perf_counter()
                                      - started)

    def plan_day(self, day: date) -> None:
        for at, names in self.due_minutes(day).items():
            if CREATED <= at <= END:
                self.add(at, "jobs", None, names)
        if day == JOINS:
            self.add(_local(day, time(8, 30)), "the admin adds the new rep",
                     lambda: self.expect(ADMIN, "/pacer", f"team add East <@{JOINER}>",
                                         "Added"))
        if day == date(2026, 10, 20):
            self.add(_local(day, time(11, 0)), "October targets, late",
                     lambda: self.set_targets("2026-10", list(REPS)[:5]))
        if day == date(2026, 11, 3):
            self.add(_local(day, time(11, 0)), "November targets",
                     lambda: self.set_targets("2026-11", list(REPS)))
        if not working(day):
            return
        for rep in self.reps.values():
            if rep.user == JOINER and day < JOINS:
                continue
            if rep.user == AWAY and AWAY_WEEK <= day < AWAY_WEEK + timedelta(days=5):
                continue  # away: logs nothing that week
            self.plan_rep_day(rep, day)

    # ------------------------------------------------------------------ people
    def expect(self, user: str, command: str, text: str, *wanted: str) -> Reply:
        """A signed command; its answer (the ack or what was sent to response_url) must show
        one of `wanted`."""
        before = len(self.fake.find("response_url"))
        reply = self.bot.command(text, user=user, command=command)
        shown = reply.text
        if reply.status == 200 and not reply.body:
            self.bot.settle()
            after = self.fake.find("response_url")
            shown = " ".join(json.dumps(c.args, ensure_ascii=False) for c in after[before:])
        self.replies.append((user, f"{command} {text}", reply))
        if reply.status != 200 or (wanted and not any(w in shown for w in wanted)):
            self.problems.append(f"{self.clock.now():%m-%d %H:%M} {user} {command} {text}: "
                                 f"{reply.status} {shown[:300]}")
        return reply

    def log(self, rep: Rep, kind: str, customer: str | None, *, amount: int = 0,
            new: bool | None = None, extra: str = "") -> None:
        now = self.clock.now()
        words = [rep.word(kind)] + ([customer] if customer else [])
        if amount:
            words.append(f"{amount // 10000}万" if rep.lang == "zh" else f"{amount // 1000}k")
        if new is not None:
            words.append(("新客户" if new else "老客户") if rep.lang == "zh"
                         else ("new" if new else "existing"))
        if extra:
            words.append(extra)
        self.expect(rep.user, "/log", " ".join(words), "Logged", "已记录")
        self.logs.append(Log(rep.user, kind, customer, now, Decimal(amount), new,
                             no_objections=extra in ("no objections", "无异议")))
        if customer:
            found = self.customers.get(customer)
            if found is None:
                found = self.customers[customer] = Customer(customer, rep.user, now,
                                                            [(now, "contacted")])
                rep.customers.append(customer)
            found.move(STAGE_FOR_KIND.get(kind, found.stage), now)

    def lead_add(self, rep: Rep, name: str) -> None:
        now = self.clock.now()
        self.expect(rep.user, "/lead", f"add {name}", "as a new lead", "已添加新线索")
        self.customers[name] = Customer(name, rep.user, now, [(now, "lead")])
        rep.customers.append(name)

    def lead_stage(self, rep: Rep, name: str, stage: str) -> None:
        word = {"proposal": "方案报价"}.get(stage, stage) if rep.lang == "zh" else stage
        self.expect(rep.user, "/lead", f"stage {name} {word}", "proposal", "方案")
        self.customers[name].move(stage, self.clock.now())

    def lead_lost(self, rep: Rep, name: str) -> None:
        reason = "预算取消" if rep.lang == "zh" else "budget cut"
        self.expect(rep.user, "/lead", f"lost {name} {reason}", "lost", "输单")
        self.customers[name].move("lost", self.clock.now())

    def set_targets(self, month: str, users: list[str]) -> None:
        for user in users:
            amount = self.rng.choice((200, 300, 400, 500))
            self.expect(MANAGER, "/target", f"set <@{user}> sales {amount}k {month} 按历史定",
                        "¥")
            self.targets.setdefault(month, set()).add(user)

    def plan_rep_day(self, rep: Rep, day: date) -> None:
        rng, zh = self.rng, rep.lang == "zh"
        if rng.random() < 0.6:
            at = _local(day, time(9, rng.randint(0, 25)))
            plan = ("计划：拜访{v}，{c}个电话 | 昨天：跟进客户 | 困难：无" if zh else
                    "plan: {v} visits, {c} calls | yesterday: follow-ups | blockers: none")
            text = plan.format(v=rng.randint(1, 4), c=rng.randint(2, 6))
            self.add(at, "check-in", lambda: self.expect(rep.user, "/checkin", text,
                                                         "Checked in", "已签到"))
        if day.weekday() == 4 and rng.random() < 0.8:
            text = ("进展：推进方案 | 亮点：新线索 | 卡点：无 | 下周：演示" if zh else
                    "progress: moved deals on | wins: new leads | blockers: none | next: demos")
            self.add(_local(day, time(16, rng.randint(0, 50))), "Friday brief",
                     lambda: self.expect(rep.user, "/brief", text, "Brief saved", "已保存"))
        minutes = sorted(rng.sample(range(9 * 60 + 35, 18 * 60 + 30),
                                    max(1, round(rng.randint(1, 5) * rep.skill * ACTIVITY))))
        for minute in minutes:
            at = _local(day, time(minute // 60, minute % 60))
            self.add(at, f"{rep.user} works", lambda r=rep: self.act(r))

    def act(self, rep: Rep) -> None:
        """One thing a rep does now, chosen from where their customers stand."""
        rng, now = self.rng, self.clock.now()
        stage = {n: self.customers[n].stage for n in rep.customers}
        open_ = [n for n, s in stage.items() if s not in ("won", "lost")]
        won = [n for n, s in stage.items() if s == "won"]
        roll = rng.random()
        if (not open_ or roll < 0.12) and rep.names:
            name = rep.names.pop()
            if rng.random() < 0.5:
                self.lead_add(rep, name)
            else:
                self.log(rep, rng.choice(("visit", "call")), name)
            return
        if won and roll < 0.22:
            name = rng.choice(won)
            month = [x for x in self.logs if x.customer == name and x.kind == "followup"
                     and x.day.month == now.astimezone(SHANGHAI).month]
            if not month and rng.random() < 0.7:
                self.log(rep, "followup", name)
            elif rng.random() < 0.5:
                self.log(rep, "payment", name, amount=rng.choice((50, 80, 120)) * 1000)
            else:
                self.log(rep, "deal", name, amount=rng.choice((50, 100, 150)) * 1000,
                         new=False)
            return
        if not open_:
            return
        name = rng.choice(open_)
        at = stage[name]
        if at in ("lead", "contacted"):
            if at == "contacted" and rng.random() < 0.3 * rep.skill:
                kind = "discovery"
            elif rng.random() < 0.04:
                self.lead_lost(rep, name)
                return
            else:
                kind = rng.choices(("call", "visit", "email"), (4, 4, 2))[0]
        elif at == "discovery":
            kind = rng.choices(("discovery", "report", "demo", "visit", "call"),
                               (3, 2, 2 * rep.skill, 2, 2))[0]
        elif at == "demo":
            if rng.random() < 0.35:
                self.lead_stage(rep, name, "proposal")
                return
            kind = rng.choice(("visit", "call", "demo"))
        else:  # proposal
            if rng.random() < 0.3 + 0.3 * rep.skill:
                self.log(rep, "deal", name, amount=rng.choice((100, 200, 300, 500)) * 1000,
                         new=True)
                return
            kind = rng.choice(("visit", "call"))
        extra = ""
        if kind in ("visit", "call", "demo", "discovery"):
            if NO_OBJECTIONS and rng.random() < 0.4:
                extra = "无异议" if rep.lang == "zh" else "no objections"
            elif rng.random() < 0.45:
                self.log(rep, kind, name)
                kind = "objection"
        self.log(rep, kind, name, extra=extra)
        if kind == "visit" and rng.random() < 0.35 * rep.skill:  # a day out visiting
            for other in rng.sample(open_, min(2, len(open_))):
                self.log(rep, "visit", other)

    # ------------------------------------------------------------------ reacting to DMs
    def react(self, now: datetime) -> None:
        """Reps answer their calibration packs; the manager records the minutes."""
        posts = [c for c in self.fake.find("chat.postMessage") if c.status == 200]
        new, self.seen_posts = posts[self.seen_posts:], len(posts)
        for call in new:
            channel, blocks = call.args["channel"], call.args.get("blocks") or []
            user = channel[1:]
            for ref in buttons(blocks, cal_render.ANSWER_ACTION):
                if user in REPS and self.rng.random() < 0.8:
                    self.add(now + timedelta(hours=2), "calibration answers",
                             lambda u=user, r=ref: self.answer(u, r))
            for ref in buttons(blocks, cal_render.MINUTES_ACTION):
                if user == MANAGER and self.rng.random() < 0.8:
                    self.add(now + timedelta(hours=1, minutes=30), "minutes",
                             lambda r=ref: self.minutes(r))

    def _form(self, user: str, action: str, ref: str) -> dict | None:
        before = len(self.fake.find("views.open"))
        if self.bot.click(action, ref, user=user).status != 200:
            self.problems.append(f"{user} {action} {ref}: click refused")
            return None
        self.bot.settle()
        opened = self.fake.find("views.open")[before:]
        if not opened:
            self.problems.append(f"{user} {action} {ref}: no form opened")
            return None
        view = opened[-1].args["view"]
        view = json.loads(view) if isinstance(view, str) else view
        return view if view.get("callback_id") else None  # a notice: answered or held already

    def _submit(self, user: str, view: dict, answers: dict[str, str]) -> None:
        body = view_submission_body(view, answers, user_id=user, team_id=WORKSPACE)
        reply = self.bot.post(body, sign(SECRET, body))
        parsed = reply.body if isinstance(reply.body, dict) else {}
        self.replies.append((user, f"submit {view.get('callback_id')}", reply))
        if reply.status != 200 or parsed.get("response_action") == "errors":
            self.problems.append(f"{user} {view.get('callback_id')}: {reply.status} {parsed}")

    def answer(self, user: str, ref: str) -> None:
        view = self._form(user, cal_render.ANSWER_ACTION, ref)
        if view is not None:
            zh = REPS[user][0] == "zh"
            self._submit(user, view, {
                "progress": "三家客户推进到方案" if zh else "Three customers moved to proposal",
                "blockers": "法务审核慢" if zh else "Legal review is slow",
                "support": "一起拜访大客户" if zh else "A joint visit to a key account",
                "next_actions": "下周两场演示" if zh else "Two demos next week"})

    def minutes(self, ref: str) -> None:
        view = self._form(MANAGER, cal_render.MINUTES_ACTION, ref)
        if view is None:
            return
        today = self.clock.now().astimezone(SHANGHAI).date()
        due = today + timedelta(days=7)
        while not working(due):
            due += timedelta(days=1)
        self._submit(MANAGER, view, {
            "notes": "进展稳定，重点客户在方案阶段。", "controllable": "需求挖掘不够深入",
            "uncontrollable": "客户预算冻结", "a1_text": "完成两家客户的决策链图",
            "a1_due": due.isoformat(), "a1_measure": "两张决策链图一起复盘"})

    # ------------------------------------------------------------------ findings
    def internal_errors(self) -> list[str]:
        """Everything a person was shown that holds the internal-error apology."""
        texts = internal_error_texts()
        found = [f"{user} {cmd}" for user, cmd, reply in self.replies
                 if any(t in reply.text for t in texts)]
        for call in self.fake.calls:
            shown = json.dumps(call.args, ensure_ascii=False)
            if any(t in shown for t in texts):
                found.append(f"{call.method} {shown[:200]}")
        return found

    def scheduled_posts(self) -> dict[str, int]:
        """How many times Slack accepted a message naming each ledger key."""
        counts: dict[str, int] = {}
        for call in self.fake.find("chat.postMessage"):
            meta = call.args.get("metadata")
            meta = json.loads(meta) if isinstance(meta, str) else meta
            if call.status == 200 and meta and "key" in (meta.get("event_payload") or {}):
                key = meta["event_payload"]["key"]
                counts[key] = counts.get(key, 0) + 1
        return counts


BONUS = re.compile(r"(monthly bonus|bonus|奖金系数) ×")
