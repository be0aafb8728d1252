"""Who may see what: the access file, roles, scoping by school, pseudonymised keys, the access log.

A trust's dashboards serve several schools and three kinds of user. The access file
(``access.toml``, read by ``sendlib dashboards --access``) names each user, their role and
their schools:

- ``senco``: named pupils of their own schools (pupil explorer), their schools' forecasts
  and committee pages;
- ``planner``: forecasts on pseudonymised pupil keys, and committee pages; never a name;
- ``committee``: committee pages only, which hold suppressed aggregates and nothing else.

Identity comes from the login (see :mod:`sendlib.login`), which hands the kernel the user
name as ``HTTP_X_REMOTE_USER``; it never comes from a URL parameter or a widget value,
which are hints at most. Every function here returns only what the role may see, so the
apps cannot show more even by mistake. Without an access file the dashboards serve one
person on their own computer (127.0.0.1, a single token): that person is :data:`LOCAL_USER`.

Example access file::

    [server]
    login = "token"              # "token": personal tokens; "proxy": nginx sets X-Remote-User
    ip = "127.0.0.1"             # where Voila listens; keep it behind nginx with TLS
    secret_file = "trust.key"    # the per-trust secret of pseudonymised keys (made if missing)
    log_file = "access-log.jsonl"

    [users.okafor]
    role = "senco"
    schools = ["Oak Primary"]
    token_sha256 = "…"           # from `sendlib access token`
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import tomllib
from pathlib import Path

import pandas as pd

from ._frames import isin
from .exceptions import AccessDenied, DataError, SendlibError
from .schema import TABLES

ACCESS_ENV = "SENDLIB_ACCESS"  # the access file's path, set by `sendlib dashboards --access`
USER_HEADER = "X-Remote-User"  # the signed-in user's name, set by the login (or a trusted proxy)
USER_ENV = "HTTP_X_REMOTE_USER"  # ... and passed to the kernel by Voila (http_header_envs)
ALL_SCHOOLS = "all"
ROLES = ("senco", "planner", "committee")
# which apps each role may open
APPS = {"senco": ("senco", "forecast", "committee"), "planner": ("forecast", "committee"), "committee": ("committee",)}
APP_TITLES = {
    "senco": "the SENCO pupil explorer",
    "forecast": "the need forecast",
    "committee": "the Local Committee page",
}
ROLE_TITLES = {"senco": "SENCO", "planner": "trust planner", "committee": "Local Committee"}
APP_NOTEBOOKS = {
    "senco": "senco_pupil_explorer.ipynb",
    "forecast": "trust_need_forecast.ipynb",
    "committee": "local_committee.ipynb",
}  # in voila_apps/
# where each app opens, under the server's base URL: the committee page is served without a
# kernel (sendlib.server); its Voila app stays at voila/render/local_committee.ipynb
APP_PATHS = {
    "senco": f"voila/render/{APP_NOTEBOOKS['senco']}",
    "forecast": f"voila/render/{APP_NOTEBOOKS['forecast']}",
    "committee": "committee",
}
LOGINS = ("token", "proxy")
IDENTIFYING_COLUMNS = ("forename", "surname", "date_of_birth")  # dropped from pseudonymised views
# the export's tables about pupils (every one but scales.csv): what scoping and pseudonymising cover
PUPIL_TABLES = tuple(name for name, table in TABLES.items() if any(c.name == "upn" for c in table.columns))


@dataclasses.dataclass(frozen=True)
class User:
    """A user of the dashboards: ``schools`` is None for every school of the trust."""

    name: str
    role: str
    schools: tuple[str, ...] | None = None

    def may_open(self, app: str) -> bool:
        return app in APPS[self.role]

    def apps(self) -> tuple[str, ...]:
        """The apps this user's role may open."""
        return APPS[self.role]

    def who(self) -> str:
        """ "Signed in as …": who a page is for ("" for the one local user)."""
        if self is LOCAL_USER:
            return ""
        schools = "all schools" if self.schools is None else ", ".join(self.schools)
        return f"Signed in as {self.name} ({ROLE_TITLES[self.role]}; {schools})."

    def allowed(self, schools: list[str]) -> list[str]:
        """The trust's schools this user may see, in the trust's order."""
        return list(schools) if self.schools is None else [s for s in schools if s in self.schools]

    def check_app(self, app: str) -> None:
        if not self.may_open(app):
            others = " or ".join(APP_TITLES[a] for a in APPS[self.role])
            raise AccessDenied(
                f"You are signed in as {self.name} ({ROLE_TITLES[self.role]}), who cannot open "
                f"{APP_TITLES[app]}. You can open {others}."
            )

    def check_school(self, school: str, schools: list[str]) -> None:
        if school not in self.allowed(schools):
            mine = ", ".join(self.allowed(schools)) or "none"
            raise AccessDenied(f"You do not have access to {school}. You can see: {mine}.")


