"""oidcc-server / oidcc-basic: the code flow signs a user in at the default level (30)."""

from tests.support.rp import StrictRP


def test_password_and_totp_give_an_id_token_at_level_30(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)

    response = rp.sign_in(user)
    tokens = rp.exchange(response["code"])

    claims = tokens["claims"]
    assert claims["sub"] == user.subject
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["sub"] == user.subject
    assert info["preferred_username"] == user.username
