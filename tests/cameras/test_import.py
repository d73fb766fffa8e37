"""`manage.py import_cameras`: CSV, GeoJSON and OpenStreetMap in, idempotent upserts out.

Through the public door first (the command, on real files, against PostGIS), then the pure
parsing functions of `cameras.importers` on the cases worth naming one by one.
"""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.management import CommandError, call_command

from accounts import services as accounts_services
from accounts.models import MonitoringCentre
from cameras.importers import city, osm
from cameras.models import Camera

OSM_SAMPLE = (
    settings.BASE_DIR / "tests" / "fixtures" / "osm" / "switzerland_osm_surveillance_2023.json"
)
PARIS_CAMERAS = settings.BASE_DIR / "data" / "cameras" / "paris_prefecture_police_cameras_2013.csv"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args, stderr=None):
    """Import; return the summary (the last line, JSON) and the lines before it."""
    out = io.StringIO()
    call_command("import_cameras", *map(str, args), stdout=out, stderr=stderr or io.StringIO())
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), lines[:-1]


def fail(*args):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_cameras", *map(str, args), stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])["error"]


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def camera(external_id, centre="paris-csu"):
    return Camera.objects.get(external_id=external_id, centre__slug=centre)


def has(external_id, centre="paris-csu", **expected):
    """The camera's values for the fields named, to compare with what was expected."""
    cam = camera(external_id, centre)
    return {name: getattr(cam, name) for name in expected} == expected


def summary(created=0, updated=0, unchanged=0, skipped=0, reasons=None, fmt="csv"):
    return {
        "format": fmt,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "skipped": skipped,
        "reasons": reasons or {},
    }


@pytest.fixture
def swiss(db):
    """A centre covering the Swiss OSM sample (a box around Switzerland)."""
    centre, _ = accounts_services.create_centre(
        "swiss-csu",
        name="Swiss test centre",
        jurisdiction=Polygon.from_bbox((5.9, 45.8, 10.5, 47.9)),
        reference_prefix="CHE",
        organisation=accounts_services.ensure_organisation("Swiss test authority"),
    )
    return centre


CSV_GOOD = """\
external_id,name,lon,lat,kind,heading_deg,fov_deg,range_m,height_m,centre,stream_url,snapshot_url,ptz_driver,onvif_url
hdv-1,Hôtel de Ville,2.3522,48.8566,fixed,-90,70,80,5.5,,rtsp://vms/{external_id},,simulated,
hdv-2,Rivoli,2.3540,48.8560,ptz,,,150,8,,,,onvif,http://10.0.0.7/onvif/device_service
basilica,Basilique,2.3597,48.9356,dome,,,,,,,,,
hdv-1,Same id elsewhere,2.3523,48.8567,dome,,,,,saint-denis-csu,,,,
"""


# --- CSV --------------------------------------------------------------------------------------


def test_csv_import_creates_each_camera_in_its_centre(paris, saint_denis, tmp_path):
    result, lines = run(write(tmp_path, "cameras.csv", CSV_GOOD))

    assert (result, lines) == (summary(created=4), [])
    # fmt: off
    assert has("hdv-1", name="Hôtel de Ville", kind="fixed", heading_deg=270.0,  # -90 is 270
               fov_deg=70.0, range_m=80.0, height_m=5.5, stream_url="rtsp://vms/{external_id}")
    assert has("hdv-2", kind="ptz", heading_deg=None, ptz_driver="onvif",
               onvif_url="http://10.0.0.7/onvif/device_service")
    # fmt: on
    assert camera("hdv-1").location.coords == (2.3522, 48.8566)
    # No centre column, no --centre: the jurisdiction that covers it.
    assert camera("basilica", "saint-denis-csu").kind == "dome"
    # The same external id in another centre is another camera (named by the row).
    assert camera("hdv-1", "saint-denis-csu").name == "Same id elsewhere"