LOCAL_USER = User("local", "senco")  # no access file: one person on their own computer


@dataclasses.dataclass
class AccessPolicy:
    """An access file, read and checked."""

    path: Path
    users: dict[str, User]
    token_hashes: dict[str, str]  # SHA-256 of a personal token -> user name
    login: str = "token"
    ip: str = "127.0.0.1"
    secret_file: Path | None = None
    log_file: Path | None = None
    proxy_token_sha256: str = ""

    def user(self, name: str | None) -> User | None:
        return self.users.get(name or "")

    def user_for_token(self, token: str) -> User | None:
        """The user whose personal token this is (compared in constant time), or None."""
        digest = token_hash(token)
        for stored, name in self.token_hashes.items():
            if hmac.compare_digest(stored, digest):
                return self.users[name]
        return None

    def proxy_token_ok(self, token: str) -> bool:
        return bool(self.proxy_token_sha256) and hmac.compare_digest(self.proxy_token_sha256, token_hash(token))

    def secret(self) -> bytes:
        """The trust's secret for pseudonymised keys (made, readable by its owner only, if missing)."""
        path = self.secret_file or self.path.with_name("sendlib-secret.key")
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        text = path.read_text().strip()
        if len(text) < 32:
            raise SendlibError(
                f"{path}: the trust secret is too short (at least 32 characters); "
                "delete the file and sendlib makes a new one"
            )
        return text.encode()

    def check_schools(self, schools: list[str]) -> list[str]:
        """Sentences for users given schools the trust does not have (a typo locks them out)."""
        return [
            f"{self.path.name}, user {u.name}: no school called {s!r} in the data; the schools are: "
            f"{', '.join(schools)}"
            for u in self.users.values()
            for s in (u.schools or ())
            if s not in schools
        ]


def token_hash(token: str) -> str:
    """SHA-256 of a personal token, as the access file stores it (tokens are long and random).

    >>> token_hash("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(token.strip().encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A new personal token and the line that puts its hash in the access file."""
    token = secrets.token_urlsafe(24)
    return token, f'token_sha256 = "{token_hash(token)}"'


def _fail(path: Path, where: str, message: str):
    raise SendlibError(f"{path.name}{', ' + where if where else ''}: {message}")


