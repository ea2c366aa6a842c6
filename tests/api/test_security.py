"""API token, portal login and security headers."""

import runpy
from types import SimpleNamespace

import pytest

from portal import login as login_module
from portal import registry
from portal.config import REPO_ROOT, Settings
from portal.exposure import exposure_problem, loopback
from portal.login import Login, Verdict
from portal.security import hash_password, parse_users
from tests.conftest import fresh_app
from tests.serve import segment_callback

TOKEN = "s3cret-token"


@pytest.fixture
def locked(data_dir):
    users = f"alice:{hash_password('wonderland')};bob:{hash_password('builder')}"
    settings = Settings(data_dir=data_dir, api_token=TOKEN, portal_users=users)
    return fresh_app(settings).server.test_client()


def test_without_the_token_nothing_but_health_answers(locked):
    assert locked.get("/api/health").status_code == 200
    for method, path in [
        ("get", "/api/meta"),
        ("get", "/api/table"),
        ("get", "/api/elite"),
        ("get", "/api/decile_lift"),
        ("get", "/api/gain_curve"),
        ("get", "/api/openapi.json"),
        ("post", "/api/predict"),
        ("get", "/api/no-such-route"),
    ]:
        response = getattr(locked, method)(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = locked.get("/api/meta", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert locked.get("/api/meta", headers={"Authorization": TOKEN}).status_code == 401


def test_with_the_token_the_api_answers(locked):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert locked.get("/api/meta", headers=auth).status_code == 200
    body = locked.post("/api/predict", json={"customer_id": "14048"}, headers=auth).get_json()
    assert body["customer_id"] == "14048"


def test_portal_login(locked):
    assert locked.get("/").status_code == 401
    assert locked.get("/").headers["WWW-Authenticate"].startswith("Basic")
    assert locked.get("/_dash-layout").status_code == 401
    assert locked.get("/", auth=("alice", "wrong")).status_code == 401
    assert locked.get("/", auth=("mallory", "wonderland")).status_code == 401
    assert locked.get("/", auth=("alice", "wonderland")).status_code == 200
    assert locked.get("/_dash-layout", auth=("bob", "builder")).status_code == 200


def test_everything_is_open_by_default(client):
    assert client.get("/api/meta").status_code == 200
    assert client.get("/").status_code == 200


def test_security_headers(client):
    for path in ("/", "/api/health", "/api/nope"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_parse_users():
    assert parse_users("a:scrypt:1:2$x$y; b:h") == {"a": "scrypt:1:2$x$y", "b": "h"}
    assert parse_users("") == {} and parse_users(None) == {}


SEGMENT_CALLBACK = segment_callback(5)


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        None,
        "text",
        {"output": "nobody.children"},
        {**SEGMENT_CALLBACK, "output": 3},
        {**SEGMENT_CALLBACK, "inputs": {"id": "x"}},
        {**SEGMENT_CALLBACK, "changedPropIds": "segments-top-pct-slider.value"},
        {**SEGMENT_CALLBACK, "inputs": SEGMENT_CALLBACK["inputs"][:1]},
        {**SEGMENT_CALLBACK, "inputs": [3, 4]},
        {**SEGMENT_CALLBACK, "state": [{"id": "x", "property": "value"}]},
        {**SEGMENT_CALLBACK, "outputs": SEGMENT_CALLBACK["outputs"][:-1]},
        {**SEGMENT_CALLBACK, "outputs": [{"id": "x", "property": "y"}] * 6},
        {k: v for k, v in SEGMENT_CALLBACK.items() if k != "outputs"},
        {**SEGMENT_CALLBACK, "output": "model-activate-result.children", "outputs": []},
    ],
)
def test_malformed_dash_callbacks_are_400(client, body):
    client.get("/")  # Dash registers the pages' callbacks at the first request
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("Malformed callback request")


def test_a_well_formed_dash_callback_still_answers(client):
    client.get("/")
    response = client.post("/_dash-update-component", json=SEGMENT_CALLBACK)
    assert response.status_code == 200
    assert response.get_json()["response"]["segments-top-pct"]["value"] == 5.0


def test_health_without_a_version_names_no_server_path(empty_settings):
    response = fresh_app(empty_settings).server.test_client().get("/api/health")
    assert response.status_code == 503
    detail = response.get_json()["detail"]
    assert "no readable model version" in detail
    assert str(empty_settings.data_dir) not in response.get_data(as_text=True)
    assert "/" not in detail.replace("/api", "")


@pytest.fixture
def hash_calls(monkeypatch):
    """The hashes portal.login verifies passwords against, one entry per scrypt verification."""
    calls = []
    real = login_module.check_password_hash

    def spy(hashed, password):
        calls.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(login_module, "check_password_hash", spy)
    return calls


def test_a_login_is_verified_once_not_per_request(locked, hash_calls):
    for path in ("/", "/_dash-layout", "/_dash-dependencies", "/"):
        assert locked.get(path, auth=("alice", "wonderland")).status_code == 200
    assert len(hash_calls) == 1
    assert locked.get("/", auth=("bob", "builder")).status_code == 200
    assert locked.get("/", auth=("alice", "wrong")).status_code == 401
    assert len(hash_calls) == 3  # other credentials are verified on their own


def test_an_unknown_user_costs_a_hash_like_a_known_one(locked, hash_calls):
    assert locked.get("/", auth=("mallory", "wonderland")).status_code == 401
    assert locked.get("/", auth=("alice", "not-her-password")).status_code == 401
    unknown, known = hash_calls
    assert unknown.split("$")[0] == known.split("$")[0] == "scrypt:32768:8:1"
    assert unknown != known


def test_failed_logins_are_limited_per_client_and_name(data_dir, hash_calls):
    users = f"alice:{hash_password('wonderland')};bob:{hash_password('builder')}"
    settings = Settings(data_dir=data_dir, portal_users=users, login_max_failures=3)
    client = fresh_app(settings).server.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/", auth=("alice", "wonderland"), environ_base=attacker).status_code == 200
    for password in ("a", "b", "c"):
        wrong = client.get("/", auth=("alice", password), environ_base=attacker)
        assert wrong.status_code == 401
    limited = client.get("/", auth=("alice", "d"), environ_base=attacker)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert len(hash_calls) == 4  # a limited attempt costs no hashing
    remembered = client.get("/", auth=("alice", "wonderland"), environ_base=attacker)
    assert remembered.status_code == 200  # verified before: still served
    # the same address may still sign in as another user: one name's guesses lock out no one else
    assert client.get("/", auth=("bob", "builder"), environ_base=attacker).status_code == 200
    other = {"REMOTE_ADDR": "198.51.100.2"}
    assert client.get("/", auth=("alice", "e"), environ_base=other).status_code == 401
    assert len(hash_calls) == 6


def test_a_client_guessing_many_names_is_limited_too(hash_calls):
    login = Login({"alice": hash_password("wonderland")}, max_failures=2, clock=lambda: 50.0)
    names = [f"user{i}" for i in range(2 * login_module.CLIENT_FACTOR)]
    for name in names:  # one guess per name: 20 failures, the client-wide limit
        assert login.attempt("203.0.113.7", name, "x") == Verdict(False)
    assert login.attempt("203.0.113.7", "alice", "wonderland") == Verdict(False, retry_after=60)
    assert login.attempt("198.51.100.2", "alice", "wonderland") == Verdict(True)
    assert len(hash_calls) == 21


@pytest.fixture
def behind_router(data_dir):
    """A portal whose requests all arrive from the router at 10.0.0.1, which appends the client's
    address to X-Forwarded-For; one failure allowed per client and name."""

    def portal(trusted_proxies: int):
        users = f"alice:{hash_password('wonderland')}"
        settings = Settings(
            data_dir=data_dir,
            portal_users=users,
            login_max_failures=1,
            trusted_proxies=trusted_proxies,
        )
        client = fresh_app(settings).server.test_client()

        def get(client_address: str, password: str, claimed: str = "") -> int:
            forwarded = f"{claimed}, {client_address}" if claimed else client_address
            return client.get(
                "/",
                auth=("alice", password),
                headers={"X-Forwarded-For": forwarded},
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
            ).status_code

        return get

    return portal


def test_behind_a_trusted_proxy_failures_count_per_forwarded_client(behind_router):
    get = behind_router(trusted_proxies=1)
    assert get("203.0.113.7", "guess") == 401
    assert get("203.0.113.7", "guess again") == 429
    assert get("203.0.113.7", "guess", claimed="192.0.2.99") == 429  # a forged hop is skipped
    assert get("198.51.100.2", "wonderland") == 200  # alice elsewhere is not locked out


def test_without_trusted_proxies_the_forwarded_address_is_ignored(behind_router):
    get = behind_router(trusted_proxies=0)
    assert get("203.0.113.7", "guess") == 401
    assert get("192.0.2.99", "guess again") == 429  # a client cannot pick its own address
    assert get("198.51.100.2", "wonderland") == 429  # all share the router's: set TRUSTED_PROXIES


def test_trusted_proxies_come_from_the_environment():
    assert Settings.from_env({"TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    assert Settings.from_env({}).trusted_proxies == 0


def test_the_failure_window_and_the_remembered_login_expire(hash_calls):
    now = [1000.0]
    login = Login({"alice": hash_password("wonderland")}, max_failures=2, clock=lambda: now[0])
    assert login.attempt("c", "alice", "x") == Verdict(False)
    now[0] += 30
    assert login.attempt("c", "alice", "y") == Verdict(False)
    assert login.attempt("c", "alice", "wonderland") == Verdict(False, retry_after=30)
    now[0] += 30  # the first failure is a minute old: one more try
    assert login.attempt("c", "alice", "wonderland") == Verdict(True)
    assert login.attempt("c", "alice", "z") == Verdict(False)
    assert login.attempt("c", "alice", "wonderland") == Verdict(True)  # remembered
    assert len(hash_calls) == 4
    now[0] += login_module.REMEMBER_SECONDS
    assert login.attempt("c", "alice", "wonderland") == Verdict(True)
    assert len(hash_calls) == 5  # verified again once the memory expired


def _rollback_body(version: str) -> dict:
    return {
        "output": "model-activate-result.children",
        "outputs": {"id": "model-activate-result", "property": "children"},
        "inputs": [{"id": "model-activate", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["model-activate.n_clicks"],
        "state": [{"id": "model-version-pick", "property": "value", "value": version}],
    }


def _upload_body(callback_map: dict) -> dict:
    """A data-page upload of a small CSV, to the callback the upload control triggers."""
    (output,) = [k for k, v in callback_map.items() if v["inputs"][0]["id"] == "data-upload"]
    declared = callback_map[output]["output"]
    return {
        "output": output,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in declared],
        "inputs": [{"id": "data-upload", "property": "contents", "value": "data:,YSxiCjEsMgo="}],
        "changedPropIds": ["data-upload.contents"],
        "state": [{"id": "data-upload", "property": "filename", "value": "x.csv"}],
    }


@pytest.fixture
def activations(monkeypatch):
    """The versions the model page's rollback callback asked the registry to activate."""
    calls = []
    monkeypatch.setattr(
        registry, "activate_recorded", lambda data_dir, url, version: calls.append(version)
    )
    return calls


def test_with_only_the_token_the_portal_changes_nothing_without_it(tmp_path, activations):
    settings = Settings(data_dir=tmp_path, api_token=TOKEN)
    app = fresh_app(settings)
    client = app.server.test_client()
    rollback = client.post("/_dash-update-component", json=_rollback_body("v1"))
    assert rollback.status_code == 403
    assert "CLV_PORTAL_USERS" in rollback.get_data(as_text=True)
    upload = client.post("/_dash-update-component", json=_upload_body(app.callback_map))
    assert upload.status_code == 403
    assert activations == [] and not settings.uploads_dir.exists()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    tokened = client.post("/_dash-update-component", json=_rollback_body("v1"), headers=auth)
    assert tokened.status_code == 200 and activations == ["v1"]


def test_state_changing_callbacks_run_for_a_portal_user(tmp_path, activations):
    users = f"alice:{hash_password('wonderland')}"
    settings = Settings(data_dir=tmp_path, api_token=TOKEN, portal_users=users)
    client = fresh_app(settings).server.test_client()
    body = _rollback_body("v2")
    assert client.post("/_dash-update-component", json=body).status_code == 401
    assert activations == []
    signed_in = client.post("/_dash-update-component", json=body, auth=("alice", "wonderland"))
    assert signed_in.status_code == 200 and activations == ["v2"]


def test_read_only_callbacks_stay_open_with_only_the_token(tmp_path, data_dir):
    client = fresh_app(Settings(data_dir=data_dir, api_token=TOKEN)).server.test_client()
    assert client.post("/_dash-update-component", json=SEGMENT_CALLBACK).status_code == 200


@pytest.mark.parametrize(
    "bind, local",
    [
        ("127.0.0.1:8050", True),
        ("127.0.0.2", True),
        ("localhost:80", True),
        ("[::1]:8050", True),
        ("::1", True),
        ("unix:/run/clv.sock", True),
        ("0.0.0.0:8050", False),
        ("[::]:8050", False),
        (":8050", False),
        ("10.0.0.5:8050", False),
        ("portal.example.com:443", False),
    ],
)
def test_loopback_binds(bind, local):
    assert loopback(bind) is local


def test_a_public_bind_with_only_the_token_is_refused(tmp_path):
    token_only = Settings(data_dir=tmp_path, api_token=TOKEN)
    problem = exposure_problem(token_only, ["127.0.0.1:8050", "0.0.0.0:8050"])
    assert "open on 0.0.0.0:8050:" in problem
    assert "CLV_PORTAL_USERS" in problem
    assert exposure_problem(token_only, ["127.0.0.1:8050"]) is None
    for malformed in ("alice", " ; "):  # no login can come of these: the pages are open
        unusable = Settings(data_dir=tmp_path, api_token=TOKEN, portal_users=malformed)
        assert exposure_problem(unusable, ["0.0.0.0:8050"]) is not None
    users = f"alice:{hash_password('wonderland')}"
    for fine in (
        Settings(data_dir=tmp_path),
        Settings(data_dir=tmp_path, api_token=TOKEN, portal_users=users),
        Settings(data_dir=tmp_path, api_token=TOKEN, portal_open=True),
    ):
        assert exposure_problem(fine, ["0.0.0.0:8050"]) is None
    assert Settings.from_env({"CLV_PORTAL_OPEN": "1"}).portal_open


def test_gunicorn_refuses_to_start_exposed(monkeypatch, tmp_path):
    """gunicorn.conf.py's start hook exits before anything is bound or trained."""
    hooks = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLV_API_TOKEN", TOKEN)
    monkeypatch.delenv("CLV_PORTAL_USERS", raising=False)
    monkeypatch.delenv("CLV_PORTAL_OPEN", raising=False)
    server = SimpleNamespace(cfg=SimpleNamespace(bind=["0.0.0.0:8050"]))
    with pytest.raises(SystemExit, match="CLV_PORTAL_USERS"):
        hooks["on_starting"](server)
    assert list(tmp_path.iterdir()) == []
