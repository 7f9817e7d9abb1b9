#!/bin/sh
# load-scale.sh is `make load-scale`: the load run of issue 18 at a million
# demo reports (README, "Performance"). One run measures, against a copy of
# the demo database: accepted submissions/s beside an empty database and
# the echo + one INSERT baseline (the empty side: 100 demo reports, the
# same programs and staff); every queue view, search, the metrics and
# a 200-entry report page (server-side p50/p99 from serve's JSON log), with
# the planner's statistics and again without; the database part of mail
# intake against an empty database; the server's peak RSS; bytes per report.
#
# The demo database is made once and kept under $TMPDIR, keyed by what
# shapes it (the migrations and the generator); REPORTS=100000 for a
# smaller run.
set -eu
N=${REPORTS:-1000000}
N_PAGE=${PAGE_REQUESTS:-200}
BIN=.bin/disclose
GO=${GO:-go}
TMP=${TMPDIR:-/tmp}
KEY=$(cat db/migrations/*.sql db/demo/*.go | sha256sum | cut -c1-12)
CACHE=$TMP/disclose-scale-$N-$KEY
RUN=$TMP/disclose-scale-run
EMPTY=$TMP/disclose-scale-empty
PORT=18091
URL=http://127.0.0.1:$PORT

$GO build -o .bin/disclose-load ./cmd/disclose-load
$GO build -o .bin/disclose-triage-load ./cmd/disclose-triage-load

if [ ! -f "$CACHE/done" ]; then
	rm -rf "$CACHE"
	echo "== making $N demo reports in $CACHE"
	/usr/bin/time -f "demo: %e s elapsed, %U s user, %S s system, peak RSS %M KB" $BIN demo --data "$CACHE" --reports "$N"
	touch "$CACHE/done"
else
	echo "== reusing $CACHE"
fi
rm -rf "$RUN" "$EMPTY"
mkdir -p "$RUN" "$EMPTY"
cp "$CACHE/disclose.db" "$CACHE/local.key" "$RUN/"
SIZE=$(stat -c %s "$RUN/disclose.db")
echo "database: $SIZE bytes, $((SIZE / N)) bytes per report"

serve() { # data dir -> pid in $PID, log in $1/serve.log
	$BIN serve --data "$1" --addr 127.0.0.1:$PORT --submit-rate 0 --log-format json 2>"$1/serve.log" >/dev/null &
	PID=$!
	i=0
	until curl -sf $URL/healthz >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "serve did not start"; exit 1; }
		sleep 0.1
	done
}
stop() { kill "$PID"; wait "$PID" || true; PID=; }
PID=
trap '[ -z "$PID" ] || kill "$PID"' EXIT
if curl -s $URL/ >/dev/null 2>&1; then echo "something already listens on $URL"; exit 1; fi

# The "empty" side is a demo of 100 reports: the same programs and staff as
# the big one, so a submission notifies the same people (outbox rows) on
# both sides; a database without staff does less work per submission.
echo "== submissions, a database of 100 demo reports (same programs and staff)"
$BIN demo --data "$EMPTY" --reports 100 >/dev/null
serve "$EMPTY"
.bin/disclose-load -url $URL -duration 10s -bare 0 -server-pid "$PID"
stop

echo "== submissions at $N reports, then the baselines"
serve "$RUN"
.bin/disclose-load -url $URL -duration 10s -bare 5s -echo 10s -server-pid "$PID"

echo "== pages at $N reports, with the planner's statistics"
.bin/disclose-triage-load -data "$RUN" -base $URL -views all -n "$N_PAGE" -c 1 -server-log "$RUN/serve.log"
echo "== the same without statistics (sqlite_stat1 dropped; the connections reload the schema)"
.bin/disclose-triage-load -no-stats -data "$RUN" -base $URL -views all -n "$N_PAGE" -c 1 -server-log "$RUN/serve.log"
grep VmHWM /proc/"$PID"/status | sed 's/^/serve peak RSS: /'
stop

# 16,384 mails into each side (about 15 s each, alternating in 8 rounds):
# the search index's merges come every few thousand mails, so the 4,096 of
# earlier runs sampled them by chance.
echo "== mail intake, database part, at $N reports against an empty database"
.bin/disclose-load -ingest-data "$RUN" -ingest 16384
