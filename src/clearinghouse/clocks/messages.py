"""A regime's words as catalogue messages: what a person reads of a regime file, how
``make messages`` extracts it, and how a reader's catalogue gives it back.

Regime files are written in English, and that English is what the API and the JSON
documents keep. The pages and notices show the same texts in the reader's language: each
text is a gettext message whose id is the English as written. :func:`extract` is the
Babel extraction method ``babel.cfg`` names for ``clocks/regimes/*.yaml``;
:func:`translated` looks a text up in a reader's catalogue, and a text the catalogue does
not hold (an operator's own regime, a text edited since the catalogue was made) stays as
written. Pure: the standard library, PyYAML and the clocks' schema.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import yaml

from clearinghouse.clocks.loader import parse_regime
from clearinghouse.clocks.schema import Regime


@dataclass(frozen=True, slots=True)
class RegimeText:
    """One text of a regime a person reads, and where it is (``stages[report].name``)."""

    field: str
    text: str


def regime_texts(regime: Regime) -> list[RegimeText]:
    """Every human-readable text of ``regime``, field by field (ids, codes, URLs, calendar
    and zone names are not texts). Its flags are those obligations carry, so a proposed
    regime's PROPOSED explanation is among them."""
    found: list[RegimeText] = [RegimeText("title", regime.title)]
    found += [RegimeText(f"flags[{f.id}].explanation", f.explanation) for f in regime.flag_notes()]
    for i, source in enumerate(regime.sources):
        found += [RegimeText(f"sources[{i}].citation", source.citation)]
        found += [RegimeText(f"sources[{i}].note", source.note)]
    for scheme in regime.classifications:
        at = f"classifications[{scheme.scheme}]"
        found += [RegimeText(f"{at}.title", scheme.title)]
        found += [RegimeText(f"{at}.levels[{lv.id}].label", lv.label) for lv in scheme.levels]
    for rule in regime.displaces:
        found += [RegimeText(f"displaces[{rule.regime}].citation", rule.citation)]
        found += [RegimeText(f"displaces[{rule.regime}].note", rule.note)]
    for stage in regime.stages:
        at = f"stages[{stage.id}]"
        found += [RegimeText(f"{at}.name", stage.name), RegimeText(f"{at}.note", stage.note)]
        found += [RegimeText(f"{at}.default_note", stage.default_note)]
        found += [RegimeText(f"{at}.recipients", r) for r in stage.recipients]
        for i, variant in enumerate(stage.recipients_by_role):
            found += [RegimeText(f"{at}.recipients_by_role[{i}]", r) for r in variant.recipients]
        found += [
            RegimeText(f"{at}.duration_by_role[{i}].note", variant.note)
            for i, variant in enumerate(stage.duration_by_role)
        ]
        for item in stage.content:
            found += [RegimeText(f"{at}.content[{item.id}].label", item.label)]
            found += [RegimeText(f"{at}.content[{item.id}].help", item.help)]
    for restriction in regime.sharing_restrictions:
        at = f"sharing_restrictions[{restriction.id}]"
        found += [RegimeText(f"{at}.citation", restriction.citation)]
        found += [RegimeText(f"{at}.message", restriction.message)]
    found.append(RegimeText("notes", regime.notes))
    return [t for t in found if t.text]


def translated(gettext: Callable[[str], str], text: str) -> str:
    """``text`` through a catalogue's ``gettext``; an empty text stays empty (gettext
    would answer it with the catalogue's header)."""
    return gettext(text) if text else text


def _lines(node: yaml.Node, into: dict[str, int], seen: set[int]) -> None:
    """The first line of every scalar under ``node`` (an alias is the node it names)."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        into.setdefault(str(node.value).strip(), node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _lines(item, into, seen)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _lines(key, into, seen)
            _lines(value, into, seen)


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel's extraction method for a regime file: each text of :func:`regime_texts`,
    on the line it starts, with a comment naming the regime and the field. The file is
    validated as the loader validates it, so a broken regime fails the extraction."""
    source = fileobj.read().decode(str(options.get("encoding") or "utf-8"))
    name = str(getattr(fileobj, "name", "regime file"))
    regime = parse_regime(yaml.safe_load(source), name)
    lines: dict[str, int] = {}
    node = yaml.compose(source, Loader=yaml.SafeLoader)
    if node is not None:
        _lines(node, lines, set())
    for item in regime_texts(regime):
        comment = f"regime {regime.id}: {item.field}"
        yield lines.get(item.text, 1), None, item.text, [comment]
