"""Messages sent later: the caller never waits for the channel, a bounded number wait their
turn, and each outcome is reported once, in the background."""

from __future__ import annotations

import threading

from idp.delivery import Delivery, DeliveryFailed, Message, hold_background_sends
from idp.delivery.sms_gateway import HttpSmsGateway
from idp.delivery.smtp import SmtpSender
from tests.support.mailbox import Mailbox

TO = "someone@example.org"


def mail(to: str = TO) -> Message:
    return Message(channel="email", to=to, subject="Your code", text="123456 is your code")


class Outcomes:
    """What the callbacks of send_later were told, by message."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failed: dict[str, str] = {}
        self.threads: set[str] = set()

    def of(self, name: str) -> dict:
        def sent() -> None:
            self.sent.append(name)
            self.threads.add(threading.current_thread().name)

        def failed(exc: DeliveryFailed) -> None:
            self.failed[name] = str(exc)
            self.threads.add(threading.current_thread().name)

        return {"on_sent": sent, "on_failure": failed}


def smtp(mailbox: Mailbox, timeout: float = 10) -> Delivery:
    return Delivery({"email": SmtpSender("127.0.0.1", mailbox.port, "none", "", "",
                                         "idp@example.org", timeout)},
                    concurrency=1, backlog=1)


def test_the_caller_returns_while_the_mail_server_holds_the_message(mailbox_factory):
    mailbox = mailbox_factory()
    delivery = smtp(mailbox)
    outcomes = Outcomes()
    mailbox.hold()

    delivery.send_later(mail(), **outcomes.of("first"))

    assert mailbox.wait_held()  # the server has it and has not answered: we did not wait
    assert outcomes.sent == [] and mailbox.received_for(TO) == 0
    mailbox.release()
    assert delivery.settle(10)
    assert outcomes.sent == ["first"] and not outcomes.failed
    assert mailbox.wait_for(TO)["Subject"] == "Your code"
    assert all(name.startswith("idp-delivery") for name in outcomes.threads)


def test_a_full_backlog_refuses_at_once_and_the_others_are_sent(mailbox_factory):
    mailbox = mailbox_factory()
    delivery = smtp(mailbox)  # one thread, one waiting
    outcomes = Outcomes()
    mailbox.hold()
    delivery.send_later(mail("a@example.org"), **outcomes.of("sending"))
    assert mailbox.wait_held()
    delivery.send_later(mail("b@example.org"), **outcomes.of("waiting"))

    delivery.send_later(mail("c@example.org"), **outcomes.of("refused"))

    assert outcomes.failed == {"refused": "the background sender of this process is full"}
    assert threading.current_thread().name in outcomes.threads  # told at once, here
    mailbox.release()
    assert delivery.settle(10)
    assert outcomes.sent == ["sending", "waiting"]
    assert mailbox.received_for("c@example.org") == 0
    delivery.send_later(mail("d@example.org"), **outcomes.of("later"))  # room again
    assert delivery.settle(10) and outcomes.sent[-1] == "later"


def test_a_refused_message_is_reported_as_failed_in_the_background(mailbox_factory):
    mailbox = mailbox_factory()
    mailbox.refuse("554 No thanks")
    delivery = smtp(mailbox)
    outcomes = Outcomes()

    delivery.send_later(mail(), **outcomes.of("refused"))

    assert delivery.settle(10)
    assert outcomes.sent == [] and outcomes.failed["refused"].startswith("SMTP 554")
    assert all(name.startswith("idp-delivery") for name in outcomes.threads)


def test_a_channel_without_a_sender_and_a_sender_bug_are_failures_too(gateway):
    class Broken:
        def send(self, message: Message) -> None:
            raise ValueError("a bug")

    delivery = Delivery({"email": None, "sms": Broken()})
    outcomes = Outcomes()

    delivery.send_later(mail(), **outcomes.of("nowhere"))
    delivery.send_later(Message(channel="sms", to="+31611111111", text="1"),
                        **outcomes.of("bug"))

    assert delivery.settle(10)
    assert outcomes.failed == {"nowhere": "no sender configured for email",
                               "bug": "ValueError: a bug"}


def test_a_failing_callback_does_not_stop_the_sender(gateway):
    delivery = Delivery({"sms": HttpSmsGateway(gateway.url, None, timeout=3)})

    def boom() -> None:
        raise RuntimeError("callback bug")

    delivery.send_later(Message(channel="sms", to="+31622222222", text="1"), on_sent=boom)
    delivery.send_later(Message(channel="sms", to="+31633333333", text="2"))

    assert delivery.settle(10)
    assert gateway.wait_for("+31633333333")["message"] == "2"


def test_held_sends_wait_for_release_and_count_as_unsettled_meanwhile():
    class Recorder:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, message: Message) -> None:
            self.sent.append(message.to)

    recorder = Recorder()
    delivery = Delivery({"email": recorder}, concurrency=1, backlog=0)
    outcomes = Outcomes()
    held = hold_background_sends()
    try:
        delivery.send_later(mail("a@example.org"), **outcomes.of("kept"))
        delivery.send_later(mail("b@example.org"), **outcomes.of("no room"))

        assert recorder.sent == [] and outcomes.failed == {} and not delivery.settle(0)
    finally:
        held.release()
    assert delivery.settle(10)
    assert recorder.sent == ["a@example.org"] and outcomes.sent == ["kept"]
    assert outcomes.failed == {"no room": "the background sender of this process is full"}
    delivery.send_later(mail("c@example.org"))  # nothing held any more: handed over at once
    assert delivery.settle(10) and recorder.sent[-1] == "c@example.org"
