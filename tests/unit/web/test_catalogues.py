"""The Chinese catalogue is complete, current and safe to format: a message the pages
show that is untranslated, fuzzy, missing from the catalogue, or whose placeholders the
translation drops fails here (make messages, then translate; docs/web.md). The shipped
regime files' texts are messages too, extracted from the YAML (clocks/messages.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from clearinghouse.clocks import load_regimes
from clearinghouse.clocks.messages import regime_texts
from clearinghouse.reading import DOMAIN
from clearinghouse.vocab import Language
from clearinghouse.web.i18n import LOCALE_DIR, Catalogues, babel_id, untranslated

REPO = Path(__file__).resolve().parents[3]
ZH = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / f"{DOMAIN}.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _ids(path: Path) -> set[str]:
    with path.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def test_every_chinese_message_is_translated_and_none_is_fuzzy() -> None:
    assert untranslated(ZH) == []


def test_an_untranslated_or_fuzzy_message_is_reported(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Sign in"\nmsgstr ""\n\n#, fuzzy\nmsgid "Settings"\nmsgstr "设置"\n\n'
        'msgid "Save"\nmsgstr "保存"\n',
        encoding="utf-8",
    )
    assert untranslated(po) == ["Sign in", "Settings"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every message of the sources, extracted afresh as ``make messages`` does."""
    pot = tmp_path_factory.mktemp("extracted") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return _ids(pot)


def test_the_catalogue_holds_every_message_of_the_sources(extracted: set[str]) -> None:
    """Nothing the pages, the notices or the regime files say is missing."""
    assert len(extracted) > 100
    assert sorted(extracted - _ids(ZH)) == []


def test_every_text_of_the_shipped_regimes_is_extracted_and_translated(
    extracted: set[str],
) -> None:
    """A regime's title, stages' names and notes, recipients, labels... are messages
    (babel.cfg extracts the YAML), each with its Chinese."""
    texts = {t.text for regime in load_regimes().values() for t in regime_texts(regime)}
    assert len(texts) > 200
    assert sorted(texts - extracted) == []
    chinese = Catalogues.load().translations[Language.ZH_HANS]
    untranslated = sorted(t for t in texts if chinese.gettext(t) == t and t != "CISA")
    assert untranslated == []


def test_translations_keep_every_placeholder() -> None:
    with ZH.open("rb") as handle:
        for message in read_po(handle):
            if not message.id or not isinstance(message.string, str):
                continue
            wanted = set(PLACEHOLDER.findall(str(message.id)))
            assert set(PLACEHOLDER.findall(message.string)) == wanted, message.id


@pytest.mark.parametrize("language", list(Language))
def test_each_language_loads(language: Language) -> None:
    catalogues = Catalogues.load()
    translated = catalogues.translations[language].gettext("Report a vulnerability")
    assert translated == ("报告漏洞" if language is Language.ZH_HANS else "Report a vulnerability")
    assert str(catalogues.locales[language]) == babel_id(language)
