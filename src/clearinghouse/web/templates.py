"""The Jinja2 environment: autoescaped HTML, gettext in the viewer's language, and the
filters every page uses to show instants, deadlines, durations, TLP labels and a regime
file's texts.

Templates never decide access: a page's route loads what the policy allows and hands the
template plain values. Translations are per request (passed in the render context), so
one environment serves every language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from clearinghouse.clocks.messages import translated
from clearinghouse.timeutil import parse_instant
from clearinghouse.web import display
from clearinghouse.web.assets import Assets
from clearinghouse.web.viewer import Viewer

# TLP 2.0 labels as FIRST specifies them (the CSS colours each on black).
TLP_CLASSES: Final = {
    "CLEAR": "tlp-clear",
    "GREEN": "tlp-green",
    "AMBER": "tlp-amber",
    "AMBER+STRICT": "tlp-amber",
    "RED": "tlp-red",
}


def _viewer(context: Context) -> Viewer:
    viewer = context["viewer"]
    if not isinstance(viewer, Viewer):
        raise TypeError("pages are rendered with a viewer")
    return viewer


@pass_context
def _instant(context: Context, value: datetime | None) -> Markup:
    v = _viewer(context)
    return display.instant(value, v.zone, v.locale)


@pass_context
def _deadline(context: Context, value: datetime | None) -> Markup:
    v = _viewer(context)
    return display.deadline(value, v.zone, v.locale)


@pass_context
def _duration(context: Context, value: timedelta) -> str:
    return display.duration(value, _viewer(context).locale)


@pass_context
def _number(context: Context, value: float) -> str:
    return display.number(value, _viewer(context).locale)


@pass_context
def _size(context: Context, value: int) -> str:
    return display.size(value, _viewer(context).locale)


@pass_context
def _regime_text(context: Context, value: str | None) -> str:
    """A regime file's text (a title, a stage's name or note, a recipient, a flag's
    explanation, a field's label) in the viewer's language; as written where the catalogue
    does not hold it (clocks/messages.py). Escaped like any value."""
    return translated(_viewer(context).translations.gettext, value or "")


def _tlp(label: object) -> Markup:
    """``TLP:AMBER`` as a label: the text always, coloured as FIRST specifies."""
    text = str(getattr(label, "value", label)).upper().removeprefix("TLP:")
    css = TLP_CLASSES.get(text, "tlp-none")
    return Markup('<span class="tlp {0}" data-tlp="{1}">TLP:{1}</span>').format(css, text)


def _newstyle(
    translate: Callable[[str], str],
) -> Callable[..., str]:
    """gettext as the i18n extension calls it in newstyle mode: it translates, then
    formats with escaped values (``{% trans name=x %}`` and ``_("%(n)s", n=x)``)."""

    @pass_context
    def gettext(context: Context, message: str, **values: Any) -> str:
        text = translate(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (our own catalogue; the values are escaped by %)
        return text % values if values else text

    return gettext


def _newstyle_plural(
    translate: Callable[[str, str, int], str],
) -> Callable[..., str]:
    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **values: Any) -> str:
        values.setdefault("num", n)
        text = translate(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (our own catalogue; the values are escaped by %)
        return text % values

    return ngettext


def i18n_callables(viewer: Viewer) -> dict[str, Any]:
    """What the templates' ``{% trans %}`` and ``_()`` call, in the viewer's language."""
    gettext = _newstyle(viewer.translations.gettext)
    return {
        "gettext": gettext,
        "_": gettext,
        "ngettext": _newstyle_plural(viewer.translations.ngettext),
    }


def environment(assets: Assets, platform_name: str) -> Environment:
    env = Environment(
        loader=PackageLoader("clearinghouse.web", "templates"),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them
    env.globals["asset"] = assets.url
    env.globals["platform_name"] = platform_name
    env.filters["instant"] = _instant
    env.filters["deadline"] = _deadline
    env.filters["duration"] = _duration
    env.filters["number"] = _number
    env.filters["size"] = _size
    env.filters["tlp"] = _tlp
    env.filters["regime_text"] = _regime_text
    env.filters["machine"] = display.machine
    env.filters["parse_instant"] = parse_instant
    return env