def test_malformed_csv_rows_are_reported_and_the_rest_imported(paris, tmp_path):
    path = write(
        tmp_path,
        "cameras.csv",
        """\
external_id,lon,lat,kind,heading_deg,fov_deg,centre
good,2.35,48.85,fixed,10,60,
bad-lon,east,48.85,,,,
bad-lat,2.35,95,,,,
bad-kind,2.35,48.85,bullet,,,
bad-heading,2.35,48.85,fixed,north,,
bad-fov,2.35,48.85,fixed,10,0,
lyon,4.8320,45.7578,,,,
,2.35,48.85,,,,
elsewhere,2.35,48.85,,,,nowhere-csu
good,2.36,48.86,,,,
extra,2.35,48.85,,,,,surplus
null-island,0,0,,,,
""",
    )
    result, lines = run(path)

    assert result["created"] == 1
    assert result["skipped"] == 11
    assert result["reasons"] == {
        "bad coordinates": 2,
        "duplicate external_id": 1,
        "fov_deg out of range": 1,
        "malformed row": 1,
        "missing external_id": 1,
        "no centre": 1,
        "non-numeric heading_deg": 1,
        "out of range lat/lon": 1,
        "unknown centre": 1,
        "unknown kind": 1,
    }
    assert len(lines) == 11
    assert "skipped line 3 (bad-lon): bad coordinates (lon='east')" in lines
    assert any(line.startswith("skipped line 5 (bad-kind): unknown kind") for line in lines)
    assert any(line.startswith("skipped line 8 (lyon): no centre") for line in lines)
    assert any("(good): duplicate external_id (already at line 2)" in line for line in lines)
    assert list(Camera.objects.values_list("external_id", flat=True)) == ["good"]


def test_a_french_spreadsheet_csv_is_read(paris, tmp_path):
    # Semicolons, decimal commas, a byte-order mark, upper-case headers, Windows line ends.
    content = "\ufeffEXTERNAL_ID;LON;LAT;HEIGHT_M\r\ncam-1;2,3522;48,8566;4,5\r\n"
    result, _ = run(write(tmp_path, "export.csv", content.encode("utf-8")))

    assert result["created"] == 1
    cam = camera("cam-1")
    assert (cam.location.x, cam.location.y, cam.height_m) == (2.3522, 48.8566, 4.5)


def test_unknown_columns_are_named_once_and_ignored(paris, tmp_path):
    result, lines = run(
        write(tmp_path, "c.csv", "external_id,lon,lat,heading\ncam-1,2.35,48.85,90\n")
    )
    assert result["created"] == 1
    assert lines == ["note: columns ignored (not camera fields): heading"]
    assert camera("cam-1").heading_deg is None


# --- Idempotence ------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(
    paris, saint_denis, tmp_path, django_assert_num_queries
):
    path = write(tmp_path, "cameras.csv", CSV_GOOD)
    run(path)
    before = {c.pk: (c.external_id, c.centre_id, c.updated_at) for c in Camera.objects.all()}

    # A savepoint pair, the centres rows name, one covering lookup per row naming none (3),
    # the existing cameras of each centre (2): nothing per unchanged camera.
    with django_assert_num_queries(8):
        result, lines = run(path)

    assert (result, lines) == (summary(unchanged=4), [])
    after = {c.pk: (c.external_id, c.centre_id, c.updated_at) for c in Camera.objects.all()}
    assert after == before


def test_a_changed_row_updates_only_that_camera(paris, saint_denis, tmp_path):
    path = write(tmp_path, "cameras.csv", CSV_GOOD)
    run(path)
    before = dict(Camera.objects.values_list("pk", "updated_at"))

    write(
        tmp_path,
        "cameras.csv",
        CSV_GOOD.replace(
            "hdv-1,Hôtel de Ville,2.3522,48.8566,fixed,-90",
            "hdv-1,Hôtel de Ville,2.3522,48.8566,fixed,45",
        ),
    )
    result, _ = run(path)

    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 3)
    changed = camera("hdv-1")
    assert changed.heading_deg == 45.0
    after = dict(Camera.objects.values_list("pk", "updated_at"))
    assert {pk for pk in after if after[pk] != before[pk]} == {changed.pk}


