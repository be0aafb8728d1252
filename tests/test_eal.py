import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sendlib
from sendlib import eal, load_trust
from sendlib._testing import planted_eal_trust, write_folder
from sendlib.eal import (
    ITEMS,
    KEY_REQUIREMENTS,
    LANGUAGE,
    MISSING,
    NEUTRAL,
    OUTCOMES,
    SEND,
    combine,
    eal_evidence_items,
    identification_by_language,
    weigh_eal_evidence,
)

ALL_LANGUAGE = {item: NEUTRAL for item in ITEMS} | {
    "first_language_assessment": LANGUAGE,
    "parent_report": LANGUAGE,
    "proficiency_and_exposure": LANGUAGE,
}


# --- one golden case per combining branch ---------------------------------------------------------
@pytest.mark.parametrize(
    "changes, outcome",
    [
        ({"first_language_assessment": MISSING, "parent_report": MISSING}, "INSUFFICIENT_EVIDENCE"),
        ({"proficiency_and_exposure": MISSING}, "INSUFFICIENT_EVIDENCE"),
        ({}, "CONSISTENT_WITH_LANGUAGE_ACQUISITION"),
        (
            {
                "first_language_assessment": SEND,
                "parent_report": SEND,
                "progress_against_true_peers": SEND,
                "cat4_profile": SEND,
            },
            "CONSIDER_SEND_ASSESSMENT",
        ),
        # first-language concern but progress like true peers and nothing else: mixed
        (
            {"first_language_assessment": SEND, "parent_report": MISSING, "progress_against_true_peers": LANGUAGE},
            "MIXED_REVIEW",
        ),
        # concerns and slow progress, but too little EAL support yet: mixed, not SEND
        (
            {
                "first_language_assessment": SEND,
                "parent_report": SEND,
                "progress_against_true_peers": SEND,
                "eal_support": LANGUAGE,
            },
            "MIXED_REVIEW",
        ),
        # assessment and parents disagree: mixed
        (
            {"first_language_assessment": SEND, "parent_report": LANGUAGE, "progress_against_true_peers": SEND},
            "MIXED_REVIEW",
        ),
    ],
)
def test_combining_branches(changes, outcome):
    assert combine(ALL_LANGUAGE | changes) == outcome


def test_low_scores_in_english_alone_never_reach_send():
    findings = {item: SEND for item in ITEMS} | {"first_language_assessment": LANGUAGE, "parent_report": LANGUAGE}
    assert combine(findings) != "CONSIDER_SEND_ASSESSMENT"


@given(
    st.fixed_dictionaries({item: st.sampled_from([SEND, LANGUAGE, NEUTRAL, MISSING]) for item in ITEMS}),
    st.sampled_from(list(KEY_REQUIREMENTS)),
)
def test_a_missing_key_item_always_gives_insufficient_evidence(findings, requirement):
    for item in KEY_REQUIREMENTS[requirement]:
        findings[item] = MISSING
    assert combine(findings) == "INSUFFICIENT_EVIDENCE"


# --- items -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stage, years, finding",
    [
        ("A", 0.5, LANGUAGE),
        ("B", 1.9, LANGUAGE),
        ("C", 4.0, LANGUAGE),
        ("A", 4.5, SEND),
        ("B", 6.0, SEND),
        ("D", 3.0, NEUTRAL),
        ("E", 8.0, NEUTRAL),
        ("C", 7.0, NEUTRAL),
        (None, 2.0, MISSING),
        ("B", None, MISSING),
    ],
)
def test_proficiency_and_exposure(stage, years, finding):
    assert eal.proficiency_and_exposure(stage, years)[0] == finding


@pytest.mark.parametrize(
    "stage, scores, finding",
    [
        ("C", (70, 95, 96, 94), LANGUAGE),  # verbal 10+ below the others
        ("C", (80, 85, 84, 82), SEND),  # non-verbal and spatial both stanine 3 or below
        ("B", (70, 80, 75, 75), NEUTRAL),  # never used as SEND evidence at stage A or B
        ("D", (98, 100, 97, 102), NEUTRAL),
        ("D", (None, None, None, None), MISSING),
    ],
)
def test_cat4_profile(stage, scores, finding):
    values = [float("nan") if v is None else float(v) for v in scores]
    assert eal.cat4_profile(stage, *values)[0] == finding


def test_true_peers_item_needs_enough_peers():
    assert eal.progress_against_true_peers(-10.0, 3.0, 4.0, 3, "x")[0] == MISSING
    assert eal.progress_against_true_peers(-10.0, 3.0, 4.0, 12, "x")[0] == SEND
    assert eal.progress_against_true_peers(3.5, 3.0, 4.0, 12, "x")[0] == LANGUAGE
    assert "12 true peers" in eal.progress_against_true_peers(3.5, 3.0, 4.0, 12, "x")[1]


def test_eal_support_must_be_sustained():
    assert eal.eal_support(2)[0] == LANGUAGE
    assert eal.eal_support(3)[0] == NEUTRAL
    assert eal.eal_support(float("nan"))[0] == MISSING


# --- a planted trust with clear-cut cases -------------------------------------------------------------
@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tables, truth = planted_eal_trust(n_each=60, seed=2031)
    trust = load_trust(write_folder(tmp_path_factory.mktemp("eal"), tables))
    return trust, truth


def test_clear_cut_cases(planted):
    trust, truth = planted
    outcomes = weigh_eal_evidence(trust).merge(truth, on="upn")
    share = outcomes.groupby("kind")["outcome"].value_counts(normalize=True)
    assert share["early_language"].get("CONSISTENT_WITH_LANGUAGE_ACQUISITION", 0) >= 0.95
    assert share["early_language"].get("CONSIDER_SEND_ASSESSMENT", 0) == 0
    assert share["no_l1_evidence"].get("INSUFFICIENT_EVIDENCE", 0) >= 0.95
    assert share["send"].get("CONSIDER_SEND_ASSESSMENT", 0) >= 0.93
    assert set(outcomes["outcome"]) <= set(OUTCOMES)
    assert (outcomes["kind"] != "english").all()  # only EAL pupils are weighed


def test_every_outcome_explains_itself_and_continues_eal_support(planted):
    trust, _ = planted
    outcomes = weigh_eal_evidence(trust)
    first = outcomes["next_steps"].map(lambda steps: steps[0])
    assert first.isin(["Continue EAL support", eal.FLUENT_FIRST_STEP]).all() and (first == "Continue EAL support").any()
    insufficient = outcomes[outcomes["outcome"] == "INSUFFICIENT_EVIDENCE"].iloc[0]
    assert any("first language" in step for step in insufficient["next_steps"])
    assert any("parents" in step for step in insufficient["next_steps"])
    assert "a first-language assessment" in insufficient["missing"]
    language = outcomes[outcomes["outcome"] == "CONSISTENT_WITH_LANGUAGE_ACQUISITION"].iloc[0]
    assert pd.notna(language["review_date"]) and any("Review on" in step for step in language["next_steps"])
    items = eal_evidence_items(trust)
    assert set(items["item"]) == set(ITEMS)
    assert set(items["finding"]) <= {SEND, LANGUAGE, NEUTRAL, MISSING}
    counts = items[items["finding"] == SEND].groupby("upn").size()
    merged = outcomes.set_index("upn")["points_to_send"]
    assert (merged.reindex(counts.index) == counts).all()


def test_true_peers_widen_and_say_so(tmp_path):
    tables, _ = planted_eal_trust(n_typical=30, n_each=6, n_english=10, seed=3)
    trust = load_trust(write_folder(tmp_path / "t", tables))
    details = eal_evidence_items(trust)
    peers = details[details["item"] == "progress_against_true_peers"]["detail"]
    assert peers.str.contains("widened as too few were alike").any()


def test_journey_two_panel_updates_when_evidence_arrives(tmp_path):
    tables, truth = planted_eal_trust(n_each=20, seed=4)
    upn = truth.loc[truth["kind"] == "no_l1_evidence", "upn"].iloc[0]
    before = weigh_eal_evidence(load_trust(write_folder(tmp_path / "a", tables))).set_index("upn").loc[upn]
    assert before["outcome"] == "INSUFFICIENT_EVIDENCE"
    evidence = tables["eal_evidence"].copy()
    evidence.loc[evidence["upn"] == upn, ["l1_assessment", "parent_l1_report"]] = ["age_appropriate", "age_appropriate"]
    after = weigh_eal_evidence(load_trust(write_folder(tmp_path / "b", {**tables, "eal_evidence": evidence})))
    assert after.set_index("upn").loc[upn, "outcome"] != "INSUFFICIENT_EVIDENCE"


def test_no_eal_evidence_file_means_insufficient_evidence(tmp_path):
    tables, _ = planted_eal_trust(n_typical=20, n_each=5, n_english=5, seed=5)
    trust = load_trust(write_folder(tmp_path / "t", {k: v for k, v in tables.items() if k != "eal_evidence"}))
    assert set(weigh_eal_evidence(trust)["outcome"]) == {"INSUFFICIENT_EVIDENCE"}


