"""A hanging gateway holds at most the delivery slots of a process, never every thread."""

from __future__ import annotations

import threading

import pytest

from idp.delivery import Delivery, DeliveryFailed, Message
from idp.delivery.sms_gateway import HttpSmsGateway


def sms(to: str) -> Message:
    return Message(channel="sms", to=to, text="123456 is your code")


def test_sends_beyond_the_slots_are_refused_while_the_gateway_hangs(gateway):
    delivery = Delivery({"sms": HttpSmsGateway(gateway.url, None, timeout=3)},
                        concurrency=1, wait=0.2)
    gateway.delay_next(1.5)
    first = threading.Thread(target=delivery.send, args=(sms("+31611111111"),))
    first.start()
    gateway.wait_for("+31611111111")  # the first send now holds the only slot

    with pytest.raises(DeliveryFailed, match="busy"):
        delivery.send(sms("+31622222222"))
    first.join()
    delivery.send(sms("+31633333333"))  # the slot is free again

    assert gateway.wait_for("+31633333333")["to"] == "+31633333333"


def test_a_failed_send_gives_its_slot_back(gateway):
    delivery = Delivery({"sms": HttpSmsGateway(gateway.url, None, timeout=1)},
                        concurrency=1, wait=0.2)
    gateway.fail_next(400)

    with pytest.raises(DeliveryFailed):
        delivery.send(sms("+31644444444"))
    delivery.send(sms("+31655555555"))

    assert gateway.wait_for("+31655555555")
