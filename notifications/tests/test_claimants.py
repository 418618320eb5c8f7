"""Telling a dead worker's claim from a live one (dispatch/claim.py).

A claim names the process that made it: host, boot, pid and the pid's start
time, so a claim of a process that died, of a host rebooted since, or of a
pid reused by another process is taken back at once, while claims of other
hosts are left to their lease.
"""

from __future__ import annotations

import subprocess
import sys

from notifications.dispatch.claim import _boot_id, _host, claimant_is_gone, worker_name


def test_this_process_is_alive():
    assert not claimant_is_gone(worker_name())
    assert not claimant_is_gone(f"{worker_name()}:abcd1234")  # with the claim's suffix


def test_a_process_that_exited_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _, boot, _, _ = worker_name().split(":")
    assert claimant_is_gone(f"{_host()}:{boot}:{child.pid}:12345:abcd1234")


def test_a_pid_reused_by_another_process_is_gone():
    host, boot, pid, started = worker_name().split(":")
    assert claimant_is_gone(f"{host}:{boot}:{pid}:{int(started) + 1}:abcd1234")


def test_a_claim_from_before_a_reboot_is_gone():
    # This very process, as it would be named after a reboot (another boot id).
    host, _, pid, started = worker_name().split(":")
    assert _boot_id() != "x" * 8
    assert claimant_is_gone(f"{host}:{'x' * 8}:{pid}:{started}:abcd1234")


def test_claims_of_other_hosts_are_left_to_their_lease():
    _, boot, _pid, started = worker_name().split(":")
    assert not claimant_is_gone(f"another-host:{boot}:999999:{started}:abcd1234")


def test_a_claim_that_names_no_process_is_not_taken_back():
    assert not claimant_is_gone("staff-retry")
    assert not claimant_is_gone(f"{_host()}:{_boot_id()}:not-a-pid")
