"""The delivery settings: defaults, parsing and what is refused (in production)."""

from __future__ import annotations

import pytest

from idp.config import ConfigurationError, load_settings

PRODUCTION = {
    "IDP_ENV": "production",
    "IDP_BASE_URL": "https://idp.example.org",
    "IDP_SECRET_KEY": "s" * 32,
}


def test_the_defaults():
    settings = load_settings(environ={})

    assert settings["IDP_SMTP_SECURITY"] == "auto"
    assert settings["IDP_SMTP_CA_FILE"] == ""
    assert settings["IDP_SMS_GATEWAY_TOKEN"] == ""
    assert settings["IDP_DELIVERY_TIMEOUT_SECONDS"] == 5.0


def test_the_timeout_is_parsed_as_a_float_from_the_environment():
    settings = load_settings(environ={"IDP_DELIVERY_TIMEOUT_SECONDS": "2.5"})

    assert settings["IDP_DELIVERY_TIMEOUT_SECONDS"] == 2.5


@pytest.mark.parametrize("value", ["0", "-1", "30.5", "nan", "inf", "soon"])
def test_a_timeout_outside_0_to_30_is_refused(value):
    with pytest.raises(ConfigurationError, match="IDP_DELIVERY_TIMEOUT_SECONDS"):
        load_settings({"IDP_DELIVERY_TIMEOUT_SECONDS": value}, environ={})


def test_a_timeout_of_30_is_allowed():
    assert load_settings({"IDP_DELIVERY_TIMEOUT_SECONDS": 30}, environ={})[
        "IDP_DELIVERY_TIMEOUT_SECONDS"] == 30


@pytest.mark.parametrize("value", ["auto", "starttls", "ssl", "none"])
def test_the_smtp_security_modes(value):
    assert load_settings({"IDP_SMTP_SECURITY": value}, environ={})["IDP_SMTP_SECURITY"] == value


@pytest.mark.parametrize("value", ["tls", "STARTTLS", "", "plain"])
def test_another_smtp_security_is_refused(value):
    with pytest.raises(ConfigurationError, match="IDP_SMTP_SECURITY"):
        load_settings({"IDP_SMTP_SECURITY": value}, environ={})


def test_a_missing_ca_file_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="IDP_SMTP_CA_FILE"):
        load_settings({"IDP_SMTP_CA_FILE": str(tmp_path / "missing.pem")}, environ={})


def test_an_existing_ca_file_is_taken(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("pem", encoding="utf-8")

    assert load_settings({"IDP_SMTP_CA_FILE": str(path)}, environ={})["IDP_SMTP_CA_FILE"] == \
        str(path)


def test_a_gateway_url_without_http_scheme_is_refused():
    with pytest.raises(ConfigurationError, match="IDP_SMS_GATEWAY_URL"):
        load_settings({"IDP_SMS_GATEWAY_URL": "sms.example.org/send"}, environ={})


@pytest.mark.parametrize("host", ["smtp.example.org", "10.0.0.5", ""])
def test_production_refuses_plain_smtp_to_another_host(host):
    with pytest.raises(ConfigurationError, match="IDP_SMTP_SECURITY"):
        load_settings({**PRODUCTION, "IDP_SMTP_HOST": host, "IDP_SMTP_SECURITY": "none"},
                      environ={})


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "LOCALHOST"])
def test_production_allows_plain_smtp_to_a_loopback_relay(host):
    settings = load_settings({**PRODUCTION, "IDP_SMTP_HOST": host, "IDP_SMTP_SECURITY": "none"},
                             environ={})

    assert settings["IDP_SMTP_SECURITY"] == "none"


def test_development_allows_plain_smtp_anywhere():
    load_settings({"IDP_SMTP_HOST": "mail.dev", "IDP_SMTP_SECURITY": "none"}, environ={})


@pytest.mark.parametrize("url", [
    "http://sms.example.org/send",
    "http://10.0.0.5:8080/send",
    "http://localhost.example.org/send",
    "http://localhost@sms.example.org/send",
])
def test_production_refuses_an_http_gateway_elsewhere(url):
    with pytest.raises(ConfigurationError, match="IDP_SMS_GATEWAY_URL"):
        load_settings({**PRODUCTION, "IDP_SMS_GATEWAY_URL": url}, environ={})


@pytest.mark.parametrize("url", [
    "http://localhost:8080/send",
    "http://127.0.0.1/send",
    "http://[::1]:8080/send",
    "https://sms.example.org/send",
])
def test_production_allows_https_or_a_loopback_gateway(url):
    settings = load_settings({**PRODUCTION, "IDP_SMS_GATEWAY_URL": url}, environ={})

    assert settings["IDP_SMS_GATEWAY_URL"] == url


def test_development_allows_an_http_gateway_anywhere():
    load_settings({"IDP_SMS_GATEWAY_URL": "http://sms.dev/send"}, environ={})
