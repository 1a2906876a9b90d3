"""The catalogs: complete in both languages, and the Chinese one carries the official texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from service.annexes.catalog import official_texts

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "N_": None}


def _catalog(locale: str):
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def used_messages() -> set[str]:
    """Every message the code, the templates and the declarations use, extracted afresh."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_catalog_has_every_message(used_messages: set[str], locale: str) -> None:
    catalog = _catalog(locale)
    missing = sorted(m for m in used_messages
                     if not (catalog.get(m) and catalog.get(m).string
                             and not catalog.get(m).fuzzy))
    assert missing == [], f"{locale} lacks {len(missing)} messages: {missing[:10]}"


def test_official_texts_are_extracted(used_messages: set[str]) -> None:
    assert set(official_texts()) <= used_messages


def test_chinese_catalog_carries_the_official_texts_unchanged() -> None:
    catalog = _catalog("zh_Hans_CN")
    for text in official_texts():
        assert catalog.get(text).string == text


def test_english_catalog_translates_every_official_text() -> None:
    catalog = _catalog("en")
    for text in official_texts():
        english = catalog.get(text).string
        assert english and english != text, text
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), (text, english)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pages_follow_the_chosen_language(app, client, make_user) -> None:
    from tests.conftest import login

    login(client, make_user("chen", "worker"))
    english = _catalog("en").get("初次接触日期").string
    client.get("/cases?lang=en")
    token = client.get("/cases").get_data(as_text=True).split('name="csrf-token" content="')[1]
    page = client.post("/cases/new", data={"csrf_token": token.split('"')[0]},
                       follow_redirects=True).get_data(as_text=True)
    assert english in page and "初次接触日期" not in page
    page = client.get("/cases?lang=zh_Hans_CN", follow_redirects=True).get_data(as_text=True)
    assert "初次接触日期" not in page  # the list, in Chinese again
    assert 'lang="zh-Hans"' in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_form_script_takes_every_text_from_the_catalogs(app) -> None:
    """forms.js holds no text of either language: each t("key") it shows is one of the texts
    the page renders from the catalogs, and each of those is translated in both."""
    import re

    from flask_babel import force_locale

    from service.web.look import form_texts

    script = (ROOT / "static" / "js" / "forms.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.S)  # comments may name a cell
    assert not re.search(r"[\u4e00-\u9fff]", code)
    assert not re.search(r"\"(Draft saved|Saving|Offline)", code)
    used = set(re.findall(r"\bt\(\"(\w+)\"\)", script))
    with app.test_request_context():
        with force_locale("en"):
            english = form_texts()
        with force_locale("zh_Hans_CN"):
            chinese = form_texts()
    assert used and used <= set(english), used - set(english)
    for key in english:
        assert english[key] and not re.search(r"[\u4e00-\u9fff]", english[key]), key
        assert chinese[key] != english[key] and re.search(r"[\u4e00-\u9fff]", chinese[key]), key


def _service_trees():
    import ast

    for path in sorted((ROOT / "service").rglob("*.py")):
        yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))


def test_no_error_text_is_translated_as_it_runs() -> None:
    """An error is shown through ``message_of``: ``_(str(error))`` or ``_(f"...")`` would look
    up text no catalog holds, and the Chinese pages would show English."""
    import ast

    gettext_names = {"_", "gettext", "lazy_gettext", "_l", "ngettext", "N_"}
    found = []
    for path, tree in _service_trees():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in gettext_names and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.JoinedStr) or (
                    isinstance(first, ast.Call) and isinstance(first.func, ast.Name)
                    and first.func.id in ("str", "repr", "format")):
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def _message_errors() -> dict[str, type]:
    """Every MessageError subclass the service defines, by name."""
    import importlib
    import pkgutil

    import service
    from service.i18n import MessageError

    for module in pkgutil.walk_packages(service.__path__, "service."):
        importlib.import_module(module.name)
    found: dict[str, type] = {}
    todo = [MessageError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def test_every_message_raised_for_people_has_its_chinese_text() -> None:
    """Each error told to a person is raised with an ``N_`` catalog id whose placeholders are
    the values given, and the Chinese catalog translates it (placeholders kept)."""
    import ast
    import re

    errors = _message_errors()
    assert {"ArchiveError", "HandoverError", "UserError"} <= set(errors)
    catalog = _catalog("zh_Hans_CN")
    checked, wrong = 0, []
    from service.i18n import MessageError

    # the message is given where the error is raised, or in its own __init__
    own_init = {n for n, cls in errors.items() if cls.__init__ is not MessageError.__init__}
    for path, tree in _service_trees():
        for node in ast.walk(tree):
            call = node.exc if isinstance(node, ast.Raise) else None
            func = call.func if isinstance(call, ast.Call) else None
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if isinstance(node, ast.ClassDef) and node.name in own_init:
                call = next(c for c in ast.walk(node) if isinstance(c, ast.Call)
                            and isinstance(c.func, ast.Attribute) and c.func.attr == "__init__")
            elif name not in errors or name in own_init:
                continue
            where = f"{path}:{node.lineno}"
            args = call.args
            if not (args and isinstance(args[0], ast.Call) and isinstance(args[0].func, ast.Name)
                    and args[0].func.id == "N_" and isinstance(args[0].args[0], ast.Constant)):
                wrong.append(f"{where}: not raised with N_(\"...\")")
                continue
            msgid = args[0].args[0].value
            names = set(re.findall(r"%\((\w+)\)", msgid))
            given = {k.arg for k in call.keywords}
            if names != given:
                wrong.append(f"{where}: {msgid!r} takes {sorted(names)}, given {sorted(given)}")
            entry = catalog.get(msgid)
            chinese = entry.string if entry is not None and not entry.fuzzy else ""
            if not chinese or not re.search(r"[\u4e00-\u9fff]", chinese) \
                    or set(re.findall(r"%\((\w+)\)", chinese)) != names:
                wrong.append(f"{where}: no Chinese text for {msgid!r}")
            checked += 1
    assert wrong == []
    assert checked >= 15


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_error_is_shown_in_the_reader_s_language(app) -> None:
    from flask_babel import force_locale

    from service.annexes.validate import N_
    from service.auth.users import UserError
    from service.i18n import message_of

    error = UserError(N_("The user %(name)s exists already."), name="chen")
    assert str(error) == "The user chen exists already."
    with app.test_request_context():
        with force_locale("zh_Hans_CN"):
            assert message_of(error) == "用户 chen 已存在。"
        with force_locale("en"):
            assert message_of(error) == "The user chen exists already."
