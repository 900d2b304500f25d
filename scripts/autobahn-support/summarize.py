#!/usr/bin/env python3
"""Judges an Autobahn|Testsuite fuzzingclient report: prints a one-screen summary, writes every
failing case with what the server did and what was expected to failures.txt, exits 1 if any
case failed.

Usage: summarize.py REPORT_DIR

A case passes when its behavior is OK, NON-STRICT or INFORMATIONAL and its closing behavior is
OK or INFORMATIONAL. Everything else fails it, in particular WRONG CODE, UNCLEAN and FAILED BY
CLIENT (the test suite had to drop the TCP connection itself because the server held it open).
"""

import collections
import json
import pathlib
import sys

PASSING_BEHAVIORS = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASSING_CLOSE_BEHAVIORS = {"OK", "INFORMATIONAL"}

# Cases this slow are listed even when they pass: most cases take milliseconds, and one that
# takes a second or more either waits or moves megabytes by design (5.19, 6.4.*, 9.*) or sat
# out a timeout, such as Autobahn's one second for the server to close TCP.
SLOW_CASE_MS = 1000

# Failing-case groups printed (two lines each) before "... see failures.txt", so the summary
# stays on one screen.
MAX_GROUPS_SHOWN = 12

# Longest description of one received or expected event in failures.txt.
MAX_EVENT_CHARS = 60


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def compact_ids(case_ids):
    """["6.4.1", "6.4.2", "6.4.3", "7.5.1"] -> "6.4.1-3 7.5.1": consecutive cases that share all
    but their last number are shown as one range."""
    by_prefix = collections.OrderedDict()
    for case_id in sorted(case_ids, key=case_key):
        prefix, _, last = case_id.rpartition(".")
        by_prefix.setdefault(prefix, []).append(int(last))
    parts = []
    for prefix, numbers in by_prefix.items():
        runs = []
        for number in numbers:
            if runs and number == runs[-1][1] + 1:
                runs[-1][1] = number
            else:
                runs.append([number, number])
        for first, last in runs:
            span = str(first) if first == last else f"{first}-{last}"
            parts.append(f"{prefix}.{span}" if prefix else span)
    return " ".join(parts)


def describe_event(event):
    """One received or expected event, short: ["message", payload, binary] -> "text message (5 B)"."""
    kind = event[0]
    if kind == "message":
        payload, binary = event[1], event[2]
        return f"{'binary' if binary else 'text'} message ({len(payload)} B)"
    if kind in ("ping", "pong"):
        return f"{kind} ({len(event[1])} B)"
    if kind == "timeout":
        return f"timeout {event[1]}"
    return str(event)[:MAX_EVENT_CHARS]


def describe_events(events):
    if not events:
        return "nothing"
    counts = collections.Counter(describe_event(event) for event in events)
    return ", ".join(text if n == 1 else f"{n} x {text}" for text, n in counts.items())


def what_happened(detail):
    """What the server did with the close, in the words a fix needs."""
    remote = detail.get("remoteCloseCode")
    local = detail.get("localCloseCode")
    if detail.get("wasClean") and detail.get("droppedByMe"):
        # Autobahn waits about a second for the server to close TCP, then drops it itself.
        closer = "the test suite" if detail.get("closedByMe") else "the server"
        return (f"{closer} started the close, the server sent {remote}, then kept TCP open"
                " until the test suite dropped it")
    if detail.get("failedByMe") and remote is None:
        return f"the server never failed the connection: the test suite did, with {local}"
    if detail.get("closedByMe"):
        answer = f"the server answered {remote}" if remote is not None else "no close frame back"
        story = f"the test suite closed with {local}, {answer}"
    else:
        story = (f"the server closed with {remote}" if remote is not None
                 else "the server sent no close frame")
    if not detail.get("wasClean"):
        story += f" ({detail.get('wasNotCleanReason') or 'not clean'})"
    return story


def what_was_expected(detail):
    expected_close = detail.get("expectedClose") or {}
    codes = "/".join(map(str, expected_close.get("closeCode") or [])) or "any code"
    if expected_close.get("closedByMe"):
        story = f"the test suite closes, the server answers {codes}"
    else:
        story = f"the server closes with {codes}"
    return story + (", cleanly" if expected_close.get("requireClean") else "")


