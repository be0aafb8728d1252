"""The dashboards' server: Voilà, plus the Local Committee pages served without a kernel.

Nothing on a committee page needs a live kernel: its tables, sentences and charts are
suppressed aggregates, the same for every visitor, made once per export and day
(:func:`sendlib.committee.cached_committee_pages`). So ``/committee`` answers from that cache
inside the server itself, as the same HTML the committee report is made of
(:func:`sendlib.render.committee`), in a few milliseconds: fifteen governors opening it at
the start of a meeting start no kernel and wait for nobody. A school is chosen with a plain
form (``?school=``). The sign-in is the dashboards' own (:mod:`sendlib.login`), and the access
rules are the apps' (:func:`sendlib.apps.app`): the user's role must allow the committee page,
a school asked for that the user may not see is refused in words and their own opens instead,
and every page shown is in the access log. The Voilà app (``local_committee.ipynb``) still
works, for one person opening it in Jupyter or Voilà.

``sendlib dashboards`` runs ``python -m sendlib.server`` with Voilà's own options
(:func:`sendlib.dashboards.voila_command`).
"""

from __future__ import annotations

import asyncio
import os
import sys

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from voila.app import Voila

from . import render
from ._paths import DATA_ENV
from .access import LOCAL_USER, current_policy, current_user, log_access, redact
from .apps._session import choose_school
from .committee import cached_committee_pages
from .exceptions import AccessDenied, SendlibError

COMMITTEE = "committee"
UNEXPECTED = SendlibError(
    "Something went wrong while preparing this page. Please reload it, and tell whoever runs sendlib for "
    "your trust if it happens again (the server's log says what happened)."
)


class CommitteePageHandler(JupyterHandler):
    """``GET /committee[?school=…]``: one school's committee page for the signed-in user."""

    @web.authenticated
    async def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")  # a page for one signed-in user, never kept by a proxy
        self.write(await self._page(self.get_argument("school", "")))

    async def _page(self, asked: str) -> str:
        policy = user = None
        title = "Local Committee page"
        try:
            policy = current_policy()
            user = current_user(policy, self.current_user.username if policy is not None else None)
            user.check_app(COMMITTEE)
            # made at most once per export and day, in a thread: the server goes on serving meanwhile
            pages = await asyncio.to_thread(cached_committee_pages, self.settings["sendlib_data_dir"])
            school, refusal = choose_school(asked, list(pages), user)
            if refusal is not None:
                log_access(policy, user.name, COMMITTEE, asked, "refused", str(refusal))
            log_access(policy, user.name, COMMITTEE, school, "opened")
            page = pages[school]
            return render.committee_document(
                page=render.error(page) if isinstance(page, Exception) else render.committee(page),
                title=f"{school}: {title}",
                schools=user.allowed(list(pages)),
                school=school,
                action=url_path_join(self.base_url, COMMITTEE),
                signed_in=user.who(),
                refusal=render.error(refusal, "Not available to you.") if refusal is not None else None,
            )
        except AccessDenied as error:
            name = user.name if user is not None else self.current_user.username
            log_access(policy, name, COMMITTEE, asked, "refused", str(error))
            self.set_status(403)
            return render.committee_document(page=render.error(error, "Not available to you."), title=title)
        except (SendlibError, OSError) as error:
            shown = error if user is LOCAL_USER else redact(error)
            return render.committee_document(page=render.error(shown), title=title)
        except Exception:  # nobody foresaw it: the traceback to the server's log, a sentence to the page
            self.log.exception("sendlib: unexpected error on the committee page")
            return render.committee_document(page=render.error(UNEXPECTED), title=title)


class SendlibVoila(Voila):
    """Voilà with sendlib's committee pages beside its apps."""

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings["sendlib_data_dir"] = os.environ.get(DATA_ENV, "")
        return settings

    def init_handlers(self) -> list:
        return [(url_path_join(self.server_url, COMMITTEE), CommitteePageHandler), *super().init_handlers()]


main = SendlibVoila.launch_instance

if __name__ == "__main__":
    sys.exit(main())
