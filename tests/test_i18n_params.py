"""A catalogue text's parameters never collide with the parameters of the function that
renders it (issue 12 item 1: `cal.idle_lead` named one `key`, and every data pack with a lead
idle over 48 hours crashed with "t() got multiple values for argument 'key'")."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from jinja2 import meta

from bot.errors import Refused, Usage
from bot.i18n import LANGS, _environment, catalogue, t
from bot.render import review as review_render

ROOT = Path(__file__).resolve().parents[1]
# The functions that take a catalogue key and hand the rest of their keyword arguments to the
# template as its parameters.
FORWARDERS = {"t": t, "Usage": Usage.__init__, "usage_blocks": review_render.usage_blocks}
# What t() itself passes to every template besides the caller's parameters.
RENDER_OWN = "_lang"


def _placeholders() -> dict[str, set[str]]:
    """Every variable any catalogue text reads -> the keys that read it."""
    env, found = _environment(), {}
    for lang in LANGS:
        for key, source in catalogue(lang).items():
            for name in meta.find_undeclared_variables(env.parse(source)):
                found.setdefault(name, set()).add(key)
    return found


def _named(fn) -> set[str]:  # noqa: ANN001
    """The parameters of fn a caller can pass by name (so a template's one of that name
    could not be passed through **params)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in inspect.signature(fn).parameters.values() if p.kind in kinds}


def test_no_catalogue_parameter_is_named_like_a_parameter_of_what_renders_it() -> None:
    placeholders = _placeholders()
    # Usage's `example` is a keyword it passes on to the template itself.
    reserved = {name: _named(fn) - {"example"} for name, fn in FORWARDERS.items()}
    clashes = {(fn, name): sorted(placeholders[name])
               for fn, names in reserved.items() for name in names if name in placeholders}
    assert clashes == {}
    assert sorted(placeholders.get(RENDER_OWN, ())) == []


def test_the_scan_sees_a_clash() -> None:
    """The check above can fail: a function whose key is not positional-only is caught."""
    def old_t(lang: str, key: str, **params: object) -> str:
        return ""

    assert _named(old_t) == {"lang", "key"} and _named(t) == set()


def test_key_and_lang_are_ordinary_parameters_to_every_forwarder() -> None:
    assert t("en", "cal.idle_lead", name="Globex", hours=50, is_key=True, key=1,
             lang="zh") == "Globex (key) 50 working h"
    error = Usage("review.cmd.unknown", word="x", key="k", lang="l")
    assert error.key == "review.cmd.unknown" and error.params["key"] == "k"
    assert Refused("perm.need_manager", key="k").params == {"key": "k"}
    assert "x" in review_render.usage_blocks("en", "review.cmd.unknown", word="x",
                                             key="k")["text"]


def test_no_call_passes_what_t_passes_itself() -> None:
    """A keyword `_lang` to t() would collide with the language t() gives every template."""
    calls = []
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and any(k.arg == RENDER_OWN for k in node.keywords):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in FORWARDERS or name == "Refused":
                    calls.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls == []
