"""Locarno expressions: parsing, evaluation, canonical form, and never an uncaught exception."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patsnap_analytics import codes, loc
from patsnap_analytics.loc import LocSyntaxError, parse


@pytest.mark.parametrize(
    ("expr", "codes", "expected"),
    [
        ("14", ["14-03"], True),
        ("14-03", ["14-02"], False),
        ("(01-01 OR 01-02)", ["01-02"], True),
        ("14 AND NOT 14-03", ["14-03"], False),
        ("14 NOT 14-03", ["14-02"], True),
        ("NOT 10", ["14-03"], True),
        ("10-02 OR 14 AND 26", ["10-02"], True),  # AND binds tighter than OR
        ("(10-02 OR 14) AND 26", ["10-02"], False),
        ("10-02 AND 10-07", ["10-02", "10-07"], True),
        ("not not 10", ["10-01"], True),
    ],
)
def test_matches(expr, codes, expected):
    assert parse(expr).matches(codes) is expected


@pytest.mark.parametrize(
    "bad", ["", "   ", "(", ")", "14 OR", "OR 14", "(14", "14)", "14 14", "14-3", "1403", "14--03",
            "14 AND AND 15", "14 XOR 15", "()", "14 & 15", "NOT", "14-03-01", "１４"],
)
def test_syntax_errors_name_loc_and_position(bad):
    with pytest.raises(LocSyntaxError) as info:
        parse(bad)
    assert info.value.parameter == "loc"
    assert info.value.position is None or 0 <= info.value.position <= len(bad)


@pytest.mark.parametrize(
    ("bad", "fragments"),
    [("99-01", ["99-01 at position 0 is not a Locarno code", "there is no class 99", "find_loc("]),
     ("14-55", ["class 14 (Recording", "has no subclass 55", "14-01 to 14-99"]),
     ("31-01", ["its subclass is 31-00"]),
     ("(10-02 OR 00)", ["00 at position 10", "no class 00"])],
)
def test_unknown_codes_are_refused_with_the_reason(bad, fragments):
    with pytest.raises(LocSyntaxError) as info:
        parse(bad)
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("14-3", "14-03"), ("1403", "14-03"), ("14.03", "14-03"), ("14/3", "14-03"), ("6-1", "06-01"),
     ("Cl. 14-03", "14-03"), ("watch", "10-02"), ("smartphone", "14-03"), ("hair dryer", "28-03"),
     ("(10-02 OR 14-3)", "14-03")],
)
def test_near_misses_get_did_you_mean(typed, meant):
    with pytest.raises(LocSyntaxError) as info:
        parse(typed)
    assert f"did you mean {meant} ({codes.loc_title(meant)})?" in str(info.value)


def test_evaluates_numpy_masks():
    masks = {"14": np.array([1, 1, 0, 0], bool), "14-03": np.array([0, 1, 0, 0], bool),
             "10": np.array([0, 0, 1, 0], bool)}
    got = parse("(14 NOT 14-03) OR 10").evaluate(masks.__getitem__)
    assert got.tolist() == [True, False, True, False]


def test_terms():
    assert parse("(14 NOT 14-03) OR 10-02").terms() == {"14", "14-03", "10-02"}


# every class and subclass of the table (a code outside it is refused, see test_unknown_codes_are_refused)
codes_st = st.sampled_from(sorted([*codes.LOC_CLASSES, *codes.LOC_SUBCLASSES]))


def exprs():
    return st.recursive(
        codes_st,
        lambda children: st.one_of(
            st.tuples(children, st.sampled_from([" AND ", " OR ", " NOT ", " and ", " or "]), children).map(
                lambda t: f"({t[0]}){t[1]}({t[2]})"),
            children.map(lambda c: f"NOT ({c})"),
        ),
        max_leaves=8,
    )


@settings(max_examples=200, deadline=None)
@given(exprs(), st.lists(codes_st, max_size=3))
def test_canonical_form_round_trips_and_means_the_same(text, design_codes):
    e = parse(text)
    again = parse(str(e))
    assert str(again) == str(e)
    assert again.matches(design_codes) == e.matches(design_codes)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-() ANDORTano\t", max_size=30))
def test_arbitrary_text_parses_or_raises_loc_syntax_error(text):
    try:
        e = loc.parse(text)
    except LocSyntaxError:
        return
    assert loc.normalise(str(e)) == str(e)