def group_reason(detail, behavior, behavior_close):
    """The reason failing cases are grouped by: the verdicts plus what the server did, so 75
    cases failing the same way take one line."""
    return (f"{behavior}/{behavior_close}: {what_happened(detail)};"
            f" expected: {what_was_expected(detail)}")


def failure_record(case_id, summary, detail):
    expected = detail.get("expected") or {}
    expected_text = " | ".join(
        f"{verdict}: {describe_events(events)}" for verdict, events in sorted(expected.items())
    )
    return "\n".join(
        [
            f"{case_id}  {summary['behavior']} / {summary['behaviorClose']}  "
            f"({summary.get('duration', '?')} ms)",
            f"  case:     {detail.get('description', '?')}",
            f"  spec:     {detail.get('expectation', '?')}",
            f"  events:   received {describe_events(detail.get('received') or [])};"
            f" expected {expected_text or '?'}",
            f"  result:   {detail.get('result', '?')}",
            f"  close:    {detail.get('resultClose', '?')}",
            f"  server:   {what_happened(detail)}",
            f"  expected: {what_was_expected(detail)}",
        ]
    )


def main(argv):
    if len(argv) != 2:
        print("usage: summarize.py REPORT_DIR", file=sys.stderr)
        return 2
    report_dir = pathlib.Path(argv[1])
    index_path = report_dir / "index.json"
    if not index_path.exists():
        print(f"autobahn: no report at {index_path}: the test suite did not finish", file=sys.stderr)
        return 1
    index = json.loads(index_path.read_text(encoding="utf-8"))
    if not index:
        print(f"autobahn: {index_path} holds no agent: no case ran", file=sys.stderr)
        return 1

    failed_any = False
    for agent, cases in index.items():
        if not cases:
            print(f"autobahn: agent {agent}: no case ran", file=sys.stderr)
            failed_any = True
            continue
        behaviors = collections.Counter(case["behavior"] for case in cases.values())
        close_behaviors = collections.Counter(case["behaviorClose"] for case in cases.values())
        total_ms = sum(case.get("duration", 0) for case in cases.values())
        failing = {}
        groups = collections.OrderedDict()
        slow = []
        for case_id in sorted(cases, key=case_key):
            case = cases[case_id]
            if case.get("duration", 0) >= SLOW_CASE_MS:
                slow.append((case["duration"], case_id))
            if (
                case["behavior"] in PASSING_BEHAVIORS
                and case["behaviorClose"] in PASSING_CLOSE_BEHAVIORS
            ):
                continue
            detail_path = report_dir / case.get("reportfile", "")
            detail = (
                json.loads(detail_path.read_text(encoding="utf-8"))
                if case.get("reportfile") and detail_path.exists()
                else {}
            )
            failing[case_id] = failure_record(case_id, case, detail)
            reason = group_reason(detail, case["behavior"], case["behaviorClose"])
            groups.setdefault(reason, []).append(case_id)

        def counts(counter):
            return ", ".join(f"{name} {n}" for name, n in counter.most_common())

        print(f"Autobahn|Testsuite fuzzingclient against {agent}: {len(cases)} cases,"
              f" {total_ms / 1000:.1f} s in cases")
        print(f"  behavior:       {counts(behaviors)}")
        print(f"  behaviorClose:  {counts(close_behaviors)}")
        if slow:
            slow.sort(reverse=True)
            shown = ", ".join(f"{case_id} {ms / 1000:.1f} s" for ms, case_id in slow[:6])
            more = f" (+{len(slow) - 6} more)" if len(slow) > 6 else ""
            print(f"  slow (>= {SLOW_CASE_MS / 1000:g} s): {len(slow)}: {shown}{more}")
        failures_path = report_dir.parent / "failures.txt"
        if failing:
            failed_any = True
            print(f"  FAILING: {len(failing)} cases, by what happened:")
            for shown, (reason, case_ids) in enumerate(groups.items()):
                if shown == MAX_GROUPS_SHOWN:
                    print(f"    ... {len(groups) - shown} more groups in {failures_path}")
                    break
                print(f"    {len(case_ids):3d}  {compact_ids(case_ids)}")
                print(f"         {reason}")
            failures_path.write_text(
                "\n\n".join(failing[case_id] for case_id in sorted(failing, key=case_key)) + "\n",
                encoding="utf-8",
            )
            print(f"  every failing case, what the server did and what was expected: {failures_path}")
        else:
            failures_path.unlink(missing_ok=True)
            print("  PASS: no case failed")
    print(f"  report: {report_dir / 'index.html'}")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
