"""Methodology files: loading, hashing, variants, history chaining and every error path."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from engine.errors import MethodologyError
from engine.rules import (
    Methodology,
    MethodologyHistory,
    load_history,
    load_methodology,
    methodology_dir,
)
from engine.rules.methodology import resolve

LAUNCH = methodology_dir() / "hsidi-2023-05.toml"
REVISION = methodology_dir() / "hsidi-2025-08.toml"


def write_variant(tmp_path, old: str, new: str, *, stem: str = "hsidi-2025-08", src=REVISION):
    text = src.read_text()
    assert old in text, old
    path = tmp_path / f"{stem}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


# ------------------------------------------------------------------------------------ loading
def test_shipped_files_load_with_the_documented_values():
    launch, rev = load_methodology("hsidi-2023-05"), load_methodology("hsidi-2025-08")
    assert launch.name == "hsidi-2023-05" and rev.name == "hsidi-2025-08"
    assert rev.effective_from == pd.Timestamp("2025-08-11")
    assert launch.effective_from == launch.index.base_date == pd.Timestamp("2019-12-31")
    assert (launch.universe.exclude_cxo, rev.universe.exclude_cxo) == (False, True)
    assert (launch.universe.require_southbound, rev.universe.require_southbound) == (False, True)
    assert launch.universe.industries == ()
    assert rev.universe.industries == ("Pharmaceuticals", "Biotechnology")
    assert (launch.liquidity.enabled, rev.liquidity.enabled) == (False, True)
    assert rev.selection.max_constituents == 40 and rev.weighting.cap == 0.10
    (extra,) = rev.schedule.extra
    assert (extra.effective, extra.cutoff, extra.announcement) == (
        pd.Timestamp("2025-08-11"),
        pd.Timestamp("2025-06-30"),
        pd.Timestamp("2025-08-01"),
    )
    assert launch.schedule.extra == ()
    assert rev.index.withholding_rates["H"] == 0.10


def test_load_by_path_equals_load_by_name():
    assert load_methodology(REVISION) == load_methodology("hsidi-2025-08")
    assert load_methodology(str(REVISION)).hash == load_methodology("hsidi-2025-08").hash


def test_methodology_is_frozen_and_hashable():
    m = load_methodology("hsidi-2025-08")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.weighting.cap = 0.2  # type: ignore[misc]
    assert len({m, load_methodology("hsidi-2025-08"), load_methodology("hsidi-2023-05")}) == 2


def test_hash_ignores_comments_and_key_order_but_not_values(tmp_path):
    base = load_methodology("hsidi-2025-08")
    assert re.fullmatch(r"[0-9a-f]{12}", base.hash)
    # swap two keys and drop a comment: same content, same hash
    text = REVISION.read_text().replace(
        "require_hsci = true                 # source [S1]: the universe stays the HSCI constituents\n"
        "require_southbound = true           # source [S2][S3]\n",
        "require_southbound = true\nrequire_hsci = true\n",
    )
    assert text != REVISION.read_text()
    (tmp_path / "hsidi-2025-08.toml").write_text(text)
    assert load_methodology(tmp_path / "hsidi-2025-08.toml").hash == base.hash
    assert base.replace(cap=0.15).hash != base.hash
    assert load_methodology("hsidi-2023-05").hash != base.hash


def test_replace_forms_and_validation():
    m = load_methodology("hsidi-2025-08")
    a = m.replace(cap=0.15)
    b = m.replace(**{"weighting.cap": 0.15})
    c = m.replace(weighting__cap=0.15)
    d = dataclasses.replace(m, weighting=dataclasses.replace(m.weighting, cap=0.15))
    assert a == b == c == d and a.weighting.cap == 0.15 and m.weighting.cap == 0.10
    e = m.replace(months=[3, 9], frequency="semiannual", base_date="2020-12-31")
    assert e.schedule.months == (3, 9) and e.index.base_date == pd.Timestamp("2020-12-31")
    f = m.replace(weighting=dataclasses.replace(m.weighting, cap=0.2))
    assert f.weighting.cap == 0.2
    with pytest.raises(MethodologyError, match=r"weighting\.cap") as exc:
        m.replace(cap=1.5)
    assert "(0, 1]" in str(exc.value)
    with pytest.raises(MethodologyError, match="unknown setting"):
        m.replace(cpa=0.1)
    with pytest.raises(MethodologyError, match="must be a WeightingRules"):
        m.replace(weighting={"cap": 0.1})
    with pytest.raises(MethodologyError, match="needs 4 review month"):
        m.replace(months=[3, 9])


def test_resolve_names():
    assert isinstance(resolve("hsidi"), MethodologyHistory)
    assert isinstance(resolve("hsidi-2023-05"), Methodology)
    m = load_methodology("hsidi-2023-05")
    assert resolve(m) is m
    assert isinstance(resolve(LAUNCH), Methodology)
    with pytest.raises(MethodologyError, match="cannot use this as a methodology"):
        resolve(42)


# ------------------------------------------------------------------------------------ history
def test_history_orders_versions_and_switches_on_2025_08_11():
    h = load_history("hsidi")
    assert [v.name for v in h.versions] == ["hsidi-2023-05", "hsidi-2025-08"]
    assert h.at("2019-12-31").name == "hsidi-2023-05"
    assert h.at("2025-06-09").name == "hsidi-2023-05"
    assert h.at("2025-08-08").name == "hsidi-2023-05"
    assert h.at("2025-08-10").name == "hsidi-2023-05"
    assert h.at("2025-08-11").name == "hsidi-2025-08"
    assert h.at("2026-03-09").name == "hsidi-2025-08"
    assert h.until(h.versions[0]) == pd.Timestamp("2025-08-11") and h.until(h.versions[1]) is None
    with pytest.raises(MethodologyError, match="before the first methodology version") as exc:
        h.at("2019-06-28")
    assert "2019-06-28" in str(exc.value)
    # versions given out of order are sorted; the hash depends on the content
    rev = MethodologyHistory("hsidi", (h.versions[1], h.versions[0]))
    assert rev.versions == h.versions and rev.hash == h.hash
    assert h.replace(cap=0.15).hash != h.hash
    assert all(v.weighting.cap == 0.15 for v in h.replace(cap=0.15).versions)


def test_history_errors(tmp_path):
    m = load_methodology("hsidi-2025-08")
    with pytest.raises(MethodologyError, match="same date"):
        MethodologyHistory("hsidi", (m, m.replace(name="hsidi-2025-08b")))
    with pytest.raises(MethodologyError, match="at least one version"):
        MethodologyHistory("hsidi", ())
    other = m.replace(
        index=dataclasses.replace(m.index), meta=dataclasses.replace(m.meta, index="hsbio")
    )
    with pytest.raises(MethodologyError, match="another index") as exc:
        load_history("hsidi", versions=[other])
    assert "meta.index" in str(exc.value)
    with pytest.raises(MethodologyError, match="no methodology files") as exc:
        load_history("nosuchindex")
    assert "nosuchindex-*.toml" in str(exc.value)


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("old", "new", "field", "expect"),
    [
        ("cap = 0.10", "cap_ = 0.10", "weighting.cap_", "unknown key"),
        ("cap = 0.10", 'cap = "ten"', "weighting.cap", "expected a number"),
        ("cap = 0.10", "cap = 0.0", "weighting.cap", "(0, 1]"),
        ("cap = 0.10", "cap = 0.02", "weighting.cap", "can never be met"),
        ("cap = 0.10", "", "weighting.cap", "missing key"),
        ("exclude_cxo = true", "exclude_cxo = 1", "universe.exclude_cxo", "expected a boolean"),
        (
            "max_constituents = 40",
            "max_constituents = 40.0",
            "selection.max_constituents",
            "integer",
        ),
        (
            "buffer_add_rank = 32",
            "buffer_add_rank = 45",
            "selection.buffer_add_rank",
            "buffer_add_rank <=",
        ),
        (
            'ranking = "relevance"',
            'ranking = "score"',
            "selection.ranking",
            "'relevance' or 'ffmc'",
        ),
        ('frequency = "quarterly"', 'frequency = "monthly"', "schedule.frequency", "'quarterly'"),
        (
            'frequency = "quarterly"',
            'frequency = "semiannual"',
            "schedule.months",
            "needs 2 review month",
        ),
        (
            'frequency = "quarterly"',
            'frequency = "explicit"',
            "schedule.explicit_effective_dates",
            "at least one date",
        ),
        ("months = [3, 6, 9, 12]", "months = [3, 6, 9, 13]", "schedule.months", "1..12"),
        (
            'base_date = "2019-12-31"',
            'base_date = "2019-13-45"',
            "index.base_date",
            "expected a date",
        ),
        (
            'base_date = "2019-12-31"',
            "base_date = 2019-12-31T10:00:00",
            "index.base_date",
            "time of day",
        ),
        ("H = 0.10", "H = 1.5", "index.withholding", "rates in [0, 1)"),
        ("H = 0.10", 'H = "ten"', "index.withholding.H", "expected a number"),
        ('cutoff = "2025-06-30"', 'cutof = "2025-06-30"', "schedule.extra[0].cutof", "unknown key"),
        (
            'cutoff = "2025-06-30"',
            'cutoff = "2025-08-30"',
            "schedule.extra[0].effective",
            "cutoff <= announcement < effective",
        ),
        ('name = "hsidi-2025-08"', 'name = "hsidi-2025-09"', "meta.name", "file stem"),
        ("window_sessions = 126", "window_sessions = 0", "liquidity.window_sessions", ">= 1"),
        ("[liquidity]", "[liquidity]\nthreshold = 3", "liquidity.threshold", "unknown key"),
    ],
)
def test_malformed_file_messages_name_file_section_key(tmp_path, old, new, field, expect):
    path = write_variant(tmp_path, old, new)
    with pytest.raises(MethodologyError) as exc:
        load_methodology(path)
    msg = str(exc.value)
    assert str(path) in msg, msg
    assert f"field={field}" in msg, msg
    assert expect in msg, msg


def test_unknown_and_missing_sections(tmp_path):
    path = write_variant(tmp_path, "[selection]", "[selektion]")
    with pytest.raises(MethodologyError, match="unknown section") as exc:
        load_methodology(path)
    assert "selektion" in str(exc.value) and str(path) in str(exc.value)
    text = REVISION.read_text()
    head, _, tail = text.partition("[selection]")
    tail = tail[tail.index("[weighting]") :]
    (tmp_path / "hsidi-2025-08.toml").write_text(head + tail)
    with pytest.raises(MethodologyError, match="missing section") as exc:
        load_methodology(tmp_path / "hsidi-2025-08.toml")
    assert "field=selection" in str(exc.value)


def test_invalid_toml_names_file_and_line(tmp_path):
    path = write_variant(tmp_path, "cap = 0.10", "cap = = 0.10")
    with pytest.raises(MethodologyError, match="not valid TOML") as exc:
        load_methodology(path)
    assert str(path) in str(exc.value) and "line" in str(exc.value)


def test_missing_file_lists_known_names(tmp_path):
    with pytest.raises(MethodologyError, match="methodology not found") as exc:
        load_methodology("hsidi-1999-01")
    assert "hsidi-2023-05" in str(exc.value) and "hsidi-2025-08" in str(exc.value)
    with pytest.raises(MethodologyError, match="methodology not found"):
        load_methodology(tmp_path / "nope.toml")


# ------------------------------------------------------------------------------------ docs
def test_every_cited_source_and_key_is_documented_in_the_readme():
    readme = (methodology_dir() / "README.md").read_text()
    for path in (LAUNCH, REVISION):
        text = path.read_text()
        for sid in set(re.findall(r"\[S\d+\]", text)):
            assert sid in readme, f"{sid} cited in {path.name} but not explained in README.md"
    m = load_methodology("hsidi-2025-08")
    for section, values in m.to_dict().items():
        for key in values:
            assert f"`{key}`" in readme or f"{section}.{key}" in readme, (
                f"{section}.{key} undocumented"
            )


def test_every_rule_line_carries_a_source_or_assumption_comment():
    for path in (LAUNCH, REVISION):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            key = stripped.split("=")[0].strip()
            if not stripped or stripped.startswith(("#", "[")) or "=" not in stripped:
                continue
            if key in ("name", "index", "title", "H", "red_chip", "p_chip", "foreign", "hk"):
                continue  # identity lines; the withholding table carries one comment on its header
            if key in ("window_sessions", "min_avg_traded_value_hkd") and path == LAUNCH:
                continue  # inactive in the launch file (commented on the section's enabled line)
            comment = line.partition("#")[2]
            assert "source" in comment or "assumption" in comment or "used only" in comment, (
                f"{path.name}: {line!r}"
            )


def test_to_frame_lists_every_setting_and_the_revision_changes():
    m = load_methodology("hsidi-2025-08")
    f = m.to_frame()
    assert list(f.columns) == ["section", "key", "value"]
    assert len(f) == sum(len(v) for v in m.to_dict().values())
    assert f.set_index(["section", "key"]).loc[("weighting", "cap"), "value"] == "0.1"
    diff = load_history("hsidi").to_frame()
    changed = set(diff.index[diff["changed"]])
    # the rule changes of the revision (plus identity lines), nothing else
    assert changed == {
        ("meta", "name"),
        ("meta", "title"),
        ("meta", "effective_from"),
        ("universe", "require_southbound"),
        ("universe", "exclude_cxo"),
        ("universe", "industries"),
        ("liquidity", "enabled"),
        ("schedule", "extra"),
    }


def test_history_rejects_two_versions_with_one_name():
    m = load_methodology("hsidi-2025-08")
    with pytest.raises(MethodologyError, match="share a name"):
        MethodologyHistory("hsidi", (m, m.replace(effective_from="2025-09-08")))
