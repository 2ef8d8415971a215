"""`curbside grafana push`: Curbside's datasource, folder and dashboards into a running Grafana.

Everything goes through Grafana's HTTP API with the grafana-client package. Each object is
read first and written only when it differs from what Curbside ships, so a second push makes
no write request. The dashboards are the JSON files in deploy/grafana/dashboards, the same
files Grafana's file provisioning reads (docs/grafana.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from psycopg.conninfo import conninfo_to_dict

from curbside.errors import CurbsideError
from curbside.settings import ServiceSettings

DATASOURCE_UID = "curbside-timescaledb"
DATASOURCE_NAME = "Curbside TimescaleDB"
DATASOURCE_TYPE = "grafana-postgresql-datasource"
DASHBOARDS_DIR = Path(__file__).resolve().parent.parent / "deploy" / "grafana" / "dashboards"
"""The dashboards of a source checkout (deploy/ is not part of the installed package)."""
_SERVER_KEYS = ("id", "version")
"""Dashboard keys Grafana sets itself on every save."""

T = TypeVar("T")


class GrafanaSettings(ServiceSettings):
    """Where Grafana is, and how it reaches the database (`CURBSIDE_GRAFANA_*`)."""

    grafana_url: str = "http://localhost:3000"
    """Grafana's address; `http://user:password@host:3000` logs in with basic auth."""
    grafana_token: str | None = None
    """A service account token with the Editor role for folders and dashboards, Admin for the
    datasource."""
    grafana_folder: str = "Curbside"
    grafana_database_url: str | None = None
    """The database as Grafana reaches it (host, port, name, user, sslmode); unset: `dsn`."""
    grafana_db_password: str | None = None
    """The password Grafana logs in to the database with; unset: the database URL's, if any."""


class GrafanaError(CurbsideError):
    """Grafana could not be reached, refused a request, or holds something push must not touch."""


@dataclass(frozen=True)
class Change:
    """What one push did to one object: created, updated or unchanged."""

    kind: str
    name: str
    action: str

    def describe(self) -> str:
        return f"{self.kind} {self.name}: {self.action}"


def datasource_model(database_url: str, password: str | None = None) -> dict[str, Any]:
    """The PostgreSQL datasource for a database URL (or key=value DSN), TimescaleDB on."""
    try:
        params = conninfo_to_dict(database_url)
    except Exception as exc:
        raise ValueError(f"not a database URL: {exc}") from exc
    host = str(params.get("host") or "localhost")
    if host.startswith("/") or "," in host:
        raise ValueError(f"Grafana needs one TCP host for the database, not {host!r}")
    user, database = params.get("user"), params.get("dbname")
    if not user or not database:
        raise ValueError("the database URL must name the user and the database")
    model: dict[str, Any] = {
        "uid": DATASOURCE_UID,
        "name": DATASOURCE_NAME,
        "type": DATASOURCE_TYPE,
        "access": "proxy",
        "url": f"{host}:{params.get('port') or 5432}",
        "user": str(user),
        "jsonData": {
            "database": str(database),
            "sslmode": str(params.get("sslmode") or "disable"),
            "postgresVersion": 1500,
            "timescaledb": True,
        },
    }
    secret = password or params.get("password")
    if secret:
        model["secureJsonData"] = {"password": str(secret)}
    return model


def load_dashboards(folder: Path = DASHBOARDS_DIR) -> list[dict[str, Any]]:
    """The dashboard JSON files in `folder`, by file name; each must have a uid and a title."""
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise ValueError(f"no dashboards (*.json) in {folder}")
    dashboards = []
    for path in paths:
        try:
            dashboard = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if (
            not isinstance(dashboard, dict)
            or not dashboard.get("uid")
            or not dashboard.get("title")
        ):
            raise ValueError(f"{path}: a dashboard needs a uid and a title")
        dashboards.append(dashboard)
    return dashboards


@contextmanager
def connect(url: str, token: str | None, timeout_s: float = 10.0) -> Iterator[Any]:
    """A grafana-client API for `url`, with a token or the URL's user and password; its
    connections are closed on leaving."""
    from grafana_client.api import GrafanaApi

    api = GrafanaApi.from_url(url, credential=token, timeout=timeout_s)
    try:
        yield api
    finally:
        api.client.s.close()


