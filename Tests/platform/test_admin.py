"""The platform's admin API against the real hub: tenants, numbers, keys, tool settings and
secrets through /admin/v1 with the platform's key and with tenants' own keys; nothing crosses
tenants; secrets are sealed and never shown; the OpenAPI document matches the routes served."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ADMIN_KEY, ARTIFACTS, MASTER_KEY, REPO_ROOT, start_hub, stop_hub

SECRET_VALUE = "crm-token-9f8e7d6c5b4a3210"


def make_tenant(hub, name: str, packs=("travel",), agent: str = "concierge") -> dict:
    status, tenant, headers = hub.call("POST", "/admin/v1/tenants", {"name": name, "packs": list(packs), "default_agent": agent})
    assert status == 201, tenant
    return tenant


def tenant_key(hub, tenant: str, scope: str = "admin") -> str:
    status, key, _ = hub.call("POST", f"/admin/v1/tenants/{tenant}/keys", {"scope": scope})
    assert status == 201, key
    assert key["key"].startswith("sbk_") and key["hint"] == "…" + key["key"][-4:] and key["scope"] == scope
    return key["key"]


def test_the_platform_key_sets_up_a_tenant_and_bad_requests_are_problems(hub):
    tenant = make_tenant(hub, "Acme Travel")
    assert tenant["id"].startswith("ten_") and tenant["packs"] == ["travel"] and tenant["default_agent"] == "concierge"
    path = f"/admin/v1/tenants/{tenant['id']}"
    status, number, _ = hub.call("POST", path + "/numbers", {"number": "+1 (555) 010-0101", "agent": "flight"})
    assert status == 201 and number["number"] == "+15550100101" and number["agent"] == "flight", number
    status, number, _ = hub.call("POST", path + "/numbers", {"number": "sip:Desk@PBX.example.com", "agent": "hotel"})
    assert status == 201 and number["number"] == "sip:desk@pbx.example.com"
    assert [n["number"] for n in hub.call("GET", path + "/numbers")[1]["data"]] == ["+15550100101", "sip:desk@pbx.example.com"]
    status, setting, _ = hub.call("PUT", path + "/agents/flight/tools/check_flight_status", {"enabled": False, "settings": {"region": "us"}})
    assert status == 200 and setting["enabled"] is False and setting["settings"] == {"region": "us"}, setting
    tools = hub.call("GET", path + "/tools")[1]["data"]
    assert {"agent": "flight", "tool": "check_flight_status", "enabled": False} == {k: v for k, v in next(
        t for t in tools if t["tool"] == "check_flight_status").items() if k in ("agent", "tool", "enabled")}
    assert all(t["enabled"] for t in tools if t["tool"] != "check_flight_status"), "tools are on until turned off"
    status, patched, _ = hub.call("PATCH", path, {"default_agent": "hotel", "limits": {"concurrent_calls": 3, "monthly_spend": 250.5}})
    assert status == 200 and patched["default_agent"] == "hotel" and patched["limits"]["concurrent_calls"] == 3

    # Bad requests: problem details, never a server error.
    cases = [
        ("POST", "/admin/v1/tenants", {"name": "Acme Travel", "packs": ["travel"], "default_agent": "concierge"}, 409),
        ("POST", "/admin/v1/tenants", {"name": "X", "packs": ["no-such-pack"], "default_agent": "concierge"}, 422),
        ("POST", "/admin/v1/tenants", {"name": "X", "packs": ["travel"], "default_agent": "dentist"}, 422),
        ("POST", "/admin/v1/tenants", {"name": "X", "packs": ["travel"], "default_agent": "concierge", "owner": "me"}, 422),
        ("POST", "/admin/v1/tenants", {"name": " ", "packs": ["travel"], "default_agent": "concierge"}, 422),
        ("POST", "/admin/v1/tenants", {"name": "Ac\u0000me", "packs": ["travel"], "default_agent": "concierge"}, 422),
        ("GET", "/admin/v1/tenants/" + tenant["id"] + "%00x", None, 404),
        ("POST", "/admin/v1/tenants", {"name": "X", "packs": [], "default_agent": "concierge"}, 422),
        ("POST", path + "/numbers", {"number": "+15550100101", "agent": "flight"}, 409),
        ("POST", path + "/numbers", {"number": "555-0101", "agent": "flight"}, 422),
        ("POST", path + "/numbers", {"number": "+15550100102", "agent": "dentist"}, 422),
        ("POST", path + "/keys", {"scope": "root"}, 422),
        ("PUT", path + "/agents/flight/tools/no_such_tool", {"enabled": True}, 404),
        ("PUT", path + "/agents/flight/tools/check_flight_status", {"enabled": "yes"}, 422),
        ("PUT", path + "/agents/flight/tools/check_flight_status", {"enabled": True, "settings": [1]}, 422),
        ("PUT", path + "/secrets/Bad-Name", {"value": "x"}, 422),
        ("PUT", path + "/secrets/token", {"value": ""}, 422),
        ("PATCH", path, {"limits": {"concurrent_calls": 0}}, 422),
        ("GET", "/admin/v1/tenants/ten_000000000000000000000000", None, 404),
        ("DELETE", path + "/numbers/%2B15550109999", None, 404),
    ]
    for method, target, body, expected in cases:
        status, problem, headers = hub.call(method, target, body)
        assert status == expected, (method, target, body, status, problem)
        assert headers["Content-Type"] == "application/problem+json", headers
        assert problem["status"] == expected and problem["type"].startswith("urn:switchboard:problem:") and problem["title"] and problem["detail"]
    assert hub.call("POST", "/admin/v1/tenants", {"name": "X"}, content_type="text/plain")[0] == 415
    status, _, headers = hub.call("GET", "/admin/v1/tenants", key=None)
    assert status == 401 and headers.get("WWW-Authenticate") == "Bearer"
    assert hub.call("GET", "/admin/v1/tenants", key="sbk_not-a-key")[0] == 401
    assert "Fatal error" not in hub.log() and hub.process.poll() is None


def test_a_tenants_key_reaches_its_own_tenant_and_nothing_else(hub):
    alpha, beta = make_tenant(hub, "Alpha Air"), make_tenant(hub, "Beta Hotels")
    alpha_key = tenant_key(hub, alpha["id"])
    hub.call("POST", f"/admin/v1/tenants/{beta['id']}/numbers", {"number": "+15550100201", "agent": "hotel"})
    hub.call("PUT", f"/admin/v1/tenants/{beta['id']}/secrets/beta_token", {"value": "beta-secret-value-0001"})
    # Its own tenant: read and change what a business may.
    status, listing, _ = hub.call("GET", "/admin/v1/tenants", key=alpha_key)
    assert status == 200 and [t["id"] for t in listing["data"]] == [alpha["id"]]
    assert hub.call("POST", f"/admin/v1/tenants/{alpha['id']}/numbers", {"number": "+15550100202", "agent": "flight"}, key=alpha_key)[0] == 201
    assert hub.call("PATCH", f"/admin/v1/tenants/{alpha['id']}", {"default_agent": "flight"}, key=alpha_key)[0] == 200
    assert hub.call("PATCH", f"/admin/v1/tenants/{alpha['id']}", {"limits": {"concurrent_calls": 1000}}, key=alpha_key)[0] == 403
    # The platform's own routes are not a tenant's.
    assert hub.call("POST", "/admin/v1/tenants", {"name": "Gamma", "packs": ["travel"], "default_agent": "concierge"}, key=alpha_key)[0] == 403
    assert hub.call("DELETE", f"/admin/v1/tenants/{alpha['id']}", key=alpha_key)[0] == 403
    # Every route of the other tenant, from the OpenAPI document: 404, and nothing changed.
    document = hub.call("GET", "/admin/v1/openapi.json", key=None)[1]
    tried = 0
    for path, operations in document["paths"].items():
        if "{tenant}" not in path:
            continue
        for method, operation in operations.items():
            target = (path.replace("{tenant}", beta["id"]).replace("{number}", "%2B15550100201").replace("{key}", "key_000000000000000000000000")
                      .replace("{agent}", "hotel").replace("{tool}", "check_reservation_status").replace("{name}", "beta_token"))
            body = {"name": "x", "packs": ["travel"], "default_agent": "hotel", "number": "+15550100203", "agent": "hotel", "scope": "admin",
                    "enabled": False, "value": "stolen"} if "requestBody" in operation else None
            if body is not None:
                properties = document["components"]["schemas"][operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]["properties"]
                body = {k: v for k, v in body.items() if k in properties}
            status, problem, _ = hub.call(method.upper(), target, body, key=alpha_key)
            expected = 403 if method == "delete" and path == "/admin/v1/tenants/{tenant}" else 404
            assert status == expected, (method, target, status, problem)
            tried += 1
    assert tried >= 14
    assert hub.call("GET", f"/admin/v1/tenants/{beta['id']}/numbers")[1]["data"][0]["number"] == "+15550100201"
    assert hub.call("GET", f"/admin/v1/tenants/{beta['id']}/secrets")[1]["data"][0]["hint"] == "…0001"
    # A weaker key of its own, and a revoked one.
    client_key = tenant_key(hub, alpha["id"], scope="client")
    assert hub.call("GET", f"/admin/v1/tenants/{alpha['id']}", key=client_key)[0] == 403
    keys = hub.call("GET", f"/admin/v1/tenants/{alpha['id']}/keys")[1]["data"]
    assert all("key" not in k and "hash" not in k for k in keys)
    admin = next(k for k in keys if k["scope"] == "admin")
    assert hub.call("DELETE", f"/admin/v1/tenants/{alpha['id']}/keys/{admin['id']}", key=alpha_key)[0] == 204
    assert hub.call("GET", f"/admin/v1/tenants/{alpha['id']}", key=alpha_key)[0] == 401


def test_secrets_are_sealed_write_only_and_need_the_master_key(tmp_path):
    data = tmp_path / "sealed"
    hub = start_hub(data, "sealed")
    try:
        tenant = make_tenant(hub, "Sealed Co")
        path = f"/admin/v1/tenants/{tenant['id']}/secrets/crm_token"
        status, secret, _ = hub.call("PUT", path, {"value": SECRET_VALUE})
        assert status == 200 and secret == {"name": "crm_token", "hint": "…3210", "updated_at": secret["updated_at"]}
        # Rotated: a new value, a new hint, still never shown.
        status, rotated, _ = hub.call("PUT", path, {"value": SECRET_VALUE + "-rotated-7777"})
        assert rotated["hint"] == "…7777"
        listing = hub.call("GET", f"/admin/v1/tenants/{tenant['id']}/secrets")[1]
        assert [s["name"] for s in listing["data"]] == ["crm_token"]
    finally:
        stop_hub(hub)
    everything = hub.log() + "".join(p.read_bytes().decode("latin-1") for p in data.glob("*.sqlite*"))
    assert SECRET_VALUE not in everything, "the secret is in a log or stored in the clear"
    # The same data with the same key: kept. Without a key: secrets cannot be set.
    again = start_hub(data, "sealed-again")
    try:
        assert again.call("GET", f"/admin/v1/tenants/{tenant['id']}/secrets")[1]["data"][0]["hint"] == "…7777"
    finally:
        stop_hub(again)
    keyless = start_hub(data, "sealed-keyless", master_key=None)
    try:
        status, problem, _ = keyless.call("PUT", f"/admin/v1/tenants/{tenant['id']}/secrets/other", {"value": "some-value-here"})
        assert status == 503 and "SWITCHBOARD_MASTER_KEY" in problem["detail"], problem
    finally:
        stop_hub(keyless)
    with pytest.raises(AssertionError, match="32 random bytes"):
        start_hub(tmp_path / "badkey", "bad-master-key", master_key="c2hvcnQ=")


def test_the_openapi_document_is_the_routes_served(hub):
    status, document, _ = hub.call("GET", "/admin/v1/openapi.json", key=None)
    assert status == 200 and document["openapi"] == "3.1.0"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "openapi.json").write_text(json.dumps(document, indent=1))
    tenant = make_tenant(hub, "Documented")
    hub.call("POST", f"/admin/v1/tenants/{tenant['id']}/numbers", {"number": "+15550100301", "agent": "flight"})
    served = 0
    for path, operations in document["paths"].items():
        for method in operations:
            target = (path.replace("{tenant}", tenant["id"]).replace("{number}", "%2B15550100399").replace("{key}", "key_000000000000000000000000")
                      .replace("{agent}", "flight").replace("{tool}", "check_flight_status").replace("{name}", "token"))
            if method == "delete" and path == "/admin/v1/tenants/{tenant}":
                continue
            status, _, _ = hub.call(method.upper(), target, {} if method in ("post", "put", "patch") else None)
            # Served: an answer of the route itself (a problem at worst), never "no such route".
            assert status not in (405, 500), (method, path, status)
            if status == 404:
                assert "{" in path, (method, path)
            served += 1
    assert served >= 15
    assert hub.call("GET", "/admin/v1/nothing-here")[0] == 404


@pytest.mark.skipif(not (REPO_ROOT / ".venv-schemathesis" / "bin" / "schemathesis").exists(), reason="schemathesis is not installed")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(hub, tmp_path):
    make_tenant(hub, "Fuzzed")
    result = subprocess.run(
        [str(REPO_ROOT / ".venv-schemathesis" / "bin" / "schemathesis"), "run", f"{hub.http_base}/admin/v1/openapi.json",
         "--header", f"Authorization: Bearer {ADMIN_KEY}", "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
         "--max-examples", "25", "--seed", "1", "--exclude-method", "DELETE", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    (ARTIFACTS / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert hub.process.poll() is None
