"""A request's background sends start once its whole answer is written (or closed), never
while the server is still writing it."""

from __future__ import annotations

from idp.delivery import Delivery, Message
from idp.web.later import SendAfterAnswer


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: Message) -> None:
        self.sent.append(message.to)


def app_sending(delivery: Delivery, parts: list[bytes]):
    def app(environ, start_response):
        delivery.send_later(Message(channel="email", to="a@example.org", text="123456"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return parts

    return app


def start_response(status, headers):
    return None


def test_the_send_starts_after_the_last_part_is_written():
    recorder = Recorder()
    delivery = Delivery({"email": recorder})
    answer = SendAfterAnswer(app_sending(delivery, [b"one", b"two"]))({}, start_response)
    written = []

    for part in answer:
        written.append(part)
        assert not delivery.settle(0) and recorder.sent == []  # still writing

    assert written == [b"one", b"two"]
    assert delivery.settle(10) and recorder.sent == ["a@example.org"]


def test_an_answer_closed_early_hands_the_send_over_too():
    recorder = Recorder()
    delivery = Delivery({"email": recorder})
    answer = SendAfterAnswer(app_sending(delivery, [b"one", b"two"]))({}, start_response)
    iterator = iter(answer)
    next(iterator)  # the client went away after the first part

    answer.close()

    assert delivery.settle(10) and recorder.sent == ["a@example.org"]


def test_an_answer_that_holds_no_send_reaches_the_server_as_the_app_made_it():
    parts = [b"whole"]

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return parts

    # The same list: servers write a list at once (granian part by part otherwise).
    assert SendAfterAnswer(app)({}, start_response) is parts
