"""Two hub replicas behind haproxy (deploy/haproxy.cfg), sharing one redis-server for sessions
and one business database, started by `scripts/replicas.sh`:

- a replica killed with SIGKILL mid-conversation: the caller reconnects through haproxy, lands on
  the other replica and the conversation resumes with its agent and every saved turn; then the
  same the other way round;
- two connections for one session key at once, through haproxy: exactly one survives;
- with PostgreSQL: a flight change confirmed through one replica is what the other one sees.

Run with the repo's venv (scripts/sdk-venv.sh creates it):

    .venv/bin/python -m pytest -q Tests/replicas
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Awaitable, Callable, Dict, List

import pytest

from replicas_harness import Cluster, Session, Turn, new_key, open_with_retry

TEST_TIMEOUT_S = 240.0

FLIGHT_QUESTION = "Is flight SB204 on time tomorrow?"
HOTEL_QUESTION = "What is the status of my hotel reservation H204518?"


def run(body: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(body(), TEST_TIMEOUT_S)

    return asyncio.run(bounded())


def other(name: str) -> str:
    return "hub2" if name == "hub1" else "hub1"


def check_flight_answer(turn: Turn) -> None:
    results = turn.tool_results
    assert results and results[0]["tool"] == "check_flight_status", f"{turn.user!r}: {turn.describe()}"
    output = results[0]["output"]
    assert output["outcome"] == "found", output
    assert results[0]["agent"] == "flight"
    assert output["flight_number"] == "SB204"
    assert output["status"] in turn.answer and output["gate"] in turn.answer, f"{turn.answer!r} vs {output}"
    assert turn.done["response"]["status"] == "completed"


def check_hotel_answer(turn: Turn) -> None:
    results = turn.tool_results
    assert results and results[0]["tool"] == "check_reservation_status", f"{turn.user!r}: {turn.describe()}"
    output = results[0]["output"]
    assert output["outcome"] == "found", output
    assert results[0]["agent"] == "hotel"
    assert output["hotel"] in turn.answer, f"{turn.answer!r} vs {output}"
    assert turn.done["response"]["status"] == "completed"


def check_resumed(ready: Dict[str, Any], key: str, agent: str, turns: List[Turn]) -> None:
    assert ready["type"] == "hub.session.ready"
    assert ready["session_key"] == key
    assert ready["resumed"] is True, ready
    assert ready["agent"] == agent, ready
    history = ready["history"]
    assert [h["user"] for h in history] == [t.user for t in turns], history
    assert [h["assistant"] for h in history] == [t.answer for t in turns], history
    for h, t in zip(history, turns):
        assert h["agent"] == t.tool_results[0]["agent"], history


def test_failover_after_sigkill_resumes_through_haproxy(start_replicas) -> None:
    """kill -9 the replica that serves a conversation; the caller reconnects through haproxy to
    the other one and goes on; then the first comes back and the second is killed."""
    cluster: Cluster = start_replicas()
    key = new_key()
    lb = cluster.ws_url("lb", key)

    async def body() -> None:
        session = await Session.open(lb)
        assert session.ready["resumed"] is False and session.ready["agent"] == "concierge", session.ready
        turns = [await session.say(FLIGHT_QUESTION)]
        check_flight_answer(turns[0])
        assert turns[0].switched and turns[0].switched[0]["to"] == "flight", turns[0].describe()

        first = cluster.serving()
        # The turn is in Redis before response.done reaches the client.
        assert FLIGHT_QUESTION in cluster.redis("GET", f"switchboard:session:{key}")
        cluster.kill9(first)
        await session.close()

        # Reconnect through haproxy (with backoff) until the session is ready on the survivor.
        session, attempts, seconds = await open_with_retry(lb)
        print(f"\nresumed on the survivor after {seconds:.2f} s ({attempts} attempt(s))")
        second = cluster.serving()
        assert second == other(first)
        check_resumed(session.ready, key, "flight", turns)

        turns.append(await session.say(HOTEL_QUESTION))
        check_hotel_answer(turns[-1])
        assert turns[-1].switched and turns[-1].switched[0]["from"] == "flight", turns[-1].describe()

        # The killed replica comes back (same port); haproxy takes it in again.
        cluster.restart(first)
        cluster.wait_lb(first, "UP")
        assert cluster.serving() == second
        cluster.kill9(second)
        await session.close()

        session, attempts, seconds = await open_with_retry(lb)
        print(f"resumed on the restarted replica after {seconds:.2f} s ({attempts} attempt(s))")
        assert cluster.serving() == first
        check_resumed(session.ready, key, "hotel", turns)

        # And the conversation goes on there: back to flights.
        turns.append(await session.say(FLIGHT_QUESTION))
        check_flight_answer(turns[-1])
        assert turns[-1].switched and turns[-1].switched[0]["from"] == "hotel", turns[-1].describe()
        await session.close()

        # A last reconnect sees all three turns.
        session, _, _ = await open_with_retry(lb)
        check_resumed(session.ready, key, "flight", turns)
        await session.close()

    run(body)


def test_reconnecting_without_speaking_leaves_the_history_as_it_was(start_replicas) -> None:
    """A caller who reconnects (on either replica) and hangs up without saying anything adds
    no turn: the history replayed into the new model session is not a new utterance."""
    cluster: Cluster = start_replicas()
    key = new_key()

    async def body() -> None:
        session = await Session.open(cluster.ws_url("hub1", key))
        turns = [await session.say(FLIGHT_QUESTION), await session.say(HOTEL_QUESTION)]
        await session.close()
        for target in ("hub2", "hub1", "lb"):
            cluster.wait_sessions_total(0)
            session, _, _ = await open_with_retry(cluster.ws_url(target, key), deadline_s=15)
            check_resumed(session.ready, key, "hotel", turns)
            # Session.open waited for session.updated, which the model sends after the items of
            # the replayed history (the hub sends them before the client's session.update).
            await session.close()
        cluster.wait_sessions_total(0)
        session = await Session.open(cluster.ws_url("hub2", key))
        check_resumed(session.ready, key, "hotel", turns)
        # The next utterance is a turn of its own.
        turns.append(await session.say(FLIGHT_QUESTION))
        await session.close()
        cluster.wait_sessions_total(0)
        session = await Session.open(cluster.ws_url("hub1", key))
        check_resumed(session.ready, key, "flight", turns)
        await session.close()

    run(body)


@pytest.mark.parametrize("placement", ["other replica", "same replica"])
def test_two_connections_for_one_key_one_survives(start_replicas, placement: str) -> None:
    """Two sockets for one key through haproxy: the earlier one is told `hub.session.taken_over`
    and closed with 4000, the later one resumes the session and goes on."""
    cluster: Cluster = start_replicas()
    key = new_key()
    lb = cluster.ws_url("lb", key)

    async def body() -> None:
        earlier = await Session.open(lb)
        turn = await earlier.say(FLIGHT_QUESTION)
        check_flight_answer(turn)
        first = cluster.serving()
        # Steer haproxy's next connection: drain (no new connections) the replica it must avoid.
        avoid = first if placement == "other replica" else other(first)
        cluster.lb_set(avoid, "drain")
        cluster.wait_lb(avoid, "DRAIN")

        later = await Session.open(lb)
        events, code = await earlier.closed()
        notices = [e for e in events if e.get("type") == "hub.session.taken_over"]
        assert notices and notices[0]["session_key"] == key, events
        assert code == 4000, f"close code {code}, events {events}"

        check_resumed(later.ready, key, "flight", [turn])
        where = cluster.serving()
        assert where == (other(first) if placement == "other replica" else first)
        assert cluster.wait_sessions_total(1) == {first: 1.0 if where == first else 0.0, other(first): 1.0 if where != first else 0.0}

        follow = await later.say(HOTEL_QUESTION)
        check_hotel_answer(follow)
        cluster.lb_set(avoid, "ready")
        await later.close()

        # Both turns were saved by the survivor.
        check_resumed((await Session.open(lb)).ready, key, "hotel", [turn, follow])

    run(body)


def test_flight_change_on_one_replica_is_seen_by_the_other_on_postgres(start_replicas) -> None:
    """--postgres: both replicas share one PostgreSQL database; a confirmed flight change made
    through one is what the other one's tools and the database show."""
    cluster: Cluster = start_replicas(postgres=True)
    assert cluster.state["DATA"].startswith("postgres://")

    async def body() -> None:
        session = await Session.open(cluster.ws_url("lb", new_key()))
        offer = await session.say("I need to change my flight BKQ431 to the day after tomorrow")
        checked = offer.tool_results
        assert checked and checked[0]["tool"] == "check_change_flight", offer.describe()
        assert checked[0]["outcome"] == "available", checked[0]
        assert all(s["source"].startswith("postgres:") for s in checked[0]["sources"]), checked[0]
        new_date = checked[0]["output"]["new_date"]
        today = {dt.date.today(), dt.datetime.now(dt.timezone.utc).date()}
        assert dt.date.fromisoformat(new_date) in {d + dt.timedelta(days=2) for d in today}, new_date

        done = await session.say("yes")
        confirmed = done.tool_results
        assert confirmed and confirmed[0]["tool"] == "confirm_flight_change", done.describe()
        assert confirmed[0]["outcome"] == "confirmed", confirmed[0]
        output = confirmed[0]["output"]
        new_confirmation = output["new_confirmation"]
        assert output["old_confirmation"] == "BKQ431" and new_confirmation != "BKQ431"
        assert new_confirmation in done.answer
        changed_on = cluster.serving()
        await session.close()

        # A new session straight to the other replica: its tools read the change.
        elsewhere = await Session.open(cluster.ws_url(other(changed_on), new_key()))
        assert cluster.serving() == other(changed_on)
        look = await elsewhere.say("What flights do I have booked?")
        loaded = look.tool_results
        assert loaded and loaded[0]["tool"] == "load_user_flight_info", look.describe()
        bookings = {b["confirmation"]: b for b in loaded[0]["output"]["bookings"]}
        assert new_confirmation in bookings and "BKQ431" not in bookings, bookings
        assert bookings[new_confirmation]["date"] == new_date
        assert new_confirmation in look.answer
        await elsewhere.close()

        # And so does the database itself.
        rows = cluster.psql(
            "SELECT confirmation, status, coalesce(replaced_by, ''), flight_date FROM travel.bookings "
            f"WHERE confirmation IN ('BKQ431', '{new_confirmation}') ORDER BY confirmation = 'BKQ431' DESC"
        ).splitlines()
        old_date = checked[0]["output"]["old_date"]
        assert rows == [f"BKQ431|cancelled|{new_confirmation}|{old_date}", f"{new_confirmation}|confirmed||{new_date}"], rows

    run(body)
