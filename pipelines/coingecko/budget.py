"""The quota planner: how often each recurring CoinGecko call may run so that a plan's monthly
budget lasts the month.

The schedules fire at their full cadence (prices every 5 minutes, global totals and trending
every 10, the health probe every 5); on a plan whose month cannot pay for that, each workload
runs every k-th slot instead, where k is the smallest step up a ladder of cadences that fits.
Workloads are stretched in order of least value per call (``WEIGHTS``): the probe first, then
trending, global totals and, last, the price tick. A tenth of the month (``RESERVE``) stays free
for backfills, the nightly close of days with gaps and catalogue syncs, which are counted when
they run and refused up front when the month cannot pay for them.

Slots are aligned to midnight UTC, so every process agrees which slot is due without shared
state: a workload with a 20-minute cadence runs at :00, :20 and :40 past each hour (plus its
schedule's offset).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

DAY_MINUTES = 24 * 60
#: Days of the longest month: the budget has to last it.
MONTH_DAYS = 31
RESERVE = 0.10
LADDER = (5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440)
#: The full cadence in minutes of each recurring workload (its schedule's period).
PERIODS = {"tick": 5, "global": 10, "trending": 10, "ping": 5}
#: Value of one call of each workload, relative: the least valuable is stretched first.
WEIGHTS = {"tick": 8.0, "global": 2.0, "trending": 1.0, "ping": 0.5}
#: ``/coins/markets`` takes at most this many ids per call.
IDS_PER_CALL = 250


@dataclass(frozen=True)
class Plan:
    """Minutes between runs of each workload, and what that costs a day."""

    cadence: dict[str, int]
    calls_per_run: dict[str, int]
    budget_per_day: float | None

    @property
    def calls_per_day(self) -> float:
        return sum(self.calls_per_run[w] * DAY_MINUTES / m for w, m in self.cadence.items())

    def due(self, workload: str, at: dt.datetime, *, offset_minutes: int = 0) -> bool:
        """Is the slot at ``at`` one this workload runs in?"""
        minute = at.astimezone(dt.UTC).hour * 60 + at.astimezone(dt.UTC).minute - offset_minutes
        return minute % self.cadence[workload] == 0

    def describe(self, workload: str) -> str:
        full = PERIODS[workload]
        every = self.cadence[workload]
        if every == full:
            return f"every {every} minutes"
        return f"every {every} minutes instead of {full} (the plan's monthly budget)"


def plan(monthly_limit: int | None, tracked_coins: int) -> Plan:
    """The cadences that keep the recurring calls within ``monthly_limit`` (None: no limit)."""
    per_run = {w: 1 for w in PERIODS}
    per_run["tick"] = max(1, math.ceil(tracked_coins / IDS_PER_CALL))
    cadence = dict(PERIODS)
    if monthly_limit is None:
        return Plan(cadence, per_run, None)
    budget = monthly_limit * (1 - RESERVE) / MONTH_DAYS

    def daily(w: str) -> float:
        return per_run[w] * DAY_MINUTES / cadence[w]

    while sum(daily(w) for w in cadence) > budget:
        stretchable = [w for w in cadence if cadence[w] < LADDER[-1]]
        if not stretchable:
            break  # every workload once a day and still over: the reserve absorbs it
        # The workload spending the most per unit of value goes one step up the ladder.
        worst = max(stretchable, key=lambda w: (daily(w) / WEIGHTS[w], -WEIGHTS[w]))
        cadence[worst] = next(m for m in LADDER if m > cadence[worst] and m % PERIODS[worst] == 0)
    # Give back what the last steps overshot, most valuable workload first.
    for w in sorted(cadence, key=lambda w: -WEIGHTS[w]):
        for m in reversed([m for m in LADDER if PERIODS[w] <= m < cadence[w] and m % PERIODS[w] == 0]):
            before, cadence[w] = cadence[w], m
            if sum(daily(x) for x in cadence) > budget:
                cadence[w] = before
                break
    return Plan(cadence, per_run, budget)
