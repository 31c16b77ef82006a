"""The scale-out proof's short variant (tests/e2e/scaleout.py --quick): three
servers behind a real nginx under steady load, one SIGKILLed and restarted,
then a rolling SIGTERM restart. The full run is `bench/scaleout.sh`."""

from __future__ import annotations

from pathlib import Path

import harness
import scaleout


def test_scale_out_behind_nginx(mocks, tmp_path: Path) -> None:
    scaleout.nginx_binary()  # fails with an install hint when nginx is missing
    result = scaleout.run(
        harness.BIN,
        scaleout.QUICK,
        workers=8,
        rate=200,
        drain_delay=1,
        work=tmp_path,
        log=lambda line: print(f"scaleout: {line}"),
        prism_port=mocks["api_v2010"].port,
    )
    print(scaleout.markdown(result))
    print(result["events"])
    phases = result["phases"]
    # The load really ran through every phase, the rolling restart included.
    for name in ("steady", "sigkill", "restarted", "rolling", "after"):
        assert phases[name]["requests"] >= 100, (name, phases[name])
    assert len(result["events"]["rolling_stop_seconds"]) == 3
    # SIGTERM waits for the drain delay, then exits promptly.
    for took in result["events"]["rolling_stop_seconds"]:
        assert 1.0 <= took < 10, result["events"]
    assert scaleout.check_targets(result) == []