def load_access(path: str | Path) -> AccessPolicy:
    """Read and check an access file; a problem raises :class:`SendlibError` naming file, user and key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(path, "", "no such access file")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        _fail(path, "", f"not a valid TOML file ({error})")
    server = raw.get("server", {})
    unknown = set(server) - {"login", "ip", "secret_file", "log_file", "proxy_token_sha256"}
    if unknown:
        _fail(path, "[server]", f"unknown key(s) {', '.join(sorted(unknown))}")
    login = server.get("login", "token")
    if login not in LOGINS:
        _fail(path, "[server] login", f"{login!r} is not one of {', '.join(LOGINS)}")
    proxy = server.get("proxy_token_sha256", "")
    if login == "proxy" and not _is_sha256(proxy):
        _fail(
            path,
            "[server] proxy_token_sha256",
            'login = "proxy" needs the SHA-256 of the token nginx sends (from `sendlib access token`)',
        )
    users: dict[str, User] = {}
    hashes: dict[str, str] = {}
    if not raw.get("users"):
        _fail(path, "", "no [users.NAME] sections: nobody could sign in")
    for name, entry in raw["users"].items():
        where = f"user {name}"
        if not isinstance(entry, dict):
            _fail(path, where, "write it as a [users.NAME] section")
        unknown = set(entry) - {"role", "schools", "token_sha256"}
        if unknown:
            _fail(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
        role = entry.get("role")
        if role not in ROLES:
            _fail(path, f"{where}, role", f"{role!r} is not one of {', '.join(ROLES)}")
        schools = entry.get("schools")
        if schools == ALL_SCHOOLS:
            schools = None
        elif not (isinstance(schools, list) and schools and all(isinstance(s, str) and s for s in schools)):
            _fail(path, f"{where}, schools", f'give a list of school names, or "{ALL_SCHOOLS}"')
        users[name] = User(name, role, None if schools is None else tuple(schools))
        digest = entry.get("token_sha256")
        if login == "token":
            if not _is_sha256(digest):
                _fail(
                    path,
                    f"{where}, token_sha256",
                    "give the SHA-256 of the user's personal token (from `sendlib access token`)",
                )
            if digest in hashes:
                _fail(path, f"{where}, token_sha256", f"the same token as user {hashes[digest]}")
            hashes[digest] = name
    here = path.resolve().parent
    return AccessPolicy(
        path=path.resolve(),
        users=users,
        token_hashes=hashes,
        login=login,
        ip=server.get("ip", "127.0.0.1"),
        secret_file=here / server["secret_file"] if "secret_file" in server else None,
        log_file=here / server.get("log_file", "access-log.jsonl"),
        proxy_token_sha256=proxy,
    )


def _is_sha256(value) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def current_policy() -> AccessPolicy | None:
    """The access file the dashboards run under ($SENDLIB_ACCESS), or None (one local user)."""
    path = os.environ.get(ACCESS_ENV)
    return load_access(path) if path else None


def current_user(policy: AccessPolicy | None, name: str | None = None) -> User:
    """The signed-in user: ``name`` (as the server's login knows it), or the identity the login
    passed to this kernel."""
    if policy is None:
        return LOCAL_USER
    user = policy.user(name if name is not None else os.environ.get(USER_ENV))
    if user is None:
        raise AccessDenied(
            "You are not signed in as a user of these dashboards. Open the link you were given, "
            "or ask the trust's data protection lead for access."
        )
    return user


# --- roles shape the data ----------------------------------------------------------------------------
def scope_frame(frame: pd.DataFrame | None, upns) -> pd.DataFrame | None:
    """The rows of ``frame`` about the given pupils only."""
    if frame is None:
        return None
    return frame[isin(frame["upn"], upns)].reset_index(drop=True)


def school_upns(trust, schools: list[str]) -> set[str]:
    return set(trust.pupils.loc[trust.pupils["school"].isin(schools), "upn"])


def scope_trust(trust, schools: list[str]):
    """The trust cut down to the pupils of ``schools``: every table, every row (problems keep file,
    row, column and problem, without the value)."""
    upns = school_upns(trust, schools)
    tables = {name: scope_frame(getattr(trust, name), upns) for name in PUPIL_TABLES}
    # a problem's value may be another school's UPN or name: keep where it is, not what it says
    return dataclasses.replace(trust, **tables, problems=trust.problems.assign(value=None))


def pseudonym(upn: str, secret: bytes) -> str:
    """A pupil's stable pseudonymised key: a keyed hash (HMAC-SHA-256) of the UPN.

    The same UPN and secret give the same key in every run; without the secret the key
    cannot be turned back into the UPN.

    >>> pseudonym("A999204113005", b"x" * 32) == pseudonym("A999204113005", b"x" * 32)
    True
    >>> pseudonym("A999204113005", b"x" * 32).startswith("P-")
    True
    """
    return "P-" + hmac.new(secret, upn.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymise(trust, secret: bytes):
    """The trust with every UPN replaced by its pseudonymised key and names and birth dates removed
    (the planner's view: numbers, not names). Problems are reduced to file, row, column and problem."""
    keys = {upn: pseudonym(upn, secret) for upn in trust.pupils["upn"]}

    def rekey(frame):
        if frame is None:
            return None
        frame = frame.drop(columns=[c for c in IDENTIFYING_COLUMNS if c in frame.columns])
        return frame.assign(upn=frame["upn"].map(lambda u: keys.get(u) or pseudonym(u, secret)))

    tables = {name: rekey(getattr(trust, name)) for name in PUPIL_TABLES}
    return dataclasses.replace(trust, **tables, problems=trust.problems.assign(value=None))


def redact(error: Exception) -> Exception:
    """A data error without the values it quotes (which may be a UPN or a name), for anyone but
    the local user: file, row, column and problem are enough to fix the export."""
    if isinstance(error, DataError):
        return DataError(error.problems.assign(value=None))
    if isinstance(error, OSError):  # its message names the server's folders
        return SendlibError(
            f"A file of the export could not be read ({error.strerror or type(error).__name__}). "
            "Please tell whoever runs sendlib for your trust."
        )
    return error


# --- who owns a kernel ------------------------------------------------------------------------------
# jupyter_server does not tie a kernel to the user whose page started it: anyone signed in who
# learnt a kernel's id could connect to it or shut it down. So each app records its kernel's
# user once it knows them, and the login refuses anyone else at the kernel's URLs.
KERNEL_ID_ENV = "VOILA_KERNEL_ID"  # set in every kernel by Voila
KERNEL_ID = r"[0-9a-fA-F-]{36}"  # a UUID
KERNEL_URL = re.compile(rf"/(?:api/kernels|voila/api/shutdown)/({KERNEL_ID})")
KERNEL_RECORD_DAYS = 7  # records of kernels older than this are cleared


def _kernels_folder(policy: AccessPolicy) -> Path:
    return policy.path.with_name(".sendlib-kernels")


def claim_kernel(policy: AccessPolicy | None, user: str) -> None:
    """Record that this kernel serves ``user`` (the first claim stands). Nothing without an
    access file, or outside a Voila kernel."""
    kernel = os.environ.get(KERNEL_ID_ENV, "")
    if policy is None or not re.fullmatch(KERNEL_ID, kernel):
        return
    folder = _kernels_folder(policy)
    folder.mkdir(mode=0o700, exist_ok=True)
    stale = time.time() - KERNEL_RECORD_DAYS * 86400
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < stale:
                old.unlink()
        except OSError:
            pass  # another kernel cleared it first
    try:
        descriptor = os.open(folder / kernel.lower(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(user)


def kernel_owner(policy: AccessPolicy, kernel_id: str) -> str | None:
    """The user a kernel serves, if it has said."""
    try:
        return (_kernels_folder(policy) / kernel_id.lower()).read_text()
    except (OSError, ValueError):
        return None


def kernel_refusal(policy: AccessPolicy, user: str, path: str) -> str:
    """Why ``user`` may not use the kernel URL ``path`` ("" if they may, or it is not a kernel's)."""
    match = KERNEL_URL.search(path)
    if match is None or kernel_owner(policy, match[1]) == user:
        return ""
    return f"kernel {match[1][:8]}... is not one of this user's pages"


# --- the access log ----------------------------------------------------------------------------------
def log_access(
    policy: AccessPolicy | None, user: str, app: str, school: str = "", event: str = "opened", detail: str = ""
) -> None:
    """Append a line to the access log (JSON lines): when, who, which app, which school, what happened.

    No log is kept without an access file (one person on their own computer). Pupils are
    logged by pseudonymised key, so the log itself names nobody."""
    if policy is None or policy.log_file is None:
        return
    record = {
        "time": dt.datetime.now().isoformat(timespec="seconds"),
        "user": user,
        "app": app,
        "school": school,
        "event": event,
    }
    if detail:
        record["detail"] = detail
    line = (json.dumps(record) + "\n").encode()
    descriptor = os.open(policy.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(descriptor, line)  # one write with O_APPEND: lines from many kernels never interleave
    finally:
        os.close(descriptor)


def read_access_log(path: str | Path) -> pd.DataFrame:
    """The access log as a table."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=["time", "user", "app", "school", "event", "detail"])
    return pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
