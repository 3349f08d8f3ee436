"""The gate's rules as JUnit test cases, so CI test views list which release rule failed.

pytest's JUnit file holds one test case per golden example (suites/). A CI system that reads
it (GitHub's and GitLab's test reports, Jenkins) would show the per-example failures but not
why the *release* was refused, which is the gate's verdict. ``add_gate_cases`` appends one
``<testsuite name="sqlgate gate">`` with a test case per verdict rule: a failed rule carries a
``<failure>`` whose message is the rule's detail. The file is rewritten atomically.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.io.atomic import write_text_atomic

GATE_SUITE = "sqlgate gate"


def _case_text(rule: dict) -> str:
    """One line saying what the rule compared, for the failure body."""
    parts = [f"rule: {rule.get('rule')}"]
    if rule.get("metric"):
        parts.append(f"metric: {rule['metric']}")
    if rule.get("value") is not None:
        parts.append(f"value: {rule['value']}")
    if rule.get("threshold") is not None:
        parts.append(f"threshold: {rule.get('comparator') or ''} {rule['threshold']}".strip())
    return "; ".join(parts)


def gate_suite(verdict: dict) -> ET.Element:
    """A ``<testsuite>`` element with one test case per rule of ``verdict``."""
    policy = verdict.get("policy") or {}
    classname = f"sqlgate.gate.{policy.get('name', 'policy')}"
    rules = verdict.get("rules") or []
    failures = sum(1 for rule in rules if not rule.get("passed"))
    suite = ET.Element("testsuite", {
        "name": GATE_SUITE, "tests": str(len(rules)), "failures": str(failures),
        "errors": "0", "skipped": "0", "time": "0"})
    for rule in rules:
        case = ET.SubElement(suite, "testcase", {
            "classname": classname, "name": str(rule.get("rule")), "time": "0"})
        if not rule.get("passed"):
            failure = ET.SubElement(case, "failure", {
                "message": str(rule.get("detail") or "rule failed")})
            failure.text = _case_text(rule)
    return suite


def add_gate_cases(junit_path: Path, verdict: dict) -> None:
    """Append the gate's rules to the JUnit file at ``junit_path`` (replacing an earlier
    gate suite, so a rerun does not list the rules twice)."""
    tree = ET.parse(junit_path)
    root = tree.getroot()
    if root.tag == "testsuite":  # a single suite: wrap it so a second one can sit beside it
        wrapper = ET.Element("testsuites")
        wrapper.append(root)
        root = wrapper
    for old in [s for s in root.findall("testsuite") if s.get("name") == GATE_SUITE]:
        root.remove(old)
    root.append(gate_suite(verdict))
    for key in ("tests", "failures"):
        if root.get(key) is not None or key == "tests":
            root.set(key, str(sum(int(s.get(key, "0")) for s in root.findall("testsuite"))))
    write_text_atomic(junit_path, ET.tostring(root, encoding="unicode", xml_declaration=True)
                      + "\n")