def test_an_empty_cell_resets_a_field_and_a_missing_column_leaves_it(paris, tmp_path):
    header = "external_id,lon,lat,stream_url,height_m\n"
    run(write(tmp_path, "a.csv", header + "c,2.35,48.85,rtsp://x,9\n"))

    without_column, _ = run(write(tmp_path, "b.csv", "external_id,lon,lat\nc,2.35,48.85\n"))
    assert without_column == summary(unchanged=1)
    assert has("c", stream_url="rtsp://x", height_m=9.0)

    emptied, _ = run(write(tmp_path, "c.csv", header + "c,2.35,48.85,,\n"))
    assert emptied == summary(updated=1)
    assert has("c", stream_url="", height_m=6.0)  # the model's defaults


# --- Files that cannot be read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cameras.csv", "external_id,lon\ncam,2.35\n", "missing column(s) lat"),
        ("cameras.csv", "", "the file is empty"),
        ("cameras.json", '{"elements": [', "Malformed JSON"),
        ("cameras.geojson", '{"type": "Point", "coordinates": [2, 48]}', "FeatureCollection"),
        (
            "cameras.geojson",
            {"type": "FeatureCollection", "crs": {"type": "name"}, "features": []},
            "'crs'",
        ),
        ("cameras.osm", "<?xml version='1.0'?><osm></osm>", "OSM XML is not read"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_json_error_and_changes_nothing(
    paris, tmp_path, name, content, message
):
    error = fail(write(tmp_path, name, content), "--centre", "paris-csu")
    assert error["code"] == "unreadable_file"
    assert message in error["message"]
    assert not Camera.objects.exists()


def test_a_missing_file_and_an_unknown_centre_are_json_errors(paris, tmp_path):
    assert fail(tmp_path / "nope.csv")["code"] == "unreadable_file"
    error = fail(write(tmp_path, "c.csv", CSV_GOOD), "--centre", "atlantis-csu")
    assert error["code"] == "not_found"
    assert not Camera.objects.exists()


# --- GeoJSON ------------------------------------------------------------------------------------


def feature(properties, coordinates=(2.35, 48.85), geometry_type="Point"):
    geometry = {"type": geometry_type, "coordinates": list(coordinates)}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_geojson_import_with_malformed_features_reported(paris, tmp_path):
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature({"external_id": "g-1", "kind": "thermal", "heading_deg": 180, "fov_deg": 40}),
            feature({"external_id": 42, "name": 7}),  # numbers are fine as ids and names
            feature({"external_id": "far"}, coordinates=(200, 48)),
            feature({"external_id": "line"}, [[2.35, 48.85], [2.36, 48.86]], "LineString"),
            {"type": "Feature", "geometry": None, "properties": {"external_id": "nowhere"}},
            feature({"external_id": "odd", "kind": "bullet"}),
            feature({"name": "anonymous"}),
            feature({"external_id": "text", "range_m": "far"}),
            {"type": "Point", "coordinates": [2.35, 48.85]},
        ],
    }
    result, lines = run(write(tmp_path, "cameras.geojson", collection))

    assert (result["format"], result["created"], result["skipped"]) == ("geojson", 2, 7)
    assert result["reasons"] == {
        "bad coordinates": 1,
        "missing external_id": 1,
        "non-numeric range_m": 1,
        "not a feature": 1,
        "not a point": 1,
        "out of range lat/lon": 1,
        "unknown kind": 1,
    }
    assert any(line.startswith("skipped feature 3 (far): out of range lat/lon") for line in lines)
    assert has("g-1", kind="thermal", heading_deg=180.0, fov_deg=40.0)
    assert has("42", name="7")

    again, _ = run(write(tmp_path, "cameras.geojson", collection))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


# --- OpenStreetMap ------------------------------------------------------------------------------


