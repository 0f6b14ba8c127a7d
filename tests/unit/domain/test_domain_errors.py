import pytest

from idp.domain import (
    DomainError,
    InvalidAcrRequest,
    InvalidSettings,
    UnmetAuthenticationRequirements,
)


@pytest.mark.parametrize(
    ("error_class", "code"),
    [
        (InvalidSettings, "invalid_request"),
        (InvalidAcrRequest, "invalid_request"),
        (UnmetAuthenticationRequirements, "unmet_authentication_requirements"),
    ],
)
def test_each_error_carries_its_protocol_error_code(error_class, code):
    error = error_class("why")
    assert isinstance(error, DomainError)
    assert error.error == code
    assert error_class.error == code


@pytest.mark.parametrize(
    "error_class",
    [DomainError, InvalidSettings, InvalidAcrRequest, UnmetAuthenticationRequirements],
)
def test_error_description_is_the_message(error_class):
    error = error_class("level 40 cannot be reached")
    assert error.description == "level 40 cannot be reached"
    assert str(error) == "level 40 cannot be reached"


@pytest.mark.parametrize(
    "error_class",
    [DomainError, InvalidSettings, InvalidAcrRequest, UnmetAuthenticationRequirements],
)
def test_error_without_message_gets_a_readable_default_description(error_class):
    error = error_class()
    assert error.description == error_class.default_description
    assert error.description
    assert str(error) == error.description


def test_unmet_requirements_is_raised_and_caught_as_a_domain_error():
    with pytest.raises(DomainError) as caught:
        raise UnmetAuthenticationRequirements("no")
    assert caught.value.error == "unmet_authentication_requirements"
