"""Screenshots of the main pages at both tablet sizes, for docs/screens/.

One command: ``.venv/bin/python bench/screenshots.py`` (``--out DIR`` to write elsewhere).

It makes a scratch instance (a SQLite database in a temporary folder), builds the small agency
of ``tests/tablet_scene.py`` (three cases whose forms stand in every state), serves it on a
free port of 127.0.0.1 and drives Debian's Chromium through Playwright, signed in as the worker
and as the supervisor, at 768×1024 (portrait, touch) and 1180×820 (landscape). Each page is
shot whole (full page) as ``<viewport>-<page>.png``, the form's sticky footer (提交 and the
state) drawn where it ends rather than frozen mid-page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import tablet_scene  # noqa: E402
from tests.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    TABLET_LANDSCAPE,
    TABLET_PORTRAIT,
    LiveServer,
    sign_in,
)

VIEWPORTS = {"portrait": TABLET_PORTRAIT, "landscape": TABLET_LANDSCAPE}


def pages(scene: tablet_scene.Scene) -> list[tuple[str, str, str]]:
    """(file name, who, path) of every page shot."""
    case = f"/cases/{scene.case_id}"
    return [
        ("case-list", "chen", "/cases"),
        ("case", "chen", case),
        ("form-b-signed", "chen", f"{case}/forms/{scene.intake_id}"),
        ("form-c-returned", "chen", f"{case}/forms/{scene.returned_interview_id}"),
        ("form-c-review", "zhou", f"{case}/forms/{scene.waiting_interview_id}"),
        ("form-d-draft", "chen", f"{case}/forms/{scene.closing_id}"),
        ("review-list", "zhou", "/review"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="screens-") as scratch:
        os.environ["INSTANCE_PATH"] = scratch
        from service import create_app
        from service.db import db

        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/screens.sqlite3",
            "ARCHIVE_ROOT": f"{scratch}/archive", "WORK_ROOT": f"{scratch}/work",
            "WTF_CSRF_SSL_STRICT": False,
        })
        with app.app_context():
            db.create_all()
            scene = tablet_scene.build()
            db.session.remove()
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, viewport in VIEWPORTS.items():
                signed_in = {}
                for name, who, path in pages(scene):
                    if who not in signed_in:
                        context = browser.new_context(viewport=viewport, has_touch=True,
                                                      device_scale_factor=1, locale="zh-CN")
                        page = context.new_page()
                        sign_in(page, server.url, who, tablet_scene.PASSWORD)
                        signed_in[who] = page
                    page = signed_in[who]
                    page.goto(server.url + path)
                    page.wait_for_load_state("networkidle")
                    # a whole-page shot would freeze the sticky footer mid-page: let it sit at the end
                    page.eval_on_selector_all(".actions", "els => els.forEach(e => { e.style.position = 'static'; })")
                    target = args.out / f"{label}-{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                for page in signed_in.values():
                    page.context.close()
            browser.close()


if __name__ == "__main__":
    main()
