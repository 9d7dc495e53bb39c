"""The schema dialects the server serves, and the client rules it is linted with."""

from __future__ import annotations

from generator.contract import dialects

NULLABLE = {
    "type": "object",
    "properties": {
        "id": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"], "enum": ["a", None]},
        "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
        "settings": {
            "type": "object",
            "properties": {
                "flag": {"type": ["boolean", "null"]},
                "n": {"type": ["integer", "null"]},
            },
            "required": ["n"],
        },
    },
    "required": ["id"],
    "additionalProperties": False,
}


def test_the_default_profile_leaves_out_what_only_the_server_enforces() -> None:
    served = dialects.served_schema(NULLABLE)
    assert "additionalProperties" not in served  # unknown arguments are still refused
    props = served["properties"]
    assert props["id"] == {"type": ["string", "null"]}  # required: null is a value to send
    assert props["note"] == {"type": "string", "enum": ["a"]}  # optional: leave it out instead
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert props["settings"]["properties"] == {
        "flag": {"type": "boolean"},
        "n": {"type": ["integer", "null"]},
    }
    assert NULLABLE["properties"]["note"]["enum"] == ["a", None]  # the input is not changed


def test_a_merge_patch_keeps_null_where_it_clears_a_field() -> None:
    served = dialects.served_schema(NULLABLE, keep_null=True)
    assert served["properties"]["note"] == NULLABLE["properties"]["note"]
    assert "additionalProperties" not in served


def test_the_gemini_profile_is_the_gemini_dialect() -> None:
    assert dialects.served_schema(NULLABLE, "gemini") == dialects.gemini_schema(NULLABLE)
