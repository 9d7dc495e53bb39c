import pytest

from generator import naming


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pipelines", "pipeline_list"),
        ("POST", "/pipelines", "pipeline_create"),
        ("GET", "/pipelines/{uuid}", "pipeline_detail"),
        ("POST", "/pipelines/{uuid}", "pipeline_update"),
        ("DELETE", "/pipelines/{uuid}", "pipeline_delete"),
        ("POST", "/pipelines/{uuid}/start", "pipeline_start"),
        ("POST", "/pipelines/{uuid}/backfill/cancel", "pipeline_backfill_cancel"),
        ("GET", "/connectors/{uuid}/detail", "connector_get_detail"),
        ("GET", "/column-hashing-salts", "column_hashing_salt_list"),
        ("POST", "/data-catalog/search", "data_catalog_search"),
        ("POST", "/source-readers/validate-unsaved", "source_reader_validate_unsaved"),
        ("GET", "/companies", "company_list"),
        ("GET", "/", "get_root"),
    ],
)
def test_derived_names_read_like_operation_ids(method: str, path: str, expected: str) -> None:
    assert naming.derive_name(method, path) == expected
    assert naming.TOOL_NAME.match(expected)


def test_sanitize_removes_characters_tool_names_cannot_have() -> None:
    assert naming.sanitize("files.upload/v2#part: one") == "files_upload_v2_part_one"


def test_shorten_keeps_a_readable_stem_and_is_deterministic() -> None:
    long = "create_a_very_long_operation_identifier_that_never_ends_in_any_client"
    short = naming.shorten(long, 48)
    assert len(short) == 48
    assert short.startswith("create_a_very_long_operation")
    assert short == naming.shorten(long, 48)
    other = naming.shorten(long + "_2", 48)
    assert other != short  # the hash tells apart names with the same stem


def test_unique_suffixes_without_exceeding_the_limit() -> None:
    taken = {"a" * 10}
    assert naming.unique("a" * 10, taken, 10) == "a" * 8 + "_2"


def test_singular() -> None:
    assert [
        naming.singular(w) for w in ["pipelines", "companies", "addresses", "status", "data"]
    ] == [
        "pipeline",
        "company",
        "address",
        "status",
        "data",
    ]
