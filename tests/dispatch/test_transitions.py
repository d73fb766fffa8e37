"""Dispatching a unit and moving its intervention: the state machine, who may move it, and what
follows (the report, the unit, the history, the console).

The matrix is derived from `INTERVENTION_TRANSITIONS`, so a change to the machine changes
these tests with it.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role
from dispatch.models import (
    INTERVENTION_TRANSITIONS,
    Intervention,
    InterventionEvent,
    State,
    Unit,
)
from dispatch.services import (
    POLICE_MOVES,
    create_unit,
    dispatch_unit,
    record_position,
    set_unit_status,
    transition_intervention,
)
from live.models import Event
from reporting.models import Report
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    file_report,
    moved,
)

pytestmark = pytest.mark.django_db

LEGAL = sorted((src, dst) for src, targets in INTERVENTION_TRANSITIONS.items() for dst in targets)
# Legal moves only the centre makes: confirming a proposal, calling an intervention off.
CENTRE_ONLY = [(src, dst) for src, dst in LEGAL if dst not in POLICE_MOVES]
# Every move the API accepts in shape (`proposed` is never a target) that the machine forbids.
ILLEGAL = sorted(
    (src, dst)
    for src in State.values
    for dst in State.values
    if dst != State.PROPOSED and dst not in INTERVENTION_TRANSITIONS[src]
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- helpers ------------------------------------------------------------------------------------


def last_seq(centre) -> int:
    return Event.objects.filter(centre=centre).aggregate(seq=Max("seq"))["seq"] or 0


def events_after(centre, seq: int) -> list[tuple[str, str | None]]:
    """The live events written since `seq`, as (type, the state or status they announce)."""
    return [
        (event.type, event.data.get("state") or event.data.get("status"))
        for event in Event.objects.filter(centre=centre, seq__gt=seq).order_by("seq")
    ]


def path_from_dispatched(goal: str) -> list[str]:
    """The shortest legal walk from `dispatched` to `goal`, found in the machine itself."""
    came_from: dict[str, str | None] = {State.DISPATCHED: None}
    queue = deque([State.DISPATCHED])
    while queue:
        state = queue.popleft()
        for nxt in sorted(INTERVENTION_TRANSITIONS[state]):
            if nxt not in came_from:
                came_from[nxt] = state
                queue.append(nxt)
    steps = []
    while goal != State.DISPATCHED:
        steps.append(goal)
        goal = came_from[goal]
    return steps[::-1]


def intervention_in(state: str, *, report, unit, operator) -> Intervention:
    """An intervention brought to `state` through the services, as the console would."""
    intervention = dispatch_unit(
        report, unit=unit, operator=operator, propose=state == State.PROPOSED
    )
    if state == State.PROPOSED:
        return intervention
    for step in path_from_dispatched(state):
        outcome = "warning" if step == State.RESOLVED else ""
        intervention = transition_intervention(intervention, to=step, by=operator, outcome=outcome)
    return intervention


def transition(client, intervention, to: str, **body):
    return client.post(
        f"/api/v1/interventions/{intervention.pk}/transition/", {"to": to, **body}, format="json"
    )


def expected_effects(src: str, dst: str) -> tuple[tuple[str, str], list[tuple[str, str]]]:
    """(report status, unit status) after the move, and the live events it writes, in order."""
    if src == State.PROPOSED and dst == State.DISPATCHED:
        return ("dispatched", "busy"), [
            ("unit.updated", "busy"),
            ("report.updated", "acknowledged"),
            ("report.updated", "dispatched"),
            ("intervention.updated", "dispatched"),
        ]
    if src == State.PROPOSED and dst == State.CANCELLED:
        return ("new", "available"), [("intervention.updated", "cancelled")]
    if dst in (State.RESOLVED, State.CANCELLED):
        report_status = "resolved" if dst == State.RESOLVED else "acknowledged"
        return (report_status, "available"), [
            ("unit.updated", "available"),
            ("report.updated", report_status),
            ("intervention.updated", dst),
        ]
    return ("dispatched", "busy"), [("intervention.updated", dst)]


def second_unit(centre, callsign: str = "PS-22", where=None, officer=None):
    officer = officer or UserFactory(
        username=f"officer-{callsign}", role=Role.POLICE, centre=centre
    )
    car = create_unit(centre=centre, callsign=callsign, members=[officer])
    record_position(
        car,
        location=where or moved(PARIS_HOTEL_DE_VILLE, 600, 200),
        recorded_at=timezone.now(),
        accuracy_m=10,
        by=officer,
    )
    car.refresh_from_db()
    return car


# --- the machine ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("src", "dst"), LEGAL, ids=[f"{s}->{d}" for s, d in LEGAL])
def test_every_legal_move_is_made_recorded_and_announced(
    src, dst, paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    intervention = intervention_in(src, report=report, unit=unit, operator=operator)
    before = last_seq(paris)
    body = {"outcome": "warning"} if dst == State.RESOLVED else {}

    response = transition(as_user(operator), intervention, dst, note="from the console", **body)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == dst
    assert response.json()["timeline"][-1]["to"] == dst
    intervention.refresh_from_db()
    assert intervention.state == dst
    assert intervention.note == "from the console"
    move = InterventionEvent.objects.filter(intervention=intervention).last()
    assert (move.from_state, move.to_state, move.by, move.unit_id) == (src, dst, operator, unit.pk)
    assert move.unit_location.equals_exact(unit.last_location, 1e-9)
    assert abs(move.at - timezone.now()) < timedelta(seconds=10)
    (report_status, unit_status), announced = expected_effects(src, dst)
    report.refresh_from_db()
    unit.refresh_from_db()
    assert (report.status, unit.status) == (report_status, unit_status)
    assert events_after(paris, before) == announced


@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=[f"{s}->{d}" for s, d in ILLEGAL])
def test_every_illegal_move_is_refused_409_and_changes_nothing(
    src, dst, paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    intervention = intervention_in(src, report=report, unit=unit, operator=operator)
    report.refresh_from_db()
    unit.refresh_from_db()
    before, moves = last_seq(paris), intervention.events.count()
    snapshot = (report.status, unit.status)

    response = transition(as_user(operator), intervention, dst, outcome="warning")

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "illegal_transition"
    intervention.refresh_from_db()
    report.refresh_from_db()
    unit.refresh_from_db()
    assert intervention.state == src
    assert intervention.events.count() == moves
    assert (report.status, unit.status) == snapshot
    assert last_seq(paris) == before


def test_proposed_is_never_a_target(resident, operator, unit, as_user):
    intervention = intervention_in(
        State.DISPATCHED, report=file_report(resident), unit=unit, operator=operator
    )
    response = transition(as_user(operator), intervention, State.PROPOSED)
    assert response.status_code == 400, response.content
    assert "to" in response.json()["error"]["fields"]
    intervention.refresh_from_db()
    assert intervention.state == State.DISPATCHED


def test_the_unit_takes_its_intervention_to_resolution(
    paris, resident, operator, police_officer, unit, as_user
):
    report = file_report(resident)
    intervention = intervention_in(State.DISPATCHED, report=report, unit=unit, operator=operator)
    police = as_user(police_officer)
    steps = path_from_dispatched(State.RESOLVED)
    assert set(steps) == POLICE_MOVES  # the crew's whole part, and nothing more
    for step in steps[:-1]:
        assert transition(police, intervention, step).status_code == 200
    done = transition(police, intervention, "resolved", outcome="arrest")
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["outcome"]) == ("resolved", "arrest")
    bys = set(intervention.events.exclude(to_state="dispatched").values_list("by", flat=True))
    assert bys == {police_officer.pk}


@pytest.mark.parametrize(("src", "dst"), CENTRE_ONLY, ids=[f"{s}->{d}" for s, d in CENTRE_ONLY])
def test_police_may_not_make_the_centres_moves(
    src, dst, paris, resident, operator, police_officer, unit, as_user
):
    intervention = intervention_in(src, report=file_report(resident), unit=unit, operator=operator)
    before, moves = last_seq(paris), intervention.events.count()

    response = transition(as_user(police_officer), intervention, dst)

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "operators_only"
    intervention.refresh_from_db()
    assert intervention.state == src
    assert intervention.events.count() == moves
    assert last_seq(paris) == before


@pytest.mark.parametrize("outcome", [None, "", "a hug"])
def test_resolving_needs_an_outcome(
    outcome, paris, resident, operator, police_officer, unit, as_user
):
    intervention = intervention_in(
        State.ON_SCENE, report=file_report(resident), unit=unit, operator=operator
    )
    before = last_seq(paris)
    body = {} if outcome is None else {"outcome": outcome}

    response = transition(as_user(police_officer), intervention, "resolved", **body)

    assert response.status_code == 400, response.content
    assert "outcome" in response.json()["error"]["fields"]
    intervention.refresh_from_db()
    assert (intervention.state, intervention.outcome) == (State.ON_SCENE, "")
    assert last_seq(paris) == before


# --- dispatching --------------------------------------------------------------------------------


def test_an_operator_dispatches_an_available_unit_to_a_new_report(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    before = last_seq(paris)

    response = as_user(operator).post(
        "/api/v1/interventions/",
        {"report": report.pk, "unit": unit.pk, "note": "Fight, two people."},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["report"], body["unit"]["id"], body["state"]) == (report.pk, unit.pk, "dispatched")
    intervention = Intervention.objects.get(pk=body["id"])
    assert (intervention.created_by, intervention.centre) == (operator, paris)
    (first,) = intervention.events.all()
    assert (first.from_state, first.to_state, first.by) == ("", "dispatched", operator)
    assert first.unit_location.equals_exact(unit.last_location, 1e-9)
    report.refresh_from_db()
    unit.refresh_from_db()
    assert (report.status, report.acknowledged_by) == ("dispatched", operator)
    assert unit.status == "busy"
    assert events_after(paris, before) == [
        ("unit.updated", "busy"),
        ("report.updated", "acknowledged"),
        ("report.updated", "dispatched"),
        ("intervention.updated", "dispatched"),
    ]


def test_a_second_unit_joins_a_dispatched_report_without_moving_it(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    dispatch_unit(report, unit=unit, operator=operator)
    other = second_unit(paris)
    before = last_seq(paris)

    response = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": other.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    report.refresh_from_db()
    assert report.status == "dispatched"
    assert events_after(paris, before) == [
        ("unit.updated", "busy"),
        ("intervention.updated", "dispatched"),
    ]


def test_a_proposal_holds_the_unit_but_moves_nothing_else(paris, resident, operator, unit, as_user):
    report = file_report(resident)
    before = last_seq(paris)

    response = as_user(operator).post(
        "/api/v1/interventions/",
        {"report": report.pk, "unit": unit.pk, "propose": True},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["state"] == "proposed"
    report.refresh_from_db()
    unit.refresh_from_db()
    assert (report.status, unit.status) == ("new", "available")
    assert events_after(paris, before) == [("intervention.updated", "proposed")]


def test_an_off_duty_unit_is_not_dispatched(paris, resident, operator, unit, as_user):
    set_unit_status(unit, status="off_duty")
    report = file_report(resident)
    before = last_seq(paris)

    response = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "unit_unavailable"
    assert not Intervention.objects.exists()
    report.refresh_from_db()
    assert report.status == "new"
    assert last_seq(paris) == before


def test_a_busy_unit_is_not_dispatched_twice(paris, resident, operator, unit, as_user):
    first = dispatch_unit(file_report(resident), unit=unit, operator=operator)
    report = file_report(resident, category="theft")
    before = last_seq(paris)

    response = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "unit_busy"
    assert list(Intervention.objects.values_list("pk", flat=True)) == [first.pk]
    report.refresh_from_db()
    assert report.status == "new"
    assert last_seq(paris) == before


def test_a_unit_is_free_again_once_its_intervention_ends(paris, resident, operator, unit, as_user):
    intervention_in(State.RESOLVED, report=file_report(resident), unit=unit, operator=operator)
    report = file_report(resident, category="theft")
    response = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert response.status_code == 201, response.content


def test_a_finished_report_is_not_dispatched(paris, resident, operator, unit, as_user):
    report = file_report(resident)
    intervention_in(State.RESOLVED, report=report, unit=unit, operator=operator)
    response = as_user(operator).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "illegal_transition"
    assert Intervention.objects.count() == 1


def test_another_centres_unit_or_report_is_not_found(
    paris, saint_denis, resident, operator, outsider_operator, unit, as_user
):
    sd_officer = UserFactory(username="police-sd", role=Role.POLICE, centre=saint_denis)
    sd_unit = second_unit(saint_denis, "SD-1", where=SAINT_DENIS_BASILICA, officer=sd_officer)
    paris_report = file_report(resident)
    sd_report = file_report(resident, where=SAINT_DENIS_BASILICA)
    assert sd_report.centre == saint_denis

    cases = [
        (operator, paris_report, sd_unit),
        (operator, sd_report, unit),
        (outsider_operator, paris_report, sd_unit),
        (outsider_operator, sd_report, unit),
    ]
    for who, report, car in cases:
        response = as_user(who).post(
            "/api/v1/interventions/", {"report": report.pk, "unit": car.pk}, format="json"
        )
        assert response.status_code == 404, (who, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert not Intervention.objects.exists()


def test_the_services_refuse_a_unit_of_another_centre_whoever_asks(
    paris, saint_denis, resident, operator, unit
):
    # The API answers 404 first for staff of one centre; someone serving both centres (or
    # any other entry point) meets the service's own guard.
    from common.errors import RuleBroken
    from dispatch.services import reassign_intervention

    stranger = second_unit(saint_denis, "SD-1", where=SAINT_DENIS_BASILICA)
    report = file_report(resident)
    with pytest.raises(RuleBroken) as refused:
        dispatch_unit(report, unit=stranger, operator=operator)
    assert refused.value.code == "other_centre"

    intervention = dispatch_unit(report, unit=unit, operator=operator)
    with pytest.raises(RuleBroken) as refused:
        reassign_intervention(intervention, unit=stranger, operator=operator)
    assert refused.value.code == "other_centre"
    intervention.refresh_from_db()
    assert intervention.unit_id == unit.pk
    assert Intervention.objects.count() == 1


@pytest.mark.parametrize("who", ["police_officer", "resident"])
def test_only_the_centre_dispatches(who, request, resident, unit, as_user):
    report = file_report(resident)
    user = request.getfixturevalue(who)
    response = as_user(user).post(
        "/api/v1/interventions/", {"report": report.pk, "unit": unit.pk}, format="json"
    )
    assert response.status_code == 403, response.content
    assert not Intervention.objects.exists()


# --- the report follows ------------------------------------------------------------------------


def test_cancelling_one_of_two_live_interventions_keeps_the_report_dispatched(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    first = dispatch_unit(report, unit=unit, operator=operator)
    dispatch_unit(report, unit=second_unit(paris), operator=operator)
    before = last_seq(paris)

    assert transition(as_user(operator), first, "cancelled").status_code == 200

    report.refresh_from_db()
    assert report.status == "dispatched"
    assert events_after(paris, before) == [
        ("unit.updated", "available"),
        ("intervention.updated", "cancelled"),
    ]


def test_resolving_one_of_two_keeps_the_report_dispatched_until_the_other_ends(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    first = intervention_in(State.ON_SCENE, report=report, unit=unit, operator=operator)
    other = dispatch_unit(report, unit=second_unit(paris), operator=operator)

    transition_intervention(first, to="resolved", by=operator, outcome="arrest")
    report.refresh_from_db()
    assert report.status == "dispatched"

    for step in path_from_dispatched(State.RESOLVED):
        outcome = "handed_over" if step == State.RESOLVED else ""
        transition_intervention(other, to=step, by=operator, outcome=outcome)
    report.refresh_from_db()
    assert report.status == "resolved"


def test_a_report_resolved_by_one_unit_stays_resolved_when_the_other_is_called_off(
    paris, resident, operator, unit
):
    report = file_report(resident)
    first = intervention_in(State.ON_SCENE, report=report, unit=unit, operator=operator)
    other = dispatch_unit(report, unit=second_unit(paris), operator=operator)
    transition_intervention(first, to="resolved", by=operator, outcome="arrest")

    transition_intervention(other, to="cancelled", by=operator, note="no longer needed")

    report.refresh_from_db()
    assert report.status == "resolved"


# --- reassignment ------------------------------------------------------------------------------


def test_reassigning_moves_the_intervention_and_frees_the_old_unit(
    paris, resident, operator, unit, as_user
):
    report = file_report(resident)
    intervention = intervention_in(State.EN_ROUTE, report=report, unit=unit, operator=operator)
    relief = second_unit(paris)
    before = last_seq(paris)

    response = as_user(operator).post(
        f"/api/v1/interventions/{intervention.pk}/reassign/", {"unit": relief.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["unit"]["id"], response.json()["state"]) == (relief.pk, "dispatched")
    intervention.refresh_from_db()
    unit.refresh_from_db()
    relief.refresh_from_db()
    report.refresh_from_db()
    assert (intervention.unit, intervention.state) == (relief, State.DISPATCHED)
    assert (unit.status, relief.status, report.status) == ("available", "busy", "dispatched")
    move = intervention.events.last()
    assert (move.from_state, move.to_state, move.unit, move.by) == (
        "en_route",
        "dispatched",
        relief,
        operator,
    )
    assert move.note == "Reassigned from PS-21 to PS-22."
    assert move.unit_location.equals_exact(relief.last_location, 1e-9)
    assert events_after(paris, before) == [
        ("unit.updated", "available"),
        ("unit.updated", "busy"),
        ("intervention.updated", "dispatched"),
    ]


def test_reassigning_to_a_busy_unit_is_refused_and_changes_nothing(
    paris, resident, operator, unit, as_user
):
    intervention = intervention_in(
        State.ACKNOWLEDGED, report=file_report(resident), unit=unit, operator=operator
    )
    busy = second_unit(paris)
    dispatch_unit(file_report(resident, category="theft"), unit=busy, operator=operator)
    before = last_seq(paris)

    response = as_user(operator).post(
        f"/api/v1/interventions/{intervention.pk}/reassign/", {"unit": busy.pk}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "unit_busy"
    intervention.refresh_from_db()
    assert (intervention.unit_id, intervention.state) == (unit.pk, State.ACKNOWLEDGED)
    assert Unit.objects.get(pk=unit.pk).status == "busy"
    assert last_seq(paris) == before


def test_reassigning_to_the_same_unit_or_a_finished_intervention_is_refused(
    paris, resident, operator, unit, as_user
):
    console = as_user(operator)
    live = intervention_in(
        State.DISPATCHED, report=file_report(resident), unit=unit, operator=operator
    )
    same = console.post(
        f"/api/v1/interventions/{live.pk}/reassign/", {"unit": unit.pk}, format="json"
    )
    assert (same.status_code, same.json()["error"]["code"]) == (422, "same_unit")

    transition_intervention(live, to="cancelled", by=operator)
    relief = second_unit(paris)
    done = console.post(
        f"/api/v1/interventions/{live.pk}/reassign/", {"unit": relief.pk}, format="json"
    )
    assert (done.status_code, done.json()["error"]["code"]) == (409, "illegal_transition")
    live.refresh_from_db()
    assert (live.unit_id, live.state) == (unit.pk, State.CANCELLED)


def test_reassigning_to_another_centres_unit_is_not_found(
    paris, saint_denis, resident, operator, unit, as_user
):
    intervention = intervention_in(
        State.DISPATCHED, report=file_report(resident), unit=unit, operator=operator
    )
    stranger = second_unit(saint_denis, "SD-1", where=SAINT_DENIS_BASILICA)
    response = as_user(operator).post(
        f"/api/v1/interventions/{intervention.pk}/reassign/", {"unit": stranger.pk}, format="json"
    )
    assert response.status_code == 404, response.content
    intervention.refresh_from_db()
    assert intervention.unit_id == unit.pk


def test_police_cannot_reassign(paris, resident, operator, police_officer, unit, as_user):
    intervention = intervention_in(
        State.DISPATCHED, report=file_report(resident), unit=unit, operator=operator
    )
    relief = second_unit(paris)
    response = as_user(police_officer).post(
        f"/api/v1/interventions/{intervention.pk}/reassign/", {"unit": relief.pk}, format="json"
    )
    assert response.status_code == 403, response.content
    intervention.refresh_from_db()
    assert intervention.unit_id == unit.pk


# --- who sees which dispatch --------------------------------------------------------------------


def test_police_see_and_move_only_their_own_units_dispatches(
    paris, saint_denis, resident, operator, police_officer, unit, as_user
):
    ours = dispatch_unit(file_report(resident), unit=unit, operator=operator)
    colleague_unit = second_unit(paris)
    theirs = dispatch_unit(
        file_report(resident, category="theft"), unit=colleague_unit, operator=operator
    )
    sd_officer = UserFactory(username="police-sd", role=Role.POLICE, centre=saint_denis)
    sd_unit = second_unit(saint_denis, "SD-1", where=SAINT_DENIS_BASILICA, officer=sd_officer)
    sd_operator = UserFactory(username="op-sd", role=Role.OPERATOR, centre=saint_denis)
    elsewhere = dispatch_unit(
        file_report(resident, where=SAINT_DENIS_BASILICA), unit=sd_unit, operator=sd_operator
    )
    police, sd_police = as_user(police_officer), as_user(sd_officer)

    assert [i["id"] for i in police.get("/api/v1/interventions/").json()] == [ours.pk]
    assert [i["id"] for i in sd_police.get("/api/v1/interventions/").json()] == [elsewhere.pk]
    for client, hidden in [(police, theirs), (police, elsewhere), (sd_police, ours)]:
        assert client.get(f"/api/v1/interventions/{hidden.pk}/").status_code == 404
        refused = transition(client, hidden, "acknowledged")
        assert refused.status_code == 404, refused.content
        hidden.refresh_from_db()
        assert hidden.state == State.DISPATCHED


def test_listing_interventions_takes_the_same_queries_for_one_or_many(
    paris, resident, operator, unit, as_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    console = as_user(operator)
    intervention_in(State.RESOLVED, report=file_report(resident), unit=unit, operator=operator)
    console.get("/api/v1/interventions/")  # session and permissions: warmed up
    with CaptureQueriesContext(connection) as one:
        assert len(console.get("/api/v1/interventions/").json()) == 1
    for _ in range(4):
        intervention_in(
            State.CANCELLED,
            report=file_report(resident, category="theft"),
            unit=unit,
            operator=operator,
        )
    with CaptureQueriesContext(connection) as five:
        assert len(console.get("/api/v1/interventions/").json()) == 5
    assert len(five) == len(one)


def test_an_operator_of_another_centre_cannot_move_the_intervention(
    resident, operator, outsider_operator, unit, as_user
):
    intervention = intervention_in(
        State.DISPATCHED, report=file_report(resident), unit=unit, operator=operator
    )
    response = transition(as_user(outsider_operator), intervention, "cancelled")
    assert response.status_code == 404, response.content
    intervention.refresh_from_db()
    assert intervention.state == State.DISPATCHED


# --- at the same moment -------------------------------------------------------------------------


def _race(*calls):
    """Run the calls at the same instant, each on its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test compares
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_officers_tapping_at_once_make_one_move(
    paris, resident, operator, police_officer, as_user
):
    partner = UserFactory(username="partner", role=Role.POLICE, centre=paris)
    crew = create_unit(centre=paris, callsign="PS-30", members=[police_officer, partner])
    intervention = intervention_in(
        State.ACKNOWLEDGED, report=file_report(resident), unit=crew, operator=operator
    )
    before = last_seq(paris)
    officers = [as_user(police_officer), as_user(partner)]

    answers = _race(*(lambda c=c: transition(c, intervention, "en_route") for c in officers))

    assert sorted(a.status_code for a in answers) == [200, 409], answers
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["error"]["code"] == "illegal_transition"
    intervention.refresh_from_db()
    assert intervention.state == State.EN_ROUTE
    assert intervention.events.filter(to_state="en_route").count() == 1
    assert events_after(paris, before) == [("intervention.updated", "en_route")]


@pytest.mark.django_db(transaction=True)
def test_two_operators_sending_one_unit_at_once_send_it_once(
    paris, resident, operator, supervisor, unit
):
    from common.errors import Conflict

    reports = [file_report(resident), file_report(resident, category="theft")]

    results = _race(
        *(
            lambda r=r, who=who: dispatch_unit(r, unit=unit, operator=who)
            for r, who in zip(reports, [operator, supervisor], strict=True)
        )
    )

    sent = [r for r in results if isinstance(r, Intervention)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(sent), len(refused)) == (1, 1), results
    assert refused[0].code == "unit_busy"
    assert list(Intervention.objects.values_list("pk", flat=True)) == [sent[0].pk]
    (left_waiting,) = [r for r in reports if r.pk != sent[0].report_id]
    statuses = dict(
        Report.objects.filter(pk__in=[r.pk for r in reports]).values_list("pk", "status")
    )
    assert statuses == {sent[0].report_id: "dispatched", left_waiting.pk: "new"}
    unit.refresh_from_db()
    assert unit.status == "busy"
