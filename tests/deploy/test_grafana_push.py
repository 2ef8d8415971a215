"""Tests of curbside/grafana.py and `curbside grafana push`, against a stand-in Grafana.

No Grafana server can be installed here, so `FakeGrafana` plays one: a real HTTP server on a
free port that answers the part of Grafana's HTTP API the push uses (datasources by uid,
folders, dashboards by uid and POST /api/dashboards/db), checks each request against Grafana's
documented request bodies and rules (bearer token, JSON, required and known fields, uid
syntax, versions and overwrite), keeps what it is given, and records every request.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from curbside import grafana
from curbside.cli import main
from curbside.runtime import free_port

TOKEN = "glsa_test_token"
DATABASE_URL = "postgresql://grafana_reader:s3cret@timescaledb:5432/curbside"
_UID = re.compile(r"[a-zA-Z0-9_-]{1,40}")
_DATASOURCE_FIELDS = {
    "uid", "name", "type", "access", "url", "user", "database", "basicAuth", "basicAuthUser",
    "withCredentials", "isDefault", "jsonData", "secureJsonData", "version",
}  # fmt: skip
_DASHBOARD_BODY = {"dashboard", "folderId", "folderUid", "message", "overwrite"}


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


@dataclass
class FakeGrafana:
    """Grafana's state and rules for datasources, folders and dashboards, in memory."""

    token: str = TOKEN
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    next_id: int = 1

    @property
    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE")]

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        body = None
        if raw:
            if headers.get("Content-Type", "").split(";")[0] != "application/json":
                return 400, {"message": "bad request data: expected application/json"}
            body = json.loads(raw)
        self.requests.append((method, path, body))
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}
        try:
            return self._route(method, path.split("?")[0], body)
        except ApiError as exc:
            return exc.status, exc.body

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method in ("POST", "PUT") and not isinstance(body, dict):
            raise ApiError(400, {"message": "bad request data"})
        match method, path.split("/")[2:]:
            case "GET", ["datasources", "uid", uid]:
                return 200, self._datasource_view(self._datasource(uid))
            case "POST", ["datasources"]:
                return 200, self._add_datasource(body)
            case "PUT", ["datasources", "uid", uid]:
                return 200, self._update_datasource(uid, body)
            case "GET", ["folders"]:
                return 200, [
                    {"id": f["id"], "uid": u, "title": f["title"]} for u, f in self.folders.items()
                ]
            case "GET", ["folders", uid]:
                if uid not in self.folders:
                    raise ApiError(404, {"message": "folder not found"})
                return 200, self.folders[uid]
            case "POST", ["folders"]:
                return 200, self._add_folder(body)
            case "PUT", ["folders", uid]:
                return 200, self._update_folder(uid, body)
            case "GET", ["dashboards", "uid", uid]:
                return 200, self._dashboard_view(uid)
            case "POST", ["dashboards", "db"]:
                return 200, self._save_dashboard(body)
        raise ApiError(404, {"message": "Not found"})

    # --- datasources: /api/datasources ---------------------------------------------------

    def _datasource(self, uid: str) -> dict[str, Any]:
        if uid not in self.datasources:
            raise ApiError(404, {"message": "Data source not found"})
        return self.datasources[uid]

    def _datasource_view(self, stored: dict[str, Any]) -> dict[str, Any]:
        """What GET returns: the model, secrets only as the names of the fields that are set."""
        view = copy.deepcopy(stored)
        view["secureJsonFields"] = {name: True for name in self.secrets.get(stored["uid"], {})}
        return view

    def _check_datasource(self, body: dict[str, Any]) -> None:
        unknown = set(body) - _DATASOURCE_FIELDS
        if unknown:
            raise ApiError(400, {"message": f"unknown fields {sorted(unknown)}"})
        for name in ("name", "type", "access"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(400, {"message": f"{name} is required"})
        if body["access"] not in ("proxy", "direct"):
            raise ApiError(400, {"message": "access is proxy or direct"})
        if "uid" in body and not _UID.fullmatch(body["uid"]):
            raise ApiError(400, {"message": "invalid uid"})
        for name in ("jsonData", "secureJsonData"):
            if name in body and not isinstance(body[name], dict):
                raise ApiError(400, {"message": f"{name} is an object"})

    def _add_datasource(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_datasource(body)
        if any(d["name"] == body["name"] for d in self.datasources.values()):
            raise ApiError(409, {"message": "data source with the same name already exists"})
        uid = body.get("uid") or f"ds{self.next_id}"
        if uid in self.datasources:
            raise ApiError(409, {"message": "data source with the same uid already exists"})
        stored = {k: v for k, v in body.items() if k != "secureJsonData"}
        stored |= {"id": self._id(), "uid": uid, "orgId": 1, "version": 1, "readOnly": False}
        stored.setdefault("jsonData", {})
        self.datasources[uid] = stored
        self.secrets[uid] = dict(body.get("secureJsonData") or {})
        view = self._datasource_view(stored)
        return {"datasource": view, "id": stored["id"], "message": "Datasource added",
                "name": stored["name"]}  # fmt: skip

    def _update_datasource(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        stored = self._datasource(uid)
        self._check_datasource(body)
        if stored["readOnly"]:
            raise ApiError(403, {"message": "Cannot update read-only data source"})
        if "version" in body and body["version"] != stored["version"]:
            raise ApiError(409, {"message": "Datasource has already been updated by someone else"})
        # secure fields left out of an update keep their values, as in Grafana
        self.secrets[uid] |= body.get("secureJsonData") or {}
        kept = {k: stored[k] for k in ("id", "orgId", "readOnly")}
        fresh = {k: v for k, v in body.items() if k != "secureJsonData"}
        self.datasources[uid] = {**fresh, **kept, "uid": uid, "version": stored["version"] + 1}
        view = self._datasource_view(self.datasources[uid])
        return {"datasource": view, "id": stored["id"], "message": "Datasource updated",
                "name": view["name"]}  # fmt: skip

    # --- folders: /api/folders --------------------------------------------------------------

    def _add_folder(self, body: dict[str, Any]) -> dict[str, Any]:
        if set(body) - {"uid", "title", "parentUid", "description"}:
            raise ApiError(400, {"message": "unknown fields"})
        if not isinstance(body.get("title"), str) or not body["title"].strip():
            raise ApiError(400, {"message": "folder title cannot be empty"})
        uid = body.get("uid") or f"f{self.next_id}"
        if not _UID.fullmatch(uid):
            raise ApiError(400, {"message": "uid contains illegal characters"})
        if uid in self.folders or any(f["title"] == body["title"] for f in self.folders.values()):
            raise ApiError(409, {"message": "a folder with the same name or uid already exists"})
        folder = {"id": self._id(), "uid": uid, "title": body["title"], "version": 1,
                  "url": f"/dashboards/f/{uid}/"}  # fmt: skip
        self.folders[uid] = folder
        return folder

    def _update_folder(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        if uid not in self.folders:
            raise ApiError(404, {"message": "folder not found"})
        folder = self.folders[uid]
        if not body.get("overwrite") and body.get("version") != folder["version"]:
            raise ApiError(412, {"message": "version-mismatch"})
        folder["title"], folder["version"] = body["title"], folder["version"] + 1
        return folder

    # --- dashboards: /api/dashboards ----------------------------------------------------------

    def _dashboard_view(self, uid: str) -> dict[str, Any]:
        if uid not in self.dashboards:
            raise ApiError(404, {"message": "Dashboard not found"})
        saved = self.dashboards[uid]
        folder = self.folders.get(saved["folderUid"] or "", {})
        meta = {"type": "db", "slug": _slug(saved["dashboard"]["title"]), "canSave": True,
                "url": f"/d/{uid}/{_slug(saved['dashboard']['title'])}", "provisioned": False,
                "version": saved["dashboard"]["version"], "folderUid": saved["folderUid"] or "",
                "folderTitle": folder.get("title", "General")}  # fmt: skip
        return {"dashboard": copy.deepcopy(saved["dashboard"]), "meta": meta}

    def _save_dashboard(self, body: dict[str, Any]) -> dict[str, Any]:
        if set(body) - _DASHBOARD_BODY:
            raise ApiError(
                400, {"message": f"unknown fields {sorted(set(body) - _DASHBOARD_BODY)}"}
            )
        dashboard = body.get("dashboard")
        if not isinstance(dashboard, dict) or not str(dashboard.get("title", "")).strip():
            raise ApiError(400, {"message": "Dashboard title cannot be empty"})
        uid = dashboard.get("uid")
        if not isinstance(uid, str) or not _UID.fullmatch(uid):
            raise ApiError(400, {"message": "uid contains illegal characters"})
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.folders:
            raise ApiError(400, {"message": "folder not found"})
        overwrite = body.get("overwrite", False)
        old = self.dashboards.get(uid)
        if dashboard.get("id") is not None and (
            old is None or old["dashboard"]["id"] != dashboard["id"]
        ):
            raise ApiError(404, {"message": "Dashboard not found"})
        if (
            old is not None
            and not overwrite
            and dashboard.get("version") != old["dashboard"]["version"]
        ):
            raise ApiError(412, {"status": "version-mismatch", "message": "version-mismatch"})
        for other_uid, other in self.dashboards.items():
            same_place = other["folderUid"] == folder_uid and other_uid != uid
            if same_place and other["dashboard"]["title"] == dashboard["title"] and not overwrite:
                raise ApiError(412, {"status": "name-exists", "message": "name-exists"})
        saved = copy.deepcopy(dashboard)
        saved["id"] = old["dashboard"]["id"] if old else self._id()
        saved["version"] = old["dashboard"]["version"] + 1 if old else 1
        self.dashboards[uid] = {"dashboard": saved, "folderUid": folder_uid}
        slug = _slug(saved["title"])
        return {"id": saved["id"], "uid": uid, "url": f"/d/{uid}/{slug}", "status": "success",
                "version": saved["version"], "slug": slug}  # fmt: skip


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def serve(state: FakeGrafana) -> tuple[ThreadingHTTPServer, str]:
    """`state` behind an HTTP/1.1 server on a free port; its URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # headers and body in one write: no wait for a delayed ACK

        def _answer(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload = state.handle(self.command, self.path, self.headers, raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def fake() -> FakeGrafana:
    return FakeGrafana()


@pytest.fixture
def url(fake: FakeGrafana) -> Iterator[str]:
    """The address of a stand-in Grafana serving `fake`."""
    server, address = serve(fake)
    yield address
    server.shutdown()
    server.server_close()


@pytest.fixture
def dashboards() -> list[dict[str, Any]]:
    return grafana.load_dashboards()


def push(url: str, dashboards: list[dict[str, Any]], **options: Any) -> list[grafana.Change]:
    datasource = grafana.datasource_model(options.pop("database_url", DATABASE_URL))
    with grafana.connect(url, options.pop("token", TOKEN)) as api:
        return grafana.push(
            api, datasource, options.pop("folder", "Curbside"), dashboards, **options
        )


def actions(changes: list[grafana.Change]) -> set[str]:
    return {change.action for change in changes}


def test_first_push_creates_everything(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """The datasource, the folder and every dashboard are created, the dashboards in the folder."""
    changes = push(url, dashboards)
    assert actions(changes) == {"created"}
    assert len(changes) == 2 + len(dashboards)
    assert [(m, p) for m, p, _ in fake.writes] == [
        ("POST", "/api/datasources"), ("POST", "/api/folders"),
        *[("POST", "/api/dashboards/db")] * len(dashboards),
    ]  # fmt: skip
    source = fake.datasources["curbside-timescaledb"]
    assert (source["type"], source["url"], source["user"]) == (
        "grafana-postgresql-datasource", "timescaledb:5432", "grafana_reader",
    )  # fmt: skip
    assert source["jsonData"]["database"] == "curbside"
    assert source["jsonData"]["timescaledb"] is True
    assert fake.secrets["curbside-timescaledb"] == {"password": "s3cret"}
    assert [f["title"] for f in fake.folders.values()] == ["Curbside"]
    assert {saved["folderUid"] for saved in fake.dashboards.values()} == {"curbside"}
    assert set(fake.dashboards) == {d["uid"] for d in dashboards}


def test_second_push_changes_nothing(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """Pushing again reads everything and writes nothing."""
    push(url, dashboards)
    written = len(fake.writes)
    changes = push(url, dashboards)
    assert actions(changes) == {"unchanged"}
    assert len(fake.writes) == written
    assert all(d["dashboard"]["version"] == 1 for d in fake.dashboards.values())


def test_a_changed_dashboard_is_overwritten(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """Only the dashboard that changed is written, with overwrite, and gets a new version."""
    push(url, dashboards)
    before = len(fake.requests)
    changed = copy.deepcopy(dashboards)
    changed[0]["panels"][0]["title"] = "Renamed"
    changes = push(url, changed)
    assert [c.action for c in changes].count("updated") == 1
    ((method, path, body),) = [r for r in fake.requests[before:] if r[0] != "GET"]
    assert (method, path, body["overwrite"]) == ("POST", "/api/dashboards/db", True)
    assert body["dashboard"]["uid"] == changed[0]["uid"]
    saved = fake.dashboards[changed[0]["uid"]]["dashboard"]
    assert (saved["version"], saved["panels"][0]["title"]) == (2, "Renamed")


def test_a_dashboard_changed_in_grafana_is_put_back(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """A dashboard edited in Grafana, or moved out of the folder, is restored from the file."""
    push(url, dashboards)
    first, second = dashboards[0]["uid"], dashboards[1]["uid"]
    fake.dashboards[first]["dashboard"]["title"] = "Edited by hand"
    fake.dashboards[second]["folderUid"] = ""
    changes = push(url, dashboards)
    assert [c.action for c in changes].count("updated") == 2
    assert fake.dashboards[first]["dashboard"]["title"] == dashboards[0]["title"]
    assert fake.dashboards[second]["folderUid"] == "curbside"


def test_a_changed_database_updates_the_datasource_and_keeps_its_password(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """A new host is written with PUT by uid; the stored password stays when none is given,
    and so do settings push does not manage."""
    push(url, dashboards)
    fake.datasources["curbside-timescaledb"]["jsonData"]["maxOpenConns"] = 7
    other = "postgresql://grafana_reader@db.internal:6432/curbside?sslmode=require"
    changes = push(url, dashboards, database_url=other)
    assert changes[0] == grafana.Change("datasource", "Curbside TimescaleDB", "updated")
    ((method, path, body),) = fake.writes[-1:]
    assert (method, path) == ("PUT", "/api/datasources/uid/curbside-timescaledb")
    assert "secureJsonData" not in body
    source = fake.datasources["curbside-timescaledb"]
    assert source["url"] == "db.internal:6432"
    assert source["jsonData"]["sslmode"] == "require"
    assert source["jsonData"]["maxOpenConns"] == 7, "a setting push does not manage is kept"
    assert fake.secrets["curbside-timescaledb"] == {"password": "s3cret"}
    assert actions(push(url, dashboards, database_url=other)) == {"unchanged"}


def test_force_writes_everything_again(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """--force rewrites the datasource (with a new password) and every dashboard."""
    push(url, dashboards)
    changes = push(url, dashboards, force=True, database_url=DATABASE_URL.replace("s3cret", "new"))
    assert [c.action for c in changes] == ["updated", "unchanged"] + ["updated"] * len(dashboards)
    assert fake.secrets["curbside-timescaledb"] == {"password": "new"}


def test_an_existing_folder_of_that_title_is_used(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """A folder named like the one asked for, whatever its uid, receives the dashboards."""
    fake.folders["made-by-hand"] = {"id": 99, "uid": "made-by-hand", "title": "Waste", "version": 1}
    changes = push(url, dashboards, folder="Waste")
    assert changes[1] == grafana.Change("folder", "Waste", "unchanged")
    assert {saved["folderUid"] for saved in fake.dashboards.values()} == {"made-by-hand"}
    assert not [w for w in fake.writes if w[1] == "/api/folders"]


def test_a_read_only_datasource_is_not_touched(
    fake: FakeGrafana, url: str, dashboards: list[dict[str, Any]]
) -> None:
    """A datasource provisioned from a file is read-only: push says so rather than fail on it."""
    push(url, dashboards)
    fake.datasources["curbside-timescaledb"]["readOnly"] = True
    with pytest.raises(grafana.GrafanaError, match="read-only"):
        push(url, dashboards, database_url=DATABASE_URL.replace("timescaledb", "elsewhere"))


def test_a_wrong_token_is_an_error(url: str, dashboards: list[dict[str, Any]]) -> None:
    """Grafana's 401 becomes a GrafanaError that says Grafana refused."""
    with pytest.raises(grafana.GrafanaError, match=r"refused a request \(401\): Unauthorized"):
        push(url, dashboards, token="wrong")


def test_an_unreachable_grafana_is_an_error(dashboards: list[dict[str, Any]]) -> None:
    """Nothing listening is a GrafanaError, not a traceback from the HTTP client."""
    with pytest.raises(grafana.GrafanaError, match="cannot reach Grafana"):
        push(f"http://127.0.0.1:{free_port()}", dashboards)


def test_the_stand_in_checks_requests(fake: FakeGrafana, url: str) -> None:
    """The stand-in refuses what Grafana documents as refused, so the tests above mean
    something: no token, no title, an unknown field, a stale version."""
    from grafana_client.client import GrafanaClientError

    with grafana.connect(url, None) as anonymous, pytest.raises(GrafanaClientError) as refused:
        anonymous.folder.get_all_folders()
    assert refused.value.status_code == 401
    with grafana.connect(url, TOKEN) as api:
        with pytest.raises(GrafanaClientError) as refused:
            api.dashboard.update_dashboard({"dashboard": {"uid": "x", "title": ""}})
        assert refused.value.status_code == 400
        with pytest.raises(GrafanaClientError) as refused:
            api.datasource.create_datasource({"name": "x", "type": "y", "access": "proxy", "z": 1})
        assert refused.value.status_code == 400
        api.dashboard.update_dashboard({"dashboard": {"uid": "x", "title": "X"}})
        with pytest.raises(GrafanaClientError) as refused:
            api.dashboard.update_dashboard({"dashboard": {"uid": "x", "title": "X", "version": 0}})
        assert refused.value.status_code == 412


@pytest.mark.parametrize(
    ("database_url", "error"),
    [
        ("postgresql://u@/curbside?host=/run/postgresql", "one TCP host"),
        ("postgresql://127.0.0.1/curbside", "user and the database"),
        ("not a url", "not a database URL"),
    ],
)
def test_bad_database_urls(database_url: str, error: str) -> None:
    """A datasource needs a TCP host, a user and a database."""
    with pytest.raises(ValueError, match=error):
        grafana.datasource_model(database_url)


def test_a_password_given_apart_wins(dashboards: list[dict[str, Any]]) -> None:
    """CURBSIDE_GRAFANA_DB_PASSWORD goes before the URL's password; none at all sends none."""
    model = grafana.datasource_model(DATABASE_URL, "other")
    assert model["secureJsonData"] == {"password": "other"}
    assert "secureJsonData" not in grafana.datasource_model("postgresql://u@h:5/db")
    assert grafana.datasource_model("postgresql://u@h/db")["url"] == "h:5432"


def test_the_command_pushes_once(
    fake: FakeGrafana,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """`curbside grafana push` takes the token and database from CURBSIDE_* settings; run
    twice, it writes the second time nothing."""
    monkeypatch.setenv("CURBSIDE_GRAFANA_TOKEN", TOKEN)
    monkeypatch.setenv("CURBSIDE_GRAFANA_DATABASE_URL", DATABASE_URL)
    assert main(["grafana", "push", "--url", url, "--folder", "City"]) == 0
    out = capsys.readouterr().out
    assert "datasource Curbside TimescaleDB: created" in out
    assert "folder City: created" in out
    assert main(["grafana", "push", "--url", url, "--folder", "City"]) == 0
    out = capsys.readouterr().out
    assert "created" not in out
    assert "0 written" in out
    assert main(["grafana", "push", "--url", url, "--dashboards", str(tmp_path)]) == 1
    assert "no dashboards" in capsys.readouterr().err
