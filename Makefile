# Every go command here builds with FTS5; set once, used by build, test, vet.
export GOFLAGS := -tags=sqlite_fts5
# SQLite's query planner stability guarantee: without it SQLite 3.54 parses a
# statement again on every run whose bound value may change its plan (any
# `col = ?` filter bound to 0 or 1, such as program 1), which cost a
# submission over 100 µs. db.Open warns when a binary lacks it.
# SQLITE_DEFAULT_MEMSTATUS=0: SQLite stops counting its allocations, which
# took a global mutex on every malloc and free (a fifth of the demo
# generator's CPU was malloc and that mutex; 13% less CPU without the
# counters). Nothing here reads them (sqlite3_memory_used, soft heap limit).
export CGO_CFLAGS := -O2 -g -DSQLITE_ENABLE_QPSG -DSQLITE_DEFAULT_MEMSTATUS=0
GO ?= go
BIN := .bin/disclose

.PHONY: run build test generate check-generated lint fuzz load load-scale

## run: build and start the portal on http://127.0.0.1:8080 with its data in ./data
run: build
	$(BIN) serve

## build: the one binary, in .bin/
build:
	$(GO) build -o $(BIN) ./cmd/disclose

# Minimizing every input that finds new code took the whole of a short fuzz
# run at the default (60 s each): 0 executions a second after the first
# find. 100 executions per input keeps the fuzzer exploring; a crasher is
# still written, a little less minimized.
FUZZMIN ?= 100x

## test: generated code up to date, every test with the race detector, then a short fuzz of the mail parser
test: check-generated
	$(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime 10s -fuzzminimizetime $(FUZZMIN) ./mailin/
	$(GO) test -run XXX -fuzz '^FuzzParsePGP$$' -fuzztime 5s -fuzzminimizetime $(FUZZMIN) ./mailin/

## fuzz: a longer fuzz of the mail parser (FUZZTIME=10m make fuzz)
fuzz:
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),2m) -fuzzminimizetime $(FUZZMIN) ./mailin/
	$(GO) test -run XXX -fuzz '^FuzzParsePGP$$' -fuzztime $(or $(FUZZTIME),2m) -fuzzminimizetime $(FUZZMIN) ./mailin/

## generate: templ components to Go (the *_templ.go files are committed)
generate:
	$(GO) tool templ generate

## check-generated: fail when a .templ file changed without regenerating
check-generated:
	@before=$$(cat $$(find views -name '*_templ.go' | sort) | sha256sum); \
	$(GO) tool templ generate >/dev/null 2>&1 || { echo "templ generate failed"; exit 1; }; \
	after=$$(cat $$(find views -name '*_templ.go' | sort) | sha256sum); \
	if [ "$$before" != "$$after" ]; then echo "generated *_templ.go files were stale: they are regenerated now, commit them"; exit 1; fi

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## load: the documented load run (see README, "Performance")
load: build
	$(GO) run ./cmd/disclose-load $(LOADFLAGS)

## load-scale: the load run at a million demo reports (REPORTS=100000 for less; README, "Performance")
load-scale: build
	GO=$(GO) sh cmd/disclose-load/load-scale.sh
