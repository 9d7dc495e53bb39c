"""The served description: the spec's own words, the essentials, nothing said twice."""

from __future__ import annotations

from generator.contract import contract
from generator.ir import Annotations, Policy
from generator.policy import describe, is_redundant

WRITE = Annotations(read_only=False, destructive=False, idempotent=False, open_world=True)
DELETE = Annotations(read_only=False, destructive=True, idempotent=True, open_world=True)


def test_boilerplate_trigger_and_repeated_title_are_left_out() -> None:
    policy = Policy(
        title="Delete pipeline",
        trigger="Use when you need to delete pipeline.",
        scopes=("pipelines:delete",),
    )
    text = describe("Delete pipeline", "Deletes a pipeline by UUID.", policy, DELETE, False)
    assert text == (
        "Deletes a pipeline by UUID.\nDestructive: confirm with the user first. "
        "Scope: pipelines:delete."
    )


def test_a_trigger_that_adds_words_is_kept() -> None:
    policy = Policy(
        title="Drop a slot",
        trigger="Use when WAL keeps growing on the source after a pipeline was deleted.",
    )
    text = describe("Drop a slot", "Drops a replication slot.", policy, WRITE, False)
    assert text == (
        "Drops a replication slot.\n"
        "Use when WAL keeps growing on the source after a pipeline was deleted."
    )


def test_a_trigger_whose_words_the_description_already_has_is_left_out() -> None:
    trigger = "Use when you need to trigger automatic schema changes for all eligible pipelines in a company."
    assert is_redundant(
        trigger,
        "Trigger automatic schema changes for a company",
        "Enqueues automatic schema changes for all eligible running pipelines in the authenticated company.",
    )


def test_the_summary_stays_when_it_is_the_only_text_or_says_more_than_the_title() -> None:
    assert describe("List things", "", Policy(title="List things"), WRITE, False) == "List things."
    text = describe(
        "Archive old things",
        "Moves things to cold storage.",
        Policy(title="Archive"),
        WRITE,
        False,
    )
    assert text == "Archive old things.\nMoves things to cold storage."


def test_several_scopes_and_deprecation_are_said_once() -> None:
    policy = Policy(scopes=("a:read", "b:read"))
    text = describe("Get", "Gets it.", policy, WRITE, True)
    assert text == "Gets it.\nDeprecated. Scopes: a:read, b:read."


def test_a_long_description_is_cut_but_the_essentials_stay() -> None:
    policy = Policy(scopes=("connectors:write",))
    text = describe("Drop a slot", "word " * 1000, policy, DELETE, False)
    assert len(text) <= contract.MAX_DESCRIPTION
    assert text.endswith("…\nDestructive: confirm with the user first. Scope: connectors:write.")
