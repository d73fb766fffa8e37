"""Each report goes to the centre whose jurisdiction holds it, numbered without gaps."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Role
from live.models import Event
from reporting.models import Report
from tests.factories import (
    PARIS_HOTEL_DE_VILLE,
    SAINT_DENIS_BASILICA,
    UserFactory,
    file_report,
)


def test_reports_either_side_of_the_border_go_to_their_own_centre(paris, saint_denis):
    resident = UserFactory(username="r", role=Role.RESIDENT, centre=paris)
    in_paris = file_report(resident, PARIS_HOTEL_DE_VILLE)
    in_saint_denis = file_report(resident, SAINT_DENIS_BASILICA)

    assert in_paris.centre == paris
    assert in_saint_denis.centre == saint_denis
    year = in_paris.created_at.year
    assert in_paris.reference == f"PAR-{year}-000001"
    assert in_saint_denis.reference == f"STD-{year}-000001"
    assert [(e.centre_id, e.seq) for e in Event.objects.order_by("pk")] == [
        (paris.pk, 1),
        (saint_denis.pk, 1),
    ]


def test_a_point_on_the_boundary_line_is_routed(paris, saint_denis):
    """The shared border belongs to someone: `covers` includes the boundary, `contains` not."""
    from django.contrib.gis.geos import Point

    vertex = paris.jurisdiction[0][0][0]  # a vertex of Paris's outline
    resident = UserFactory(username="r", role=Role.RESIDENT, centre=paris)
    report = file_report(resident, Point(*vertex, srid=4326))
    assert report.centre in (paris, saint_denis)


def test_a_refused_report_does_not_burn_a_number(paris, resident):
    from common.errors import DomainError

    file_report(resident)
    with pytest.raises(DomainError):
        file_report(resident, accuracy_m=10_000)
    second = file_report(resident)
    assert second.reference.endswith("-000002")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reports_get_twenty_consecutive_references(paris):
    residents = [UserFactory(username=f"r{i}", role=Role.RESIDENT, centre=paris) for i in range(20)]
    barrier = threading.Barrier(len(residents))
    errors = []

    def report(resident):
        try:
            barrier.wait()
            file_report(resident)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(r,)) for r in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(
        int(r.split("-")[-1]) for r in Report.objects.values_list("reference", flat=True)
    )
    assert numbers == list(range(1, 21))
    # Each report made two events (report.created, then report.cameras once linked).
    seqs = sorted(Event.objects.filter(centre=paris).values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    assert Event.objects.filter(type="report.created").count() == 20
