"""The layout's rules, read from the code's own imports (ast: nothing is imported or run).

Imports flow one way: handlers -> services/jobs -> store; scoring, calendar and grammar are
pure; store/ is the only place with SQL; Slack's wire format stays in bot/slack/, handlers/,
render/ and the jobs. Every import counts, lazy ones inside functions too. Each failure lists
the offending modules with file:line, so the message alone says what to move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCORING = ROOT / "bot" / "scoring"
FORBIDDEN = ("slack_sdk", "slack_bolt", "sqlalchemy", "sqlmodel", "store", "handlers",
             "bot.app", "bot.deps", "bot.slack.users", "bot.clock", "requests", "urllib")


def test_scoring_imports_nothing_impure() -> None:
    files = list(SCORING.glob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
            if isinstance(node, ast.Attribute) and node.attr in ("now", "today", "utcnow"):
                raise AssertionError(f"{path.name} reads the clock")


# ----------------------------------------------------------------- reading the imports

PACKAGES = ("bot", "handlers", "store")
MIGRATIONS = ROOT / "store" / "migrations"  # Alembic's scripts: history, not the layout
MAX_LINES = 500
MAX_BOT_MODULES = 12  # bot/*.py besides __init__ and __main__: the rest lives in sub-packages


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "handlers.log"
    target: str  # what it imports: one of our modules, or an outside name ("sqlmodel")
    names: tuple[str, ...]  # `from target import these` (empty for `import target`)
    line: int
    lazy: bool  # inside a function (runs when called, still an arrow)

    def where(self) -> str:
        return f"{_path(self.source)}:{self.line}" + (" (lazy)" if self.lazy else "")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of bot/, handlers/ and store/ (migrations aside), by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if MIGRATIONS not in path.parents:
                found[_module_name(path)] = path
    return found


def _path(module: str) -> str:
    return modules()[module].relative_to(ROOT).as_posix()


def _package(module: str) -> str:
    is_package = modules()[module].name == "__init__.py"
    return module if is_package else module.rpartition(".")[0]


def _walk(node: ast.AST, lazy: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, lazy
        inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner)


@cache
def tree(module: str) -> ast.Module:
    return ast.parse(modules()[module].read_text())


@cache
def imports(module: str) -> tuple[Import, ...]:
    """What one module imports; `from a import b` names the module a.b when there is one."""
    ours = modules()
    found = []
    for node, lazy in _walk(tree(module)):
        if isinstance(node, ast.Import):
            found += [Import(module, a.name, (), node.lineno, lazy) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package(module).split(".")
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            plain = tuple(a.name for a in node.names if f"{base}.{a.name}" not in ours)
            found += [Import(module, f"{base}.{a.name}", (), node.lineno, lazy)
                      for a in node.names if f"{base}.{a.name}" in ours]
            if plain:
                found.append(Import(module, base, plain, node.lineno, lazy))
    return tuple(found)


def all_imports() -> Iterator[Import]:
    for module in modules():
        yield from imports(module)


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _report(title: str, lines: list[str]) -> str:
    return f"{title}:\n  " + "\n  ".join(sorted(set(lines)))


# ----------------------------------------------------------------- (a) no import cycle

def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), or a module
    that imports itself: each one is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the module count
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    ours = modules()
    edges: dict[str, set[str]] = {}
    for imp in all_imports():
        if imp.target in ours:
            edges.setdefault(imp.source, set()).add(imp.target)
    problems = []
    for component in cycles(edges):
        members = set(component)
        arrows = [f"{imp.source} -> {imp.target}   {imp.where()}" for m in component
                  for imp in imports(m) if imp.target in members]
        problems.append(f"a cycle of {len(component)} modules: {', '.join(component)}\n    "
                        + "\n    ".join(sorted(set(arrows))))
    assert not problems, "import cycles (break each at one of these arrows):\n  " + \
        "\n  ".join(problems)


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"b"}}) == []


# ----------------------------------------------------------------- (b) store looks down only

# Plain data the store may read and return: dataclasses with no behaviour worth the name; and
# bot.calendar.zones, pure standard-library maths on time zones its SQL needs (one copy).
STORE_MAY_IMPORT = ("bot.scoring.facts", "bot.grammar.kinds", "bot.calendar.zones")


def test_store_imports_nothing_from_bot_or_handlers_but_plain_data() -> None:
    bad = [f"{imp.where()}: {imp.target}" for imp in all_imports()
           if _under(imp.source, "store") and _under(imp.target, "bot", "handlers")
           and not _under(imp.target, *STORE_MAY_IMPORT)]
    assert not bad, _report("store/ imports upwards (only " + ", ".join(STORE_MAY_IMPORT)
                            + " are plain data it may use)", bad)


# ----------------------------------------------------------------- (c) SQL only in store/

SQL_LIBRARIES = ("sqlmodel", "sqlalchemy")
TYPE_ONLY = {"Session", "Engine"}  # for type hints and the session factory: no SQL in them
SESSION_SQL = {"get", "add", "add_all", "exec", "execute", "delete", "merge", "scalar",
               "scalars", "query", "flush", "refresh"}


def _session_calls(code: ast.AST) -> Iterator[tuple[int, str]]:
    """`session.exec(...)`, `self.session.get(...)`: SQL through a session object."""
    for node, _ in _walk(code):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SESSION_SQL):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else (
            owner.attr if isinstance(owner, ast.Attribute) else "")
        if "session" in name.lower() and not name.lower().endswith("sessions"):
            yield node.lineno, f"{name}.{node.func.attr}()"


def test_no_sql_outside_store() -> None:
    bad = []
    for module in modules():
        if _under(module, "store"):
            continue
        for imp in imports(module):
            if _under(imp.target, *SQL_LIBRARIES) and (not imp.names
                                                       or set(imp.names) - TYPE_ONLY):
                what = ", ".join(sorted(set(imp.names) - TYPE_ONLY)) or "the module"
                bad.append(f"{imp.where()}: imports {what} from {imp.target}")
        bad += [f"{_path(module)}:{line}: {call}" for line, call in _session_calls(tree(module))]
    assert not bad, _report("SQL outside store/ (give store/ a function for it)", bad)


# ----------------------------------------------------------------- (d) handlers stand alone

# Helpers every handler may share (forms, access checks, the listener table's helper).
SHARED_HANDLER_MODULES = ("handlers.forms", "handlers.access", "handlers.registry")
COMPOSITION_ROOT = "bot.app"  # builds the app: the one module below handlers that wires them


def test_handlers_import_no_other_handler() -> None:
    bad = [f"{imp.where()}: {imp.target}" for imp in all_imports()
           if _under(imp.source, "handlers") and imp.source != "handlers"
           and _under(imp.target, "handlers") and imp.target != imp.source
           and imp.target not in SHARED_HANDLER_MODULES]
    assert not bad, _report("handlers reaching into other handlers (move what they share "
                            "into " + ", ".join(SHARED_HANDLER_MODULES) + ")", bad)


def test_nothing_below_handlers_imports_them() -> None:
    bad = [f"{imp.where()}: {imp.target}" for imp in all_imports()
           if not _under(imp.source, "handlers", COMPOSITION_ROOT)
           and _under(imp.target, "handlers")]
    assert not bad, _report("imports up into handlers/ (only bot/app.py wires them)", bad)


# ----------------------------------------------------------------- (e) jobs: one table

JOB_TABLE = "bot.jobs.registry"


def _module_level(node: ast.AST) -> Iterator[ast.AST]:
    """What runs when a module is imported: everything outside function bodies (class
    bodies and decorators run too)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # A bare `@register` runs as a call too.
            for decorator in child.decorator_list:
                yield decorator if isinstance(decorator, ast.Call) else ast.Call(
                    decorator, [], [], lineno=decorator.lineno, col_offset=0)
            if not isinstance(child, ast.ClassDef):
                yield from child.args.defaults
                continue
            yield from _module_level(child)
        elif not isinstance(child, ast.Lambda):
            yield from _module_level(child)


