"""Signing in to the dashboards: a jupyter_server identity provider that knows the access file.

``sendlib dashboards --access access.toml`` runs Voila with this provider. It decides who a
request comes from and hands that name, and nothing else, to the app's kernel:

- ``login = "token"``: each user has a personal token (the access file keeps its SHA-256).
  The link ``…?token=…``, the login page or an ``Authorization: token …`` header sign the
  user in; a signed cookie keeps them signed in.
- ``login = "proxy"``: nginx (or another proxy) signs users in and sets ``X-Remote-User``.
  It is believed only on requests that also carry the proxy's own token (``Authorization:
  token …``, SHA-256 in the access file), so a browser that reaches Voila directly cannot
  claim to be somebody.

Either way the provider overwrites the request's ``X-Remote-User`` header with the
authenticated name before Voila copies it into the kernel (``http_header_envs``), so a
header a browser sends itself never reaches an app. A user removed from the access file is
signed out at their next request. A kernel's URLs (its websocket, Voila's shutdown) answer
only the user whose page the kernel serves (:func:`sendlib.access.claim_kernel`).
"""

from __future__ import annotations

import hmac
import os

from jupyter_server.auth.identity import IdentityProvider, User
from markupsafe import Markup
from tornado.escape import url_escape
from voila.voila_identity_provider import VoilaIdentityProvider, VoilaLoginHandler

from .access import ACCESS_ENV, kernel_refusal, load_access, log_access
from .access import USER_HEADER as HEADER


class SignInHandler(VoilaLoginHandler):
    """sendlib's sign-in page in place of Jupyter's (which tells a visitor to run ``jupyter
    server list``): what the token is and where to find it; the same form, so signing in works
    as before."""

    def _render(self, message=None):
        from .render import sign_in

        wrong = bool(message and message.get("error"))
        self.write(
            sign_in(
                action=f"{self.base_url}login?next={url_escape(self.get_argument('next', default=self.base_url))}",
                xsrf=Markup(self.xsrf_form_html()),
                message="That token was not recognised: check it, or ask for a new one." if wrong else "",
            )
        )


class TokenIdentityProvider(VoilaIdentityProvider):
    """Voila's one shared token (``sendlib dashboards`` without an access file), signed in on
    sendlib's page."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = SignInHandler

    def process_login_form(self, handler) -> User | None:
        # (jupyter_server's own asks for a user_for_token its base provider lacks: a server error)
        typed = handler.get_argument("password", default="")
        if self.token and hmac.compare_digest(typed.encode(), self.token.encode()):
            return self.generate_anonymous_user(handler)
        return None


class AccessFileIdentityProvider(IdentityProvider):
    """Users and their personal tokens (or a trusted proxy) from the access file in $SENDLIB_ACCESS."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.login_handler_class = SignInHandler

    @property
    def policy(self):
        # read on every request: a user added or removed takes effect without a restart
        return load_access(os.environ[ACCESS_ENV])

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return self.policy.login == "token"

    async def _get_user(self, handler) -> User | None:
        if getattr(handler, "_jupyter_current_user", None):
            return handler._jupyter_current_user
        policy = self.policy
        if policy.login == "proxy":
            name = (
                handler.request.headers.get(HEADER, "") if policy.proxy_token_ok(self.get_token(handler) or "") else ""
            )
            user = _user(name) if policy.user(name) else None
            if user is not None:
                handler._token_authenticated = True
        else:
            user = await super()._get_user(handler)
            if user is not None and policy.user(user.username) is None:
                self.clear_login_cookie(handler)
                user = None
        handler.request.headers.pop(HEADER, None)  # never a browser's own claim
        refusal = kernel_refusal(policy, user.username, handler.request.path) if user is not None else ""
        if refusal and user is not None:
            log_access(policy, user.username, "kernel", event="refused", detail=refusal)
            user = None
        if user is not None:
            handler.request.headers[HEADER] = user.username
        return user

    async def get_user_token(self, handler) -> User | None:
        token = self.get_token(handler)
        found = self.policy.user_for_token(token) if token else None
        return _user(found.name) if found else None

    def process_login_form(self, handler) -> User | None:
        policy = self.policy
        found = policy.user_for_token(handler.get_argument("password", default=""))
        log_access(
            policy,
            found.name if found else "?",
            "login",
            event="signed in" if found else "refused",
            detail="" if found else f"wrong token from {handler.request.remote_ip}",
        )
        return _user(found.name) if found else None


def _user(name: str) -> User:
    return User(username=name, name=name, display_name=name)