def test_identification_by_language_on_the_sample():
    table = identification_by_language(sendlib.load_sample())
    whole = table[table["school"] == "All schools"].set_index("measure")
    assert {"SLCN (primary need)", "SpLD (primary need)", "SEN support (K)", "EHC plan (E)"} <= set(whole.index)
    # the sample, like Solihull's finding, over-identifies EAL pupils for SLCN
    assert whole.loc["SLCN (primary need)", "eal_pct"] > whole.loc["SLCN (primary need)", "english_pct"]
    assert whole.loc["SEN support (K)", "national_pct"] == pytest.approx(14.2)
    assert set(table["school"]) == {"All schools", *sendlib.load_sample().schools}


# --- the registry: an item is one declaration plus its rule ----------------------------------------
def test_a_registered_item_is_judged_tabled_counted_and_named_when_missing(planted, monkeypatch):
    trust, _ = planted
    monkeypatch.setattr(eal, "ITEMS", dict(ITEMS))

    @eal.item("a speech and language screen", reads=lambda e: (e.value("speech_screen"),))
    def speech_screen(value):  # a made-up item: eal_evidence.csv has no such column, so it is missing
        return (SEND, "the screen found a concern") if value == "concern" else (MISSING, "no speech screen")

    items = eal_evidence_items(trust)
    mine = items[items["item"] == "speech_screen"]
    assert len(mine) == items["upn"].nunique() and set(mine["finding"]) == {MISSING}
    assert list(items.drop_duplicates("item")["item"])[-1] == "speech_screen"  # in the order of declaration
    outcomes = weigh_eal_evidence(trust)
    assert outcomes["missing"].map(lambda words: "a speech and language screen" in words).all()


def test_pupils_on_the_register_and_fluent_pupils_are_framed_for_their_situation():
    trust = sendlib.load_sample()
    outcomes = weigh_eal_evidence(trust).merge(trust.pupils[["upn", "sen_provision", "english_proficiency"]], on="upn")
    assert (outcomes["situation"] == outcomes["sen_provision"].map(eal.SITUATIONS)).all()
    fluent = outcomes["english_proficiency"].isin(["D", "E"])
    assert fluent.sum() >= 50
    assert not outcomes.loc[fluent, "explanation"].str.contains("still acquiring|leans to learning English").any()
    assert (outcomes.loc[outcomes["english_proficiency"] == "E", "next_steps"].str[0] == eal.FLUENT_FIRST_STEP).all()
    registered = outcomes[outcomes["sen_provision"].isin(["K", "E"])]
    assert len(registered) >= 20
    assert registered["explanation"].str.startswith("On the SEN register (").all()
    # nobody already on the register is told to consider an SEN assessment
    assert not registered["next_steps"].map(lambda steps: any("consider assessing for SEN" in s for s in steps)).any()
    assert not registered["explanation"].str.contains("consider an SEN assessment").any()


def test_every_item_has_its_words():
    for name, declared in ITEMS.items():
        assert declared.name == name and declared.label
    for items in KEY_REQUIREMENTS.values():  # a missing key item always says how to collect it
        assert all(ITEMS[name].collect for name in items)


def test_both_tables_from_one_weighing_are_the_two_tables():
    trust = sendlib.load_sample()
    outcomes, items = eal.weigh_eal_evidence_and_items(trust)
    pd.testing.assert_frame_equal(outcomes, eal.weigh_eal_evidence(trust))
    pd.testing.assert_frame_equal(items, eal.eal_evidence_items(trust))


def test_an_age_appropriate_first_language_does_not_outweigh_two_more_items_pointing_to_send():
    """Fluent after years here, first language age-appropriate, progressing like true peers;
    but a low non-verbal CAT4 profile and maths well below true peers: both ways, a review."""
    findings = {
        "first_language_assessment": "LANGUAGE",
        "parent_report": "LANGUAGE",
        "progress_against_true_peers": "LANGUAGE",
        "proficiency_and_exposure": "NEUTRAL",
        "less_language_heavy_work": "SEND",
        "cat4_profile": "SEND",
    }
    assert eal.combine(findings) == "MIXED_REVIEW"
    assert eal.combine({**findings, "cat4_profile": "NEUTRAL"}) == "CONSISTENT_WITH_LANGUAGE_ACQUISITION"


def test_two_items_that_measure_one_fact_count_once_against_an_age_appropriate_first_language():
    """Slow progress shown by both progress items is one fact: not enough to outweigh an
    age-appropriate first language."""
    findings = {
        "first_language_assessment": "LANGUAGE",
        "parent_report": "LANGUAGE",
        "proficiency_and_exposure": "LANGUAGE",
        "progress_against_true_peers": "SEND",
        "progress_tests": "SEND",
    }
    assert eal.combine(findings) == "CONSISTENT_WITH_LANGUAGE_ACQUISITION"
    assert eal.combine({**findings, "cat4_profile": "SEND"}) == "MIXED_REVIEW"  # a second fact
