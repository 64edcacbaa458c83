"""Text messages end to end over loopback: the Twilio-shaped adapter against the stand-in, the
stand-in's status reports and its state across a restart, STOP and START replies through our
signed webhook (and refused unsigned), and nothing texted without consent or after a STOP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from frontdesk.db import Database
from frontdesk.models import AuditEvent, Customer, Initiator, OutboxItem, Text, TextStatus
from frontdesk.services import audit, businesses, texts
from frontdesk.services.errors import Invalid
from frontdesk.services.links import Links
from frontdesk.settings import Settings
from frontdesk.texts import sandbox
from frontdesk.texts.provider import TextRefused, TextUnavailable, signature
from tests.factories import make_business
from tests.texts_bed import E164, FROM, SID, TOKEN, Bed, texts_bed

STAFF = audit.Actor(Initiator.STAFF, "staff_1")


@pytest.fixture
def bed(db: Database, settings: Settings, tmp_path: Path) -> Iterator[Bed]:
    with texts_bed(db, settings, tmp_path / "texts.json") as made:
        yield made


def text_link(bed: Bed, customer: Customer, ready: bool = True) -> Text:
    with bed.db.session(customer.business_id) as session:
        business = businesses.get(session, customer.business_id)
        found = session.get(Customer, customer.id)
        assert found is not None
        return texts.text_pay_link(
            session,
            business=business,
            customer=found,
            links=Links.from_settings(bed.settings),
            actor=STAFF,
            ready=ready,
        )


def test_the_signature_is_twilios_documented_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params.items()) == "GvWf1cFY/Q7PnoempGyD5oXAezc="


def test_a_text_goes_through_the_stand_in_and_its_delivery_is_reported(bed: Bed) -> None:
    casey = bed.customer()
    queued = text_link(bed, casey)
    assert (queued.status, queued.to_number) == (TextStatus.QUEUED, E164)
    assert bed.sent_by_standin() == []
    assert bed.send() == 1
    [sent] = bed.sent_by_standin()
    assert (sent["to"], sent["from"]) == (E164, FROM)
    assert "#frontdesk=" in str(sent["body"]) and "Reply STOP to opt out." in str(sent["body"])
    [text] = bed.texts(casey)
    assert text.provider_sid == sent["sid"] and text.body == sent["body"]
    # The stand-in reports "sent" and then "delivered" to our signed status webhook.
    bed.wait(lambda: bed.texts(casey)[0].status == TextStatus.DELIVERED, "the delivery report")
    assert bed.send() == 0  # sent once


def test_the_provider_refuses_bad_numbers_and_wrong_credentials(bed: Bed) -> None:
    with pytest.raises(TextRefused) as bad:
        bed.provider.send("555-0142", "Hello")
    assert bad.value.code == 21211
    with pytest.raises(TextRefused) as landline:
        bed.provider.send(sandbox.LANDLINE, "Hello")
    assert landline.value.code == 21614
    wrong = bed.settings.model_copy(update={"sms_auth_token": "x" * 32})
    provider = type(bed.provider).from_settings(wrong)
    assert provider is not None
    with pytest.raises(TextUnavailable):
        provider.send(E164, "Hello")
    assert bed.sent_by_standin() == []


def test_a_refused_text_is_recorded_failed_and_not_tried_again(bed: Bed) -> None:
    landline = bed.customer(phone=sandbox.LANDLINE)
    text_link(bed, landline)
    assert bed.send() == 1
    [text] = bed.texts(landline)
    assert text.status == TextStatus.FAILED and "21614" in text.error
    assert bed.send() == 0


@pytest.mark.parametrize(
    "word", ["STOP", "stop ", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit"]
)
def test_stop_turns_texts_off_and_what_was_queued_never_goes(bed: Bed, word: str) -> None:
    casey = bed.customer()
    text_link(bed, casey)
    answer = bed.reply(word)
    assert answer.json()["webhook_status"] == 200
    fresh = bed.fresh(casey)
    assert (fresh.sms_consent, fresh.sms_consent_text, fresh.sms_consent_at) == (False, "", None)
    queued, reply = bed.texts(casey)
    assert (queued.status, queued.error) == (
        TextStatus.WITHDRAWN,
        f"replied {word.strip().upper()}",
    )
    assert (reply.inbound, reply.purpose, reply.status) == (True, "stop", TextStatus.RECEIVED)
    assert bed.send() == 1 and bed.sent_by_standin() == []
    with pytest.raises(Invalid, match="has not agreed to text messages"):
        text_link(bed, casey)
    with bed.db.session(casey.business_id) as session:
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "customer.texts_stopped")
        ).all()
        assert (event.actor_type, event.target_id) == ("customer", casey.id)


def test_a_text_queued_before_a_stop_the_webhook_missed_is_withdrawn_when_sent(bed: Bed) -> None:
    casey = bed.customer()
    text_link(bed, casey)
    with bed.db.session(casey.business_id) as session:
        found = session.get(Customer, casey.id)
        assert found is not None
        found.sms_consent = False  # as the portal's profile does
    assert bed.send() == 1
    assert bed.sent_by_standin() == []
    assert bed.texts(casey)[0].status == TextStatus.WITHDRAWN


def test_start_subscribes_again_those_stop_turned_off_and_no_one_else(bed: Bed) -> None:
    casey = bed.customer()
    never_agreed = bed.customer(sms_consent=False, sms_consent_text="")
    bed.reply("STOP")
    assert bed.reply("START").json()["webhook_status"] == 200
    fresh = bed.fresh(casey)
    assert fresh.sms_consent and f"from {E164}" in fresh.sms_consent_text
    assert not bed.fresh(never_agreed).sms_consent
    text_link(bed, casey)
    assert bed.send() == 1 and len(bed.sent_by_standin()) == 1


def test_a_stop_reaches_every_business_with_a_customer_at_that_number(bed: Bed) -> None:
    other = make_business(bed.db)
    here = bed.customer(phone="(555) 010-0142", country="US")
    there = bed.customer(other, phone="+1 555-010-0142")
    elsewhere = bed.customer(phone="+1 555 010 0143")
    bed.reply("STOP")
    assert not bed.fresh(here).sms_consent and not bed.fresh(there).sms_consent
    assert bed.fresh(elsewhere).sms_consent


def post_reply(bed: Bed, params: dict[str, str], token: str = TOKEN, url: str = "") -> int:
    target = url or f"{bed.app.url}/webhooks/texts"
    sign = signature(token, target, params.items())
    answer = httpx.post(
        f"{bed.app.url}/webhooks/texts", data=params, headers={"X-Twilio-Signature": sign}
    )
    return answer.status_code


def test_an_unsigned_or_badly_signed_reply_is_refused_and_changes_nothing(bed: Bed) -> None:
    casey = bed.customer()
    stop = {"From": E164, "To": FROM, "Body": "STOP", "MessageSid": "SM" + "1" * 32}
    unsigned = httpx.post(f"{bed.app.url}/webhooks/texts", data=stop)
    assert unsigned.status_code == 403
    assert post_reply(bed, stop, token="x" * 32) == 403
    assert post_reply(bed, stop, url="https://elsewhere.example/webhooks/texts") == 403
    # Signed for another body: a STOP forged onto a genuine "hello".
    forged = signature(TOKEN, f"{bed.app.url}/webhooks/texts", {**stop, "Body": "hello"}.items())
    answer = httpx.post(
        f"{bed.app.url}/webhooks/texts", data=stop, headers={"X-Twilio-Signature": forged}
    )
    assert answer.status_code == 403
    assert bed.fresh(casey).sms_consent and bed.texts(casey) == []
    # The same reply, signed as the provider signs it, is taken: the refusals were the signature's.
    assert post_reply(bed, stop) == 200
    assert post_reply(bed, stop) == 200  # posted again by the provider: recorded once
    assert not bed.fresh(casey).sms_consent and len(bed.texts(casey)) == 1


def test_nothing_is_queued_without_consent_a_number_or_texts_set_up(bed: Bed) -> None:
    for fields, refusal in (
        ({"sms_consent": False, "sms_consent_text": ""}, "has not agreed to text messages"),
        ({"phone": ""}, "has no mobile number we can text"),
        ({"phone": "12"}, "has no mobile number we can text"),
        ({"portal_enabled": False}, "Turn portal access on first"),
    ):
        customer = bed.customer(**fields)
        with pytest.raises(Invalid, match=refusal):
            text_link(bed, customer)
    with pytest.raises(Invalid, match="not set up on this server"):
        text_link(bed, bed.customer(), ready=False)
    with bed.db.unscoped("the test counts every text and outbox item") as session:
        assert session.exec(select(Text)).all() == []
        assert session.exec(select(OutboxItem)).all() == []


def test_the_stand_in_keeps_its_texts_and_unsubscribed_numbers_across_a_restart(
    bed: Bed, tmp_path: Path
) -> None:
    casey = bed.customer()
    text_link(bed, casey)
    bed.send()
    bed.reply("STOP")
    bed.wait(lambda: bed.texts(casey)[0].status == TextStatus.DELIVERED, "the delivery report")
    bed.standin.stop()
    bed.standin.start(
        sandbox.create_app(
            account_sid=SID,
            auth_token=TOKEN,
            number=FROM,
            state=sandbox.State.open(tmp_path / "texts.json"),
        )
    )
    listed = httpx.get(
        f"{bed.standin.url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, TOKEN)
    ).json()["messages"]
    assert [(m["to"], m["status"]) for m in listed] == [(E164, "delivered")]
    assert "STOP" in httpx.get(bed.standin.url).text
    # Like Twilio, the provider itself refuses a number that replied STOP.
    with pytest.raises(TextRefused) as refused:
        bed.provider.send(E164, "Hello again")
    assert refused.value.code == 21610
