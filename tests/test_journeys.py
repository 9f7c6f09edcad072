"""Journey maps: the shipped maps validate; broken maps name the line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from voc.errors import ConfigError
from voc.journey.maps import built_in_journeys, load_journey_map, parse_journey_map

MINIMAL = """\
name: Shop
stages:
  - id: buy
    name: Buy
touchpoints:
  - id: app
    name: {fa: اپلیکیشن}
"""


def test_shipped_maps_validate(run_cli) -> None:
    maps = built_in_journeys()
    assert {"ecommerce", "food_delivery", "banking", "telecom"} <= set(maps)
    result = run_cli("journeys", "validate", *maps.values())
    assert result.code == 0, result.stderr
    assert result.stdout.count(": ok") == len(maps)


def test_default_map_follows_the_standard_journey() -> None:
    journey = load_journey_map("ecommerce")
    assert journey.stage_ids() == ["discovery", "evaluation", "purchase", "delivery", "usage",
                                   "support", "returns", "loyalty"]
    assert {"search_ads", "social_media", "website", "mobile_app", "product_page", "checkout",
            "payment_gateway", "email_sms", "call_center", "chat", "courier", "store",
            "returns_portal"} == set(journey.touchpoint_ids())
    for item in (*journey.stages, *journey.touchpoints):
        assert set(item.name) == {"en", "fa"}
        assert set(item.keywords) == {"en", "fa"}
    assert journey.channel_map["cafebazaar"] == "mobile_app"


def test_minimal_single_language_map() -> None:
    journey = parse_journey_map(MINIMAL, "mini.yaml")
    assert journey.name == {"en": "Shop"}
    assert journey.touchpoints[0].label("en") == "اپلیکیشن"  # falls back to what exists
    assert journey.touchpoints[0].keywords == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL.replace("    name: Buy\n", ""),
         r"line 3, stages\[0\]: missing required field 'name'"),
        (MINIMAL.replace("id: buy", "id: Buy Now"), r"line 3, stages\[0\].id: 'Buy Now' must be"),
        (MINIMAL + "    stages: [pay]\n", r"touchpoints\[0\].stages: unknown stage 'pay'"),
        (MINIMAL + "    colour: red\n", r"line 8, touchpoints\[0\].colour: unknown field"),
        (MINIMAL.replace("name: {fa: اپلیکیشن}", "name: {de: App}"),
         r"touchpoints\[0\].name.de: unknown field"),
        (MINIMAL + "channel_map:\n  phone: call_center\n", "unknown touchpoint 'call_center'"),
        (MINIMAL.replace("touchpoints:", "touchpoints: []\nx:"), "unknown field"),
        ("stages: [\n", "not valid YAML"),
        (MINIMAL.replace("  - id: app", "  - id: buy\n    name: x\n  - id: buy"),
         "id 'buy' is used twice"),
    ],
)
def test_broken_maps_name_line_and_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_journey_map(text, "mine.yaml")


def test_cli_validate_reports_one_line_and_exit_2(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL.replace("    name: Buy\n", ""), encoding="utf-8")
    result = run_cli("journeys", "validate", path)
    assert result.code == 2
    assert result.stderr.strip().startswith("error: journey map")
    assert "line 3" in result.stderr
    assert run_cli("journeys", "show", "missing_map").code == 2


def test_cli_list_and_show(run_cli) -> None:
    listing = run_cli("journeys", "list").stdout
    assert "ecommerce (default)" in listing
    shown = run_cli("journeys", "show", "ecommerce", "--lang", "fa").stdout
    assert "کشف و آشنایی" in shown
