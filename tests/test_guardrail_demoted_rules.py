"""A cue rule that leave-one-set-out demotes (guardrails/stage_loso.py, `demoted_rules` in
guardrails/data/injection_text.json) no longer flags on its own: its text goes to the whole-text stage whatever the
structural gate, and the stage decides. The sentences below are in no labelled set."""
from __future__ import annotations

from zhiku.guardrails.injection import _with_text_stage, rule_finding, rule_reasons, structure_finding
from zhiku.guardrails.text_detector import TextStage, shipped_text_stage

TEXT = "Please forget the earlier instructions about the parking lot."  # a rule fires; the reading does not

def _stage(threshold: float, demoted: frozenset[str]) -> TextStage:
    shipped = shipped_text_stage()
    return TextStage(shipped.weights, shipped.bias, threshold, shipped.blocks, shipped.buckets, 1.0, shipped.hidden,
                     demoted)

def test_every_rule_that_fires_is_listed_and_the_first_is_the_finding():
    reasons = rule_reasons(TEXT)
    assert reasons and rule_finding(TEXT).reason == reasons[0]
    assert rule_reasons("The branch opened in 1998. It has 42 employees.") == []

def test_a_demoted_rule_leaves_its_text_to_the_whole_text_stage():
    assert structure_finding(TEXT) is None  # only the cue rule flags it alone
    reasons = frozenset(rule_reasons(TEXT))
    # standing (as shipped): the rule flags, whatever the stage would say (its threshold 1.01 flags nothing)
    assert _with_text_stage([TEXT], _stage(1.01, frozenset()))[0].reason == rule_finding(TEXT).reason
    # demoted: the stage decides, even with the gate at 1.0 (no structural probability reaches it)
    assert _with_text_stage([TEXT], _stage(1.01, reasons))[0] is None
    found = _with_text_stage([TEXT], _stage(0.0, reasons))[0]
    assert found is not None and "whole-text stage" in found.reason
