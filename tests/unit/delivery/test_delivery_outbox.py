"""DevOutbox and Delivery routing: what is kept, in which order, and where messages go."""

from __future__ import annotations

import logging
import threading

import pytest

from idp.delivery import Delivery, DeliveryFailed, Message
from idp.delivery.outbox import DevOutbox


def sms(n: int) -> Message:
    return Message(channel="sms", to="+31612345678", text=f"Your Acme code is {n:06d}.")


def test_the_outbox_keeps_the_newest_200_newest_first():
    outbox = DevOutbox()
    for n in range(250):
        outbox.send(sms(n))

    kept = outbox.messages()

    assert len(kept) == 200
    assert [m.text for _, m in kept[:2]] == ["Your Acme code is 000249.",
                                             "Your Acme code is 000248."]
    assert kept[-1][1].text == "Your Acme code is 000050."
    times = [t for t, _ in kept]
    assert times == sorted(times, reverse=True)


def test_clear_empties_the_outbox():
    outbox = DevOutbox()
    outbox.send(sms(1))

    outbox.clear()

    assert outbox.messages() == []


def test_the_outbox_logs_the_code_for_the_developer(caplog):
    caplog.set_level(logging.INFO, logger="idp.delivery.outbox")

    DevOutbox().send(sms(123456))

    assert "dev outbox: sms to +31612345678 Your Acme code is 123456." in caplog.text


def test_the_outbox_takes_messages_from_many_threads():
    outbox = DevOutbox()
    threads = [threading.Thread(target=lambda: [outbox.send(sms(n)) for n in range(50)])
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outbox.messages()) == 200


def test_delivery_routes_each_channel_to_its_sender():
    texts, mails = DevOutbox(), DevOutbox()
    delivery = Delivery({"sms": texts, "email": mails})
    mail = Message(channel="email", to="a@example.org", text="x", subject="s")

    delivery.send(sms(1))
    delivery.send(mail)

    assert [m for _, m in texts.messages()] == [sms(1)]
    assert [m for _, m in mails.messages()] == [mail]


def test_a_channel_without_sender_cannot_send():
    delivery = Delivery({"sms": None, "email": DevOutbox()})

    assert not delivery.can_send("sms")
    assert delivery.can_send("email")
    assert not delivery.can_send("pigeon")
    with pytest.raises(DeliveryFailed, match="sms"):
        delivery.send(sms(1))


def test_the_code_stays_out_of_a_message_repr():
    assert "987654" not in repr(sms(987654))


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="channel"):
        Message(channel="fax", to="+31612345678", text="x")