def node(osm_id, tags, lon=2.35, lat=48.85):
    return {"type": "node", "id": osm_id, "lon": lon, "lat": lat, "tags": tags}


CAMERA = {"man_made": "surveillance", "surveillance:type": "camera"}


def test_overpass_json_import(paris, tmp_path):
    overpass = {
        "version": 0.6,
        "elements": [
            node(1, {**CAMERA, "camera:type": "fixed", "camera:direction": "NW", "height": "4 m"}),
            node(2, {**CAMERA, "camera:type": "panning", "camera:direction": "90-270"}),
            node(3, {"man_made": "surveillance", "camera:type": "dome", "name": "Parvis"}),
            node(4, {"man_made": "surveillance", "surveillance:type": "guard"}),
            node(5, {"amenity": "bench"}),
            {"type": "way", "id": 6, "nodes": [1, 2], "tags": CAMERA},
            node(7, CAMERA, lat="north"),
            node(8, {**CAMERA, "camera:direction": "towards the bakery", "height": "tall"}),
        ],
    }
    result, lines = run(write(tmp_path, "overpass.json", overpass), "--centre", "paris-csu")

    assert (result["format"], result["created"], result["skipped"]) == ("osm", 4, 4)
    assert result["reasons"] == {
        "bad coordinates": 1,
        "not a camera": 1,
        "not a node": 1,
        "not man_made=surveillance": 1,
    }
    assert has("osm:node/1", kind="fixed", heading_deg=315.0, fov_deg=60.0, height_m=4.0)
    # A range on a panning camera is where it can turn.
    assert has("osm:node/2", kind="ptz", pan_zero_deg=180.0, pan_min_deg=-90.0, pan_max_deg=90.0)
    assert has("osm:node/3", kind="dome", name="Parvis", fov_deg=360.0)
    # Unreadable tags are noted and left out; the camera is kept, seeing all round.
    assert has("osm:node/8", heading_deg=None, fov_deg=360.0, height_m=6.0)
    note = "camera:direction='towards the bakery' is not a direction: ignored"
    assert f"note: element 8 (osm:node/8): {note}" in lines
    assert any("skipped element 4 (osm:node/4): not a camera" in line for line in lines)


def test_osm_geojson_export_import(paris, tmp_path):
    export = {
        "type": "FeatureCollection",
        "features": [
            # overpass turbo / osmtogeojson: tags straight in the properties, with @id
            {
                "type": "Feature",
                "id": "node/10",
                "properties": {"@id": "node/10", **CAMERA, "camera:direction": "-140"},
                "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
            },
            # older exports: the tags under properties.tags
            {
                "type": "Feature",
                "properties": {"type": "node", "id": 11, "tags": {**CAMERA, "ref": "C-11"}},
                "geometry": {"type": "Point", "coordinates": [2.36, 48.86]},
            },
            {
                "type": "Feature",
                "id": "way/12",
                "properties": {"@id": "way/12", **CAMERA},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]]],
                },
            },
        ],
    }
    result, _ = run(write(tmp_path, "export.geojson", export))

    assert (result["format"], result["created"], result["reasons"]) == ("osm", 2, {"not a node": 1})
    assert camera("osm:node/10").heading_deg == 220.0
    assert camera("osm:node/11").name == "C-11"


