package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// runDemo fills a database with realistic reports, so that a new operator
// sees a populated dashboard and the benchmarks have 100,000 reports to
// work on.
func runDemo(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	var n int
	var seed uint64
	fs := newFlagSet(env, "demo", "Fill the database with demo reports across three programs, every state and severity,\nwith timelines, assignees and attachments. Demo staff accounts end in @demo.invalid and cannot log in.")
	cfg.coreFlags(fs)
	fs.IntVar(&n, "reports", 1000, "how many reports to make")
	fs.Uint64Var(&seed, "seed", 1, "random seed: the same seed makes the same data")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	if n <= 0 {
		return fmt.Errorf("DISCLOSE_REPORTS (--reports): must be above zero")
	}
	path := cfg.dbPath()
	fresh, err := noDatabase(path)
	if err != nil {
		return err
	}
	if fresh {
		// A new database is made under another name (the bulk load's
		// settings leave a damaged file if it fails or is killed) and
		// takes its real name only once complete. The data directory's
		// lock is held all the while: a second demo (or a serve) would
		// remove or open the half-made file, and the first would then
		// publish the second's.
		lock, err := prepareDataDir(cfg.Data)
		if err != nil {
			return err
		}
		defer lock.Close()
		return demoIntoNew(ctx, env, path, n, seed)
	}
	d, err := db.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("open database in %s: %w", cfg.Data, err)
	}
	defer d.Close()
	if d.SealedDatabase() {
		// Demo data is written in clear, fast, in bulk: never into a sealed
		// database (the database would refuse the writes anyway).
		return &envError{fmt.Errorf("the database in %s is sealed and demo writes in clear: fill a new data directory with demo, then seal it with disclose seal", cfg.Data)}
	}
	return generateDemo(ctx, env, d, n, seed, nil)
}

// demoGCPercent is the garbage collector's target while demo runs (Go's
// default is 100): the generator makes many short-lived values per row
// (its statements' arguments, formatted times) over a live heap of a few
// tens of megabytes, and collecting four times less often took 9% off the
// CPU time of 100,000 reports for about 20 MB more memory. GOGC, when
// set, wins.
const demoGCPercent = 400

// generateDemo runs the generator with progress on standard output, then
// finish (when set) with the same way of telling its stages.
func generateDemo(ctx context.Context, env *environment, d *db.DB, n int, seed uint64, finish func(stage func(string)) error) error {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(demoGCPercent))
	}
	start := time.Now()
	lastTenth := 0
	stage := func(what string) {
		fmt.Fprintf(env.stdout, "      %s  %s\n", what, time.Since(start).Round(time.Millisecond))
	}
	res, err := demo.Generate(ctx, d, demo.Options{Reports: n, Seed: seed, Progress: func(done, total int) {
		if tenth := done * 10 / total; tenth > lastTenth {
			lastTenth = tenth
			fmt.Fprintf(env.stdout, "%3d%%  %d reports  %s\n", tenth*10, done, time.Since(start).Round(time.Millisecond))
		}
	}, Stage: stage})
	if err != nil {
		return err
	}
	if finish != nil {
		if err := finish(stage); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "Made %d demo reports in %s.\n", res.Reports, time.Since(start).Round(time.Millisecond))
	// The generator and the writer run side by side: say what each took.
	fmt.Fprintf(env.stdout, "Writing the batches took %s (of which %s waiting for the generator); the generator used %s of CPU.\n",
		res.WriteTime.Round(time.Millisecond), res.WaitTime.Round(time.Millisecond), res.GenerateCPU.Round(time.Millisecond))
	if len(res.LongRefs) > 0 {
		fmt.Fprintf(env.stdout, "Reports with a 200-entry timeline: %s\n", joinMax(res.LongRefs, 5))
	}
	return nil
}

func joinMax(s []string, n int) string {
	out := ""
	for i, v := range s {
		if i == n {
			return out + ", …"
		}
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
