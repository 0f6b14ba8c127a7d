"""The forms of the login pages (Flask-WTF: CSRF tokens and field limits)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Username or email and password."""

    username = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ButtonForm(FlaskForm):
    """A form that is only a button (continue, cancel, consent, log out)."""