def test_the_real_osm_sample_imports_with_its_messy_directions(swiss):
    result, lines = run(OSM_SAMPLE)

    # 2,144 nodes: 8 are guards, licence-plate readers and webcams, not cameras.
    assert result == summary(created=2136, skipped=8, reasons={"not a camera": 8}, fmt="osm")
    assert Camera.objects.filter(centre=swiss).count() == 2136

    def seen(osm_id):
        cam = camera(f"osm:node/{osm_id}", "swiss-csu")
        return cam.kind, cam.heading_deg, cam.fov_deg

    assert seen(7484381296) == ("fixed", 315.0, 60.0)  # "NW"
    assert seen(5699110681) == ("fixed", 220.0, 60.0)  # "-140"
    # "90;160;270", three lenses: the arc 90→270 (heading 180), widened by one lens.
    assert seen(7176707339) == ("fixed", 180.0, 240.0)
    # "190-100" runs clockwise through west and north: 270° wide, middle 325; a dome.
    assert seen(4353583563) == ("dome", 325.0, 360.0)
    assert seen(4590454439) == ("dome", 225.0, 360.0)  # "180, 270"
    assert seen(4361765461) == ("fixed", 180.0, 60.0)  # "south"
    assert seen(3157462902) == ("fixed", 245.0, 60.0)  # `direction=245`, no camera:direction
    assert seen(29773946) == ("fixed", None, 360.0)  # no direction: sees all round
    assert seen(9018452639)[0] == "ptz"  # camera:type=panning
    assert camera("osm:node/5031050430", "swiss-csu").height_m == 3.5  # camera:height
    # Indoor cameras are kept (the brief's filter) but say so in their name.
    assert (
        camera("osm:node/5084865729", "swiss-csu").name
        == "Indoor 360° dome camera (mount ceiling, zone shop)"
    )
    assert any("element" in line and "not a camera" in line for line in lines)

    again, _ = run(OSM_SAMPLE)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2136)


# --- The Paris file and the demo ----------------------------------------------------------------


def test_the_paris_file_imports_every_camera_into_paris_and_again_changes_nothing(
    paris, django_assert_max_num_queries
):
    result, lines = run(PARIS_CAMERAS, "--centre", "paris-csu")
    assert (result["created"], result["skipped"], lines) == (1389, 0, [])
    cam = camera("pp-1134")  # "SOUS VIADUC A1", by the Stade de France: outside the outline
    assert (cam.kind, cam.range_m, cam.height_m, cam.name) == ("dome", 100.0, 6.0, "SOUS VIADUC A1")

    # 1,389 unchanged rows: the centre, the cameras already there, a savepoint pair.
    with django_assert_max_num_queries(5):
        again, _ = run(PARIS_CAMERAS, "--centre", "paris-csu")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1389)


def test_without_a_centre_the_paris_sites_outside_every_jurisdiction_are_skipped(paris):
    result, lines = run(PARIS_CAMERAS)

    assert result == summary(created=1352, skipped=37, reasons={"no centre": 37})
    assert any(line.startswith("skipped line 1135 (pp-1134): no centre") for line in lines)


def test_seed_demo_loads_the_paris_cameras_and_stays_idempotent(db, settings):
    settings.DEBUG = True  # as under `make run`
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = json.loads(out.getvalue().strip().splitlines()[-1])
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    again = json.loads(out.getvalue().strip().splitlines()[-1])

    assert first["cameras"] == {"created": 1389, "updated": 0, "unchanged": 0, "skipped": 0}
    assert again["cameras"] == {"created": 0, "updated": 0, "unchanged": 1389, "skipped": 0}
    assert again["created"] == 0
    paris = MonitoringCentre.objects.get(slug="paris-csu")
    assert Camera.objects.count() == Camera.objects.filter(centre=paris).count() == 1389


# --- Progress -----------------------------------------------------------------------------------


def test_a_progress_bar_is_drawn_on_a_terminal_only(paris, tmp_path):
    path = write(tmp_path, "cameras.csv", CSV_GOOD)
    terminal = Terminal()
    result, _ = run(path, "--centre", "paris-csu", stderr=terminal)
    assert "importing [" in terminal.getvalue()
    assert "3/3" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\033[K")  # wiped when done
    assert result["created"] == 3  # the last line is still the JSON summary

    log = io.StringIO()
    run(path, "--centre", "paris-csu", stderr=log)
    assert log.getvalue() == ""


# --- Parsing, one case at a time ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "heading", "sweep"),
    [
        ("NW", 315.0, 0.0),
        ("N", 0.0, 0.0),
        ("nne", 22.5, 0.0),
        ("north-east", 45.0, 0.0),
        ("-140", 220.0, 0.0),
        ("360", 0.0, 0.0),
        ("15°", 15.0, 0.0),
        ("90;160;270", 180.0, 180.0),
        ("180, 270", 225.0, 90.0),
        ("350;10", 0.0, 20.0),  # across north, not the long way round
        ("190-100", 325.0, 270.0),
        ("E-W", 180.0, 180.0),
        ("W-E", 0.0, 180.0),
        ("0-360", None, 360.0),
        ("0-359", 179.5, 359.0),
    ],
)
def test_osm_directions(value, heading, sweep):
    direction = osm.parse_direction(value)
    assert (direction.heading, direction.sweep) == (heading, sweep)


