# The two commands in the README; everything else is reachable from them.
.PHONY: run test bench chaos fuzz

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# Crash tests (minutes): the server killed with SIGKILL mid-sync, restarted.
chaos:
	@scripts/chaos.sh

# Fuzzing (FUZZ_SECONDS per target, default 60): the parsers of provider answers,
# e-mail, schedules, globs and documents. Crashes are kept as regression tests.
fuzz:
	@scripts/fuzz.sh

# Benchmarks (tens of minutes, release build): one table, quoted in BENCHMARKS.md.
bench:
	@scripts/bench.sh