def push(
    api: Any,
    datasource: Mapping[str, Any],
    folder_title: str,
    dashboards: Sequence[Mapping[str, Any]],
    force: bool = False,
) -> list[Change]:
    """Create or update the datasource, the folder and each dashboard; `force` writes them
    (the datasource with its password) even when they look unchanged."""
    import requests
    from grafana_client.client import GrafanaException

    try:
        changes = [_push_datasource(api, datasource, force)]
        folder_uid, folder_change = _push_folder(api, folder_title)
        changes.append(folder_change)
        changes += [_push_dashboard(api, d, folder_uid, force) for d in dashboards]
    except GrafanaException as exc:
        status = f" ({exc.status_code})" if exc.status_code else ""
        raise GrafanaError(f"Grafana refused a request{status}: {exc.message}") from exc
    except requests.exceptions.RequestException as exc:
        raise GrafanaError(f"cannot reach Grafana: {exc}") from exc
    return changes


def _found(read: Callable[[], T]) -> T | None:
    """What `read` returns, or None when Grafana answers 404 Not Found."""
    from grafana_client.client import GrafanaClientError

    try:
        return read()
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return None
        raise


def _push_datasource(api: Any, want: Mapping[str, Any], force: bool) -> Change:
    uid, name = want["uid"], want["name"]
    have = _found(lambda: api.datasource.get_datasource_by_uid(uid))
    if have is None:
        api.datasource.create_datasource(dict(want))
        return Change("datasource", name, "created")
    if not force and not _datasource_differs(have, want):
        return Change("datasource", name, "unchanged")
    if have.get("readOnly"):
        raise GrafanaError(
            f"datasource {uid} is provisioned from a file and read-only in Grafana: change "
            "deploy/grafana/provisioning instead"
        )
    body = dict(want)
    body["jsonData"] = {**(have.get("jsonData") or {}), **want["jsonData"]}
    api.datasource.update_datasource_by_uid(uid, body)
    return Change("datasource", name, "updated")


def _datasource_differs(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """True when a setting push manages differs; settings it does not manage are left alone.
    Grafana never shows a password, so only a missing one counts as a difference."""
    for key, value in want.items():
        if key == "jsonData":
            settings = have.get("jsonData") or {}
            if any(settings.get(k) != v for k, v in value.items()):
                return True
        elif key == "secureJsonData":
            if not (have.get("secureJsonFields") or {}).get("password"):
                return True
        elif have.get(key) != value:
            return True
    return False


def folder_uid(title: str) -> str:
    """The uid push gives a folder it creates: its title in lower case, letters and digits."""
    uid = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40]
    if not uid:
        raise ValueError(f"a folder title needs a letter or a digit: {title!r}")
    return uid


def _push_folder(api: Any, title: str) -> tuple[str, Change]:
    """The folder by its uid, else any folder of that title, else a new one."""
    uid = folder_uid(title)
    have = _found(lambda: api.folder.get_folder(uid))
    if have is None:
        same_title = [f for f in api.folder.get_all_folders() if f.get("title") == title]
        if same_title:
            return str(same_title[0]["uid"]), Change("folder", title, "unchanged")
        created = api.folder.create_folder(title, uid=uid)
        return str(created["uid"]), Change("folder", title, "created")
    if have.get("title") == title:
        return uid, Change("folder", title, "unchanged")
    api.folder.update_folder(uid, title=title, overwrite=True)
    return uid, Change("folder", title, "updated")


def _push_dashboard(api: Any, want: Mapping[str, Any], folder: str, force: bool) -> Change:
    uid, title = want["uid"], want["title"]
    have = _found(lambda: api.dashboard.get_dashboard(uid))
    if have is not None:
        meta, stored = have.get("meta") or {}, have.get("dashboard") or {}
        same = all(stored.get(k) == v for k, v in want.items() if k not in _SERVER_KEYS)
        if same and meta.get("folderUid") == folder and not force:
            return Change("dashboard", title, "unchanged")
        if meta.get("provisioned"):
            raise GrafanaError(
                f"dashboard {uid} is provisioned from a file: Grafana's API cannot change it"
            )
    dashboard = {k: v for k, v in want.items() if k not in _SERVER_KEYS}
    api.dashboard.update_dashboard(
        {
            "dashboard": {**dashboard, "id": None},
            "folderUid": folder,
            "overwrite": have is not None,
            "message": "curbside grafana push",
        }
    )
    return Change("dashboard", title, "created" if have is None else "updated")
