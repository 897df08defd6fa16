"""The shared fixture vectors (fixtures/*.json), run through the installed wheel's native module,
so the Python build computes exactly what the Rust, Node and peer suites expect."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List

import pytest

from aws_login._native import vectors

FIXTURES = pathlib.Path(__file__).resolve().parents[4] / "fixtures"


def load(name: str) -> Dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def data(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def text(relative: str) -> str:
    return (FIXTURES / relative).read_text()


def cases(name: str, key: str) -> List[Any]:
    found = load(name)[key]
    assert found, f"{name} has no {key}"
    return found


def kind_of(error: ValueError) -> str:
    return str(error.args[0])


@pytest.mark.parametrize("case", cases("pkce.json", "pairs"), ids=lambda c: c["verifier"][:16])
def test_pkce_challenge(case: Dict[str, Any]) -> None:
    assert vectors.pkce_challenge(case["verifier"]) == case["challenge"]


@pytest.mark.parametrize("case", cases("pkce.json", "fromRandomBytes"), ids=lambda c: c["bytesHex"][:16])
def test_pkce_verifier_from_random_bytes(case: Dict[str, Any]) -> None:
    assert vectors.pkce_verifier_from_random_bytes(bytes.fromhex(case["bytesHex"])) == case["verifier"]


@pytest.mark.parametrize("verifier", cases("pkce.json", "invalidVerifiers"))
def test_pkce_rejects_invalid_verifiers(verifier: str) -> None:
    with pytest.raises(ValueError):
        vectors.pkce_challenge(verifier)


@pytest.mark.parametrize("case", cases("authorize_urls.json", "cases"), ids=lambda c: c["name"])
def test_authorize_urls(case: Dict[str, Any]) -> None:
    if case["mode"] == "same-device":
        redirect = f"http://127.0.0.1:{case['redirectPort']}/oauth/callback"
    else:
        redirect = vectors.confirmation_url(case["base"])
    assert redirect == case["redirectUri"]
    url = vectors.authorize_request_url(
        case["base"], case["clientId"], case["state"], case["codeChallenge"], redirect
    )
    assert url == case["url"]


def test_dpop_key_both_pem_forms() -> None:
    fixture = load("dpop.json")
    sec1, pkcs8 = text(fixture["keySec1File"]), text(fixture["keyPkcs8File"])
    for pem in (sec1, pkcs8):
        info = vectors.dpop_key_info(pem)
        assert info["publicJwk"] == fixture["publicJwk"]
        assert info["x"] == fixture["jwk"]["x"] and info["y"] == fixture["jwk"]["y"]
        assert info["thumbprint"] == fixture["thumbprint"]
        assert info["sec1Pem"] == sec1, "SEC1 writing is byte-exact"
        assert info["pkcs8Pem"] == pkcs8


@pytest.mark.parametrize("case", cases("dpop.json", "proofs"), ids=lambda c: c["jti"][:8] + c["htu"][-12:])
def test_dpop_proofs(case: Dict[str, Any]) -> None:
    fixture = load("dpop.json")
    proof = vectors.dpop_proof(text(fixture["keySec1File"]), case["htm"], case["htu"], case["iat"], case["jti"])
    header, payload, _ = proof.split(".")
    assert header == case["headerSegment"]
    assert payload == case["payloadSegment"]
    assert proof == case["proof"], "RFC 6979 signatures are deterministic"
    claims = vectors.dpop_verify(case["proof"])
    assert claims["thumbprint"] == fixture["thumbprint"]
    assert (claims["htm"], claims["htu"], claims["iat"], claims["jti"]) == (
        case["htm"],
        case["htu"],
        case["iat"],
        case["jti"],
    )


def test_dpop_peer_proofs_verify() -> None:
    fixture = load("dpop.json")
    for case in fixture["peerProofs"]:
        claims = vectors.dpop_verify(case["proof"])
        assert claims["thumbprint"] == fixture["thumbprint"], case.get("peer")
        assert claims["htu"] == case["htu"]


@pytest.mark.parametrize("case", cases("dpop.json", "badKeys"), ids=lambda c: c["name"])
def test_dpop_bad_keys(case: Dict[str, Any]) -> None:
    with pytest.raises(ValueError) as caught:
        vectors.dpop_key_info(case["pem"])
    assert kind_of(caught.value) == "InvalidDpopKey"


@pytest.mark.parametrize("case", cases("endpoints.json", "cases"), ids=lambda c: f"{c['region']}-{c['fips']}-{c['dualStack']}")
def test_endpoints(case: Dict[str, Any]) -> None:
    if case.get("base") is None:
        with pytest.raises(ValueError):
            vectors.endpoint_base(case["region"], case["fips"], case["dualStack"])
    else:
        assert vectors.endpoint_base(case["region"], case["fips"], case["dualStack"]) == case["base"]


@pytest.mark.parametrize("case", cases("endpoints.json", "overrides"), ids=lambda c: c["url"])
def test_endpoint_overrides(case: Dict[str, Any]) -> None:
    if case.get("tokenUrl") is None:
        with pytest.raises(ValueError):
            vectors.override_token_url(case["url"])
    else:
        assert vectors.override_token_url(case["url"]) == case["tokenUrl"]


@pytest.mark.parametrize("case", cases("export_formats.json", "cases"), ids=lambda c: c["name"])
def test_export_formats(case: Dict[str, Any]) -> None:
    creds = case["credentials"]
    for format_name, expected in case["outputs"].items():
        rendered = vectors.render_export(
            format_name,
            creds["accessKeyId"],
            creds["secretAccessKey"],
            creds["sessionToken"],
            creds["expiration"],
            creds.get("accountId"),
        )
        assert rendered == expected, format_name


@pytest.mark.parametrize("case", cases("cache.json", "entries"), ids=lambda c: c["format"])
def test_cache_entries(case: Dict[str, Any]) -> None:
    raw = data(case["file"])
    assert vectors.cache_file_name(case["sessionArn"]) == case["fileName"]
    parsed = vectors.parse_cache_entry(raw)
    want = case["credentials"]
    for field in ("accessKeyId", "secretAccessKey", "sessionToken", "expirationUnix", "accountId"):
        assert parsed[field] == want[field], field
    assert parsed["thumbprint"] == case["thumbprint"]
    if case["rewriteIsIdentity"]:
        assert vectors.rewrite_cache_entry(raw) == raw.decode(), "rewrite must be byte-identical"


@pytest.mark.parametrize("case", cases("cache.json", "refreshDecisions"), ids=lambda c: c["now"])
def test_cache_refresh_decisions(case: Dict[str, Any]) -> None:
    assert vectors.refresh_decision(data(case["file"]), case["now"]) == case["decision"]


@pytest.mark.parametrize("case", cases("cache.json", "applyRefresh"), ids=lambda c: c["expectedFile"])
def test_cache_apply_refresh(case: Dict[str, Any]) -> None:
    written = vectors.apply_refresh(data(case["file"]), json.dumps(case["responseBody"]), case["now"])
    assert written == text(case["expectedFile"])
    assert json.loads(written)["accessToken"]["expiresAt"].startswith(case["expectedExpiresAt"][:19])


@pytest.mark.parametrize("case", cases("cache.json", "invalid"), ids=lambda c: c["file"])
def test_cache_invalid(case: Dict[str, Any]) -> None:
    with pytest.raises(ValueError) as caught:
        vectors.parse_cache_entry(data(case["file"]))
    assert kind_of(caught.value) == case["error"]
    message = str(caught.value.args[1])
    assert "log in again" in message
    for field in case.get("missingFields") or []:
        assert field in message


@pytest.mark.parametrize("case", cases("cache.json", "logoutAll"), ids=lambda c: c["json"][:30])
def test_logout_all_selection(case: Dict[str, Any]) -> None:
    assert vectors.is_login_entry(case["json"].encode()) == case["isLoginEntry"]


@pytest.mark.parametrize("case", cases("token_responses.json", "cases"), ids=lambda c: c["name"])
def test_token_responses(case: Dict[str, Any]) -> None:
    headers = list((case.get("headers") or {}).items())
    got = vectors.parse_token_reply(case["status"], headers, case["body"])
    expect = case["expect"]
    assert got["kind"] == expect["kind"], got
    if expect["kind"] == "ok":
        for field in ("accessKeyId", "secretAccessKey", "sessionToken", "expiresIn", "refreshToken"):
            assert got[field] == expect[field], field
        assert got["idToken"] == expect.get("idToken")
    else:
        assert got["error"] == expect["error"]
        assert got["retryable"] == expect["retryable"]
        assert got["needsLogin"] == expect["needsLogin"]
        if expect.get("code") is not None:
            assert got["code"] == expect["code"]
        for needle in expect.get("messageContains") or []:
            assert needle in got["message"]


def _callback_cases(key: str) -> List[Any]:
    fixture = load("callbacks.json")
    return [dict(case, expectedState=fixture["expectedState"]) for case in fixture[key]]


@pytest.mark.parametrize("case", _callback_cases("callbacks"), ids=lambda c: c["query"][:40])
def test_callbacks(case: Dict[str, Any]) -> None:
    if "code" in case:
        assert vectors.callback_code(case["query"], case["expectedState"]) == case["code"]
    else:
        with pytest.raises(ValueError) as caught:
            vectors.callback_code(case["query"], case["expectedState"])
        assert kind_of(caught.value) == case["error"]


@pytest.mark.parametrize("case", _callback_cases("remoteCodes"), ids=lambda c: c["pasted"][:24])
def test_remote_codes(case: Dict[str, Any]) -> None:
    if "code" in case:
        assert vectors.remote_code(case["pasted"], case["expectedState"]) == case["code"]
    else:
        with pytest.raises(ValueError) as caught:
            vectors.remote_code(case["pasted"], case["expectedState"])
        assert kind_of(caught.value) == case["error"]


@pytest.mark.parametrize("case", cases("id_tokens.json", "cases"), ids=lambda c: c["idToken"][-16:])
def test_id_tokens(case: Dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ValueError) as caught:
            vectors.login_session_of_id_token(case["idToken"])
        assert kind_of(caught.value) == case["error"]
    else:
        session = vectors.login_session_of_id_token(case["idToken"])
        for field in ("arn", "partition", "accountId", "resource", "cacheFileName"):
            assert session[field] == case[field], field


@pytest.mark.parametrize("case", cases("token_requests.json", "cases"), ids=lambda c: c["grantType"])
def test_token_requests(case: Dict[str, Any]) -> None:
    key = text(load("dpop.json")["keySec1File"])
    request = vectors.token_request(
        case["grantType"],
        case["clientId"],
        case["tokenUrl"],
        key,
        case["iat"],
        case["jti"],
        code=case.get("code"),
        code_verifier=case.get("codeVerifier"),
        redirect_uri=case.get("redirectUri"),
        refresh_token=case.get("refreshToken"),
    )
    expected = case["expected"]
    assert request["method"] == expected["method"]
    assert request["url"] == expected["url"]
    assert request["body"] == expected["body"]
    for name, value in expected["headers"].items():
        assert request["headers"][name] == value, name


_SECTION_KINDS = {"profiles": "profile", "ssoSessions": "sso-session", "services": "services"}


@pytest.mark.parametrize("case", cases("config.json", "parse"), ids=lambda c: c["file"])
def test_config_parse(case: Dict[str, Any]) -> None:
    config = text(case["file"])
    checked = 0
    for key, kind in _SECTION_KINDS.items():
        for name, values in (case.get(key) or {}).items():
            for field, want in values.items():
                if isinstance(want, dict):
                    for sub_key, sub_want in want.items():
                        assert vectors.config_value(config, kind, name, field, sub_key) == sub_want
                        checked += 1
                else:
                    assert vectors.config_value(config, kind, name, field) == want, (kind, name, field)
                    checked += 1
    assert checked > 0
    if "profileNames" in case:
        assert vectors.config_profile_names(config) == case["profileNames"]
    for profile, style in (case.get("credentialStyles") or {}).items():
        assert vectors.config_credential_style(config, profile) == style, profile
    for profile, url in (case.get("signinEndpointUrls") or {}).items():
        assert vectors.config_signin_endpoint_url(config, profile) == url, profile


@pytest.mark.parametrize("case", cases("config.json", "edits"), ids=lambda c: c["name"])
def test_config_edits(case: Dict[str, Any]) -> None:
    config = text(case["before"])
    for change in case["set"]:
        section = change["section"]
        config = vectors.config_set(config, section["kind"], section["name"], change["key"], change["value"])
    assert config == text(case["after"]), "the edit must keep every other byte"
    for change in case["set"]:
        section = change["section"]
        assert vectors.config_value(config, section["kind"], section["name"], change["key"]) == change["value"]


@pytest.mark.parametrize("case", cases("chain.json", "cases"), ids=lambda c: c["name"])
def test_chain_plans(case: Dict[str, Any]) -> None:
    """The profile-chain planner (config + credentials file -> base source and roles, or why not)."""
    if case.get("error") is None:
        assert vectors.chain_plan(case["config"], case["credentials"], case["profile"]) == case["plan"]
    else:
        with pytest.raises(ValueError) as caught:
            vectors.chain_plan(case["config"], case["credentials"], case["profile"])
        assert kind_of(caught.value) == case["error"]["kind"]
        for part in case["error"]["messageContains"]:
            assert part in str(caught.value.args[1])