@pytest.mark.parametrize("value", ["", "abc", "90-abc", "up", "1,2,x"])
def test_unreadable_osm_directions(value):
    assert osm.parse_direction(value) is None


@pytest.mark.parametrize(
    ("value", "metres"),
    [("5", 5.0), ("5 m", 5.0), ("5m", 5.0), ("2,5", 2.5), ("3.0", 3.0), ("10 ft", 3.05)],
)
def test_osm_heights(value, metres):
    assert osm.parse_height(value) == metres


@pytest.mark.parametrize("value", ["tall", "-3", "5 floors", ""])
def test_unreadable_osm_heights(value):
    assert osm.parse_height(value) is None


@pytest.mark.parametrize(
    ("camera_type", "kind"),
    [
        ("fixed", "fixed"),
        ("dome", "dome"),
        ("panning", "ptz"),
        ("360", "dome"),
        ("dome;fixed", "dome"),
        ("webcam", "fixed"),
        (None, "fixed"),
    ],
)
def test_osm_camera_types(camera_type, kind):
    assert osm.osm_kind(camera_type)[0] == kind


def test_camera_angle_is_a_tilt_and_never_a_field_of_view():
    tags = {**CAMERA, "camera:type": "fixed", "camera:direction": "90"}
    plain, _ = osm.osm_camera(tags)
    tilted, _ = osm.osm_camera({**tags, "camera:angle": "180"})
    assert plain == tilted
    assert plain["fov_deg"] == osm.LENS_FOV_DEG


def test_a_fixed_osm_camera_without_a_direction_sees_all_round():
    fields, notes = osm.osm_camera({"man_made": "surveillance"})
    assert (fields["kind"], fields["heading_deg"], fields["fov_deg"]) == ("fixed", None, 360.0)
    assert notes == []


def test_a_panning_camera_with_one_direction_keeps_its_full_turn():
    fields, _ = osm.osm_camera({**CAMERA, "camera:type": "panning", "camera:direction": "90"})
    pans = {name: fields[name] for name in ("pan_zero_deg", "pan_min_deg", "pan_max_deg")}
    assert (fields["heading_deg"], pans) == (
        90.0,
        {"pan_zero_deg": 0.0, "pan_min_deg": -180.0, "pan_max_deg": 180.0},
    )


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("heading_deg", "-90", 270.0),
        ("heading_deg", "360", 0.0),
        ("height_m", "4,5", 4.5),
        ("kind", "DOME", "dome"),
        ("kind", "", "fixed"),
        ("fov_deg", "", None),
        ("name", "  Rivoli  ", "Rivoli"),
    ],
)
def test_city_values(name, raw, value):
    assert city.city_value(name, raw) == value


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("heading_deg", "nan", "non-numeric heading_deg"),
        ("heading_deg", "1e999", "non-numeric heading_deg"),
        ("fov_deg", "361", "fov_deg out of range"),
        ("range_m", "0", "range_m out of range"),
        ("ptz_driver", "visca", "unknown ptz_driver"),
        ("name", "x" * 201, "name too long"),
    ],
)
def test_city_values_refused(name, raw, reason):
    with pytest.raises(city.Skip) as caught:
        city.city_value(name, raw)
    assert caught.value.reason == reason