def _called(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else node
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _registrations(code: ast.AST) -> Iterator[tuple[int, str]]:
    for node in _module_level(code):
        if isinstance(node, ast.Call) and _called(node) == "register":
            yield node.lineno, ast.unparse(node)[:60]


def test_no_job_is_registered_by_importing_a_module() -> None:
    bad = []
    for module in modules():
        if module == JOB_TABLE:
            continue
        bad += [f"{_path(module)}:{line}: {call} runs on import"
                for line, call in _registrations(tree(module))]
    assert not bad, _report(f"jobs registered as a side effect of an import (list them in "
                            f"{_path(JOB_TABLE)}'s table instead)", bad)


# ----------------------------------------------------------------- (f) Slack stays at the edge

SLACK_LIBRARIES = ("slack_sdk", "slack_bolt")
SLACK_FREE = ("bot.services", "bot.scoring", "store", "bot.calendar", "bot.grammar")
# slack_sdk's own SQLAlchemy installation store, tokens sealed: the OAuth install's tables
# are slack_sdk's definitions (SQL, so in store/), and no Block Kit or payload passes here.
SLACK_IN_STORE = ("store.installations",)


def test_slack_wire_format_stays_out_of_the_core() -> None:
    bad = [f"{imp.where()}: {imp.target}" for imp in all_imports()
           if _under(imp.source, *SLACK_FREE) and imp.source not in SLACK_IN_STORE
           and _under(imp.target, *SLACK_LIBRARIES)]
    assert not bad, _report("Slack libraries outside bot/slack, handlers, render and jobs "
                            "(pass plain data in and out instead)", bad)


# ----------------------------------------------------------------- (g) pure calendar, grammar

PURE = ("bot.calendar", "bot.grammar")
IMPURE = ("store", "sqlmodel", "sqlalchemy", "handlers", "bot.deps", "bot.clock", "bot.slack",
          "bot.services", "bot.jobs", "bot.app", *SLACK_LIBRARIES)
# datetime.now(), date.today(), time.time(), clock.now(): "now" is an argument here.
CLOCK_READS = {"datetime": {"now", "utcnow", "today"}, "date": {"today"},
               "time": {"time", "monotonic"}, "clock": {"now", "today"}}


def _clock_read(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = _called(node.func.value) if isinstance(node.func.value, ast.Call) else (
        ast.unparse(node.func.value).rpartition(".")[2].lower())
    owner = "clock" if owner.endswith("clock") else owner
    return node.func.attr in CLOCK_READS.get(owner, ())


def test_calendar_and_grammar_are_pure() -> None:
    bad = [f"{imp.where()}: imports {imp.target}" for imp in all_imports()
           if _under(imp.source, *PURE) and _under(imp.target, *IMPURE)]
    for module in modules():
        if not _under(module, *PURE):
            continue
        for node, _ in _walk(tree(module)):
            if _clock_read(node):
                bad.append(f"{_path(module)}:{node.lineno}: reads the clock "
                           f"({ast.unparse(node.func)}()): take `now` as an argument")
    assert not bad, _report("bot/calendar and bot/grammar must stay pure", bad)


# ----------------------------------------------------------------- (h), (i) sizes

def test_bot_has_few_top_level_modules() -> None:
    top = sorted(p.name for p in (ROOT / "bot").glob("*.py")
                 if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= MAX_BOT_MODULES, (
        f"bot/ has {len(top)} top-level modules (at most {MAX_BOT_MODULES}): "
        f"{', '.join(top)}; give related ones a sub-package")


def test_no_module_is_over_500_lines() -> None:
    long = [f"{_path(m)}: {n} lines" for m, p in modules().items()
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, _report(f"modules over {MAX_LINES} lines (split along a clear line)",
                             long)


def test_the_detectors_catch_what_they_should() -> None:
    code = ast.parse("""
jobs.register(Job("home"))
@register
def job(session, deps):
    session.exec(select(Team))
    deps.sessions()
    with deps.sessions() as s:
        self.session.get(Team, 1)
class Jobs:
    register(x)
def later():
    register(y)
    datetime.now(UTC), date.today(), time.time(), self.clock.now(), now_local.time()
""")
    assert [line for line, _ in _registrations(code)] == [2, 3, 10]
    assert [call for _, call in _session_calls(code)] == ["session.exec()", "session.get()"]
    assert [ast.unparse(n.func) for n, _ in _walk(code) if _clock_read(n)] == [
        "datetime.now", "date.today", "time.time", "self.clock.now"]
