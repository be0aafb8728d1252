"""The dashboards: one module per app, named by its kind (``senco``, ``forecast``, ``committee``).

Each app module declares ``prepare(data_dir, policy)`` (the trust-wide work, done once per
kernel, before anyone asks) and ``build(prepared, user, school=..., log=..., **params)`` (the
widget for one signed-in user, from only what that user's role and schools allow). The
notebooks in ``voila_apps/`` call :func:`app` and nothing else. An app's module imports the
compute and plotting modules it needs, and is imported only when its app opens: the committee
page, which fifteen people may open at once in a meeting, never loads SciPy or pyplot.
"""

from __future__ import annotations

import functools
import importlib
import os

import ipywidgets as W

from .. import render
from ..access import (
    APP_NOTEBOOKS,
    LOCAL_USER,
    USER_ENV,
    claim_kernel,
    current_policy,
    current_user,
    log_access,
    redact,
)
from ..exceptions import AccessDenied, SendlibError
from ._blocks import error_block, styled, unexpected
from ._session import choose_school, time_limit, url_hints, wait_for_visitor, work_seconds

KINDS = tuple(APP_NOTEBOOKS)  # every app, in the order the server lists them


def module(kind: str):
    """The module of an app (``sendlib.apps.<kind>``)."""
    if kind not in KINDS:
        raise SendlibError(f"No app called {kind!r}; the apps are: {', '.join(KINDS)}.")
    return importlib.import_module(f"{__name__}.{kind}")


def app(kind: str, data_dir: str = "", school: str = "", **params) -> W.Widget:
    """Open an app for the signed-in user: the widget, or a refusal or an error in words.

    The trust-wide work runs first, so that a preheated kernel has done it before anyone
    asks; then the kernel waits for the visitor (a no-op outside Voila), learns who signed
    in (:func:`sendlib.access.current_user`) and builds the app from only what that user's
    role and schools allow. A school asked for in the URL (``?school=``) or as a parameter
    is a hint: one the user may not see gets a refusal, and their own school opens instead.
    """
    try:
        chosen = module(kind)  # imported outside the time limit: an import cut short breaks the kernel
        with time_limit(work_seconds()):
            prepared = chosen.prepare(data_dir, current_policy())
    except (SendlibError, OSError) as error:
        prepared = error
    if not wait_for_visitor():  # the server was too busy to say who this is (or it stopped)
        return error_block(SendlibError("The server was too busy to open this page. Please reload it."))
    policy = user = None
    try:
        policy = current_policy()
        user = current_user(policy)
        claim_kernel(policy, user.name)  # only this user's page may now connect to this kernel
        user.check_app(kind)
        if isinstance(prepared, Exception):
            raise prepared
        hints = url_hints()
        school, refusal = choose_school(
            hints.get("school") or school, prepared.schools, user, whole_trust=kind == "forecast"
        )
        if refusal is not None:
            log_access(policy, user.name, kind, hints.get("school") or school, "refused", str(refusal))
        if kind == "senco" and hints.get("pupil"):
            params["pupil"] = hints["pupil"]
        log = functools.partial(log_access, policy, user.name, kind)
        log(school, "opened")
        with time_limit(work_seconds()):
            widget = chosen.build(prepared, user, school=school, log=log, **params)
        if refusal is not None:
            widget = W.VBox([error_block(refusal, "Not available to you."), widget])
        return styled(widget)
    except AccessDenied as error:
        log_access(policy, user.name if user else os.environ.get(USER_ENV, "?"), kind, "", "refused", str(error))
        links = (  # point to the pages they can open
            render.app_links(os.environ.get("VOILA_BASE_URL", "/"), user.apps())
            if user is not None and not user.may_open(kind)
            else None
        )
        return W.HTML(str(render.error(error, "Not available to you.", links)))
    except (SendlibError, OSError) as error:
        return error_block(error if user is LOCAL_USER else redact(error))
    except Exception as error:
        return unexpected(error, kind)
