# The two commands in the README; everything else is reachable from them.
.PHONY: run test bench chaos fuzz

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# Crash tests (minutes): the server killed with SIGKILL mid-sync, restarted.
chaos:
	@scripts/chaos.sh

# Benchmarks (tens of minutes, release build): one table, quoted in BENCHMARKS.md.
bench:
	@scripts/bench.sh
