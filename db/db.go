// Package db holds the domain types of disclose and their SQLite storage.
// It imports nothing else of the project, and calls nothing of it: an
// action that people may be told of records an event row in its own
// transaction (notify.go), which the mail gateway reads back, composes and
// marks done in a transaction of its own (Tx.PendingEvents, Tx.FinishEvent);
// mail intake is decided by the gateway and stored through the Tx methods
// of mail_store.go. Consumers declare the narrow interfaces they need.
//
// Writes: every write goes through DB.Update (write.go), which runs the
// caller's job on the one writer goroutine, in a transaction it may share
// with other jobs (group commit, one savepoint per job), indexes new
// reports for search as the transaction's last step, and returns once it
// committed. A public method that writes is Update around small *Tx
// helpers. Outside Update are only what comes before the writer starts or
// cannot run in a transaction: the migrations, the search index's
// secure-delete option and PRAGMA optimize (Open, Close), WAL checkpoints (the checkpointer of
// checkpoint.go, Checkpoint, clearWAL, after sealing older secrets), the VACUUM that ends a seal conversion, and
// backups (VACUUM INTO on a connection of their own). Reads use a pool of
// read-only connections.
//
// Errors: *Error is the one error type callers look into: a Code (EINVALID,
// ENOTFOUND, ...) that handlers map to an HTTP status in one table, a
// Message safe to show, and only where a caller needs them the field
// messages of a form (Fields), the report a form already became (Ref) or
// how long a locked sign-in waits (RetryAfter). Any other error is
// internal. Constraint violations are told by the driver's error codes
// (isUnique), never by the text of a message. A message that names what
// only views words (a state as people read it, a size in KB, a count with
// its noun) is a key with values (Keyed: MsgTransition, MsgFileTooLarge,
// MsgTooManyFiles); views/wording.Say writes its sentence. db holds no
// display words: state names, deadline clocks, OpenPGP labels and sizes
// are in views/wording.
//
// Sub-packages are the concerns that need no database, leaves that import
// nothing of ours: cvss (score and rate a vector; db.Severity and
// db.ParseCVSS are its names here), cwe (the bundled weakness list),
// password (argon2id hashing; Argon2Params and ValidatePassword here) and
// export (the JSON and CSV rows of the ExportedReport values that
// ExportReports reads).
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3" // registers the sqlite3 driver (built with -tags sqlite_fts5)
)

// writerDriver is the sqlite3 driver for the write connection. Its statement
// journals (what SQLite keeps to undo a failed statement inside a
// transaction) stay in memory: by default SQLite moves a transaction's
// statement journal into a temporary file once it passes 64 KiB and then
// writes every later statement's undo pages to that file, which in a group
// commit was a sixth of a submission's cost.
const writerDriver = "sqlite3_disclose_writer"

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: writerConnect})
}

func writerConnect(c *sqlite3.SQLiteConn) error {
	// The log is checkpointed beside the writer, not in its commits
	// (checkpoint.go).
	_, err := c.Exec(fmt.Sprintf(`PRAGMA temp_store = MEMORY; PRAGMA cache_size = %d; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d`,
		-1024*WriterCacheMiB.Load(), walSizeLimit(walRestartMin)), nil)
	return err
}

// WriterCacheMiB is the page cache of the write connection in MiB (serve's
// DISCLOSE_CACHE_MB), read when the connection opens: set it before Open.
// SQLite's default is 2 MiB. A commit at a million reports touches the
// interior and leaf pages of the report table's 17 indexes, the search
// index and the outbox, audit and message indexes; with 2 MiB most of them
// are read again from the OS at every commit, and from the disk when the
// OS has dropped them. On a shared, loaded machine (README "Performance")
// a larger cache made mail intake at 1M faster in each of four alternating
// pairs (ratios to a small database 0.59–0.93 against 0.42–0.81) and did
// not change submissions measurably; it costs about 60 MB more RSS at 64
// MiB, and only on a database large enough to fill it.
var WriterCacheMiB atomic.Int64

func init() { WriterCacheMiB.Store(DefaultWriterCacheMiB) }

// DefaultWriterCacheMiB is WriterCacheMiB unless serve is told otherwise.
const DefaultWriterCacheMiB = 64

// openDrivers are the sql drivers Open uses for the writer and the readers.
// The plan test (plan_test.go) swaps them for drivers that record every
// statement the portal prepares, to explain each one's query plan.
var openDrivers = struct{ writer, reader string }{writerDriver, "sqlite3"}

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the SQLite database of one portal: one write connection, so writers
// queue in Go rather than on SQLite's lock, and a pool of readers.
type DB struct {
	Path string
	// Now is the clock; tests replace it to move deadlines and expiry.
	Now func() time.Time
	// Auth holds the session, lockout and password settings.
	Auth AuthPolicy

	sealer   Sealer    // nil: no team key
	localKey *LocalKey // secrets kept in the database are sealed with it (localkey.go)
	sealOn   bool      // new rows are sealed (see seal.go)
	fts      memFTS    // in-memory search of sealed reports while unlocked

	sealedDB    atomic.Bool // the database says it is sealed (seal_state.go)
	plainWrites atomic.Bool // writes that need no sealing are under way (Open, unseal)

	write *sql.DB
	read  *sql.DB

	jobs       chan writeJob
	stopped    chan struct{}
	writerDone chan struct{}
	// eventsRecorded is signalled after a commit that recorded events.
	eventsRecorded chan struct{}

	// The checkpointer (checkpoint.go): its connection, the writer's
	// nudge, its end; walLong asks the writer to catch a checkpoint up;
	// bulkLoading (BulkLoad) holds checkpoints off; ckptMu is held by
	// whoever checkpoints (the checkpointer, Checkpoint, clearWAL), as
	// two at once leave one of them busy.
	ckpt        *sql.DB
	ckptMu      sync.Mutex
	walKick     chan struct{}
	ckptDone    chan struct{}
	walLong     atomic.Bool
	bulkLoading atomic.Bool
	// walRestart is the catch-up threshold the checkpointer last computed
	// (walRestartPages); walLimitFor the one the writer's
	// journal_size_limit was set for (the writer's goroutine only);
	// catchUps counts the writer's catch-ups (tests).
	walRestart  atomic.Int64
	walLimitFor int64
	catchUps    atomic.Int64

	programsCache atomic.Pointer[programsCache] // see Programs
	programsGen   atomic.Uint64
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("db: create data dir: %w", err)
		}
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	db := &DB{Path: path, Now: func() time.Time { return time.Now().UTC() }, Auth: DefaultAuthPolicy}
	var err error
	if db.write, err = sql.Open(openDrivers.writer, dsn(path, false)); err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	if err := db.write.PingContext(ctx); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	// The migrations and the option below set up the schema, before the
	// writer (Update) starts; every later write goes through Update.
	if err := db.migrate(ctx); err != nil {
		db.write.Close()
		return nil, err
	}
	// Statistics for the planner where they are missing or stale
	// (optimize.go), so that plans do not depend on a manual ANALYZE.
	if err := optimize(ctx, db.write); err != nil {
		db.write.Close()
		return nil, err
	}
	// FTS5 keeps a deleted row's terms in its index segments until a merge;
	// secure-delete removes them at once, so the words of a purged report
	// do not outlive it in the index (a persistent option of the table,
	// set on every start so that older databases get it too).
	if _, err := db.write.ExecContext(ctx, `INSERT INTO reports_fts (reports_fts, rank) VALUES ('secure-delete', 1)`); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("db: fts secure-delete: %w", err)
	}
	if db.read, err = sql.Open(openDrivers.reader, dsn(path, true)); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("db: open %s for reading: %w", path, err)
	}
	db.read.SetMaxOpenConns(8)
	db.read.SetMaxIdleConns(8)
	db.startWriter()
	if err := db.startCheckpointer(); err != nil {
		db.Close()
		return nil, err
	}
	// The local key's check, sealing older secrets with it, the default
	// program: no report data to seal.
	db.plainWrites.Store(true)
	err = db.openLocalKey(ctx)
	if err == nil {
		err = db.ensureDefaultProgram(ctx)
	}
	if err == nil {
		err = db.backfillAuditOrgs(ctx) // once, after migration 0036
	}
	db.plainWrites.Store(false)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := db.readSealed(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createPrivate makes a missing database file empty with mode 0600 before
// SQLite opens it: SQLite would create it 0644, and its -wal and -shm files
// copy the database file's mode. The file holds TOTP secrets, report text
// and reporter addresses, so only the service user may read it, whatever
// the mode of the directory it is in.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("db: create %s: %w", path, err)
	}
	return f.Close()
}

// busyTimeoutMillis is how long a connection waits for a lock.
const busyTimeoutMillis = "10000"

// dsn sets the pragmas on every connection, busy_timeout first so that the
// others never fail on a briefly locked file.
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Set("_busy_timeout", busyTimeoutMillis)
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "on")
	v.Set("_synchronous", "NORMAL")
	v.Set("_stmt_cache_size", "64")
	if readOnly {
		v.Set("_query_only", "1")
	} else {
		v.Set("_txlock", "immediate")
		// Deleted content is overwritten, not left in free pages: retention
		// promises that a deleted or anonymised report is gone from the
		// file and from every backup made after.
		v.Set("_secure_delete", "on")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode()
}

// Close stops the batch writer (a batch in flight commits first) and closes
// both pools.
func (db *DB) Close() error {
	if db.stopped != nil { // the writer was started
		select {
		case <-db.stopped:
		default:
			close(db.stopped)
			<-db.writerDone
			db.stopSealedIndex()
		}
	}
	err := db.stopCheckpointer()
	if db.read != nil {
		if rerr := db.read.Close(); rerr != nil {
			err = rerr
		}
	}
	if db.write != nil {
		// As SQLite recommends at close; a failure only costs statistics.
		_ = optimize(context.Background(), db.write)
		if werr := db.write.Close(); werr != nil {
			err = werr
		}
	}
	return err
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// Tx is a write transaction carrying the time it started, so that every row
// it writes shares one timestamp. Only the writer begins and ends one
// (Update); a job writes through it and never commits or rolls it back.
type Tx struct {
	*sql.Tx
	db        *DB
	now       time.Time
	auditHead *auditHead // nil until read; reset when a job's writes are undone
	// audience caches, per program, who is told of events (staffToNotify,
	// queueWebhooks), for the jobs of a batch that change none of it
	// (keepAudience); audienceStash holds it while a job runs that has
	// not said so.
	audience      map[int64]*audience
	audienceStash map[int64]*audience
	audienceKept  bool
	// session seals what is written about sessionReport while the
	// transaction stores it (Tx.sealTexts, seal_write.go).
	session       *sealSession
	sessionReport int64
	// attempt is the savepoint of Tx.Attempt, prepared at its first use.
	attempt *savepoint
	// recorded says a job recorded an event: the commit wakes the mail
	// gateway's worker (DB.EventsRecorded).
	recorded bool
}

// begin starts the write transaction of a batch (BEGIN IMMEDIATE through
// the DSN) on the writer goroutine.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("db: begin: %w", err)
	}
	t := &Tx{Tx: tx, db: db, now: db.Now().UTC()}
	if err := t.sealGuard(ctx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return t, nil
}

// beginRead starts a read-only transaction on the reader pool, so that a page
// made of several queries sees one snapshot.
func (db *DB) beginRead(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("db: begin read: %w", err)
	}
	return tx, nil
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("db: create migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("db: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			if strings.Contains(err.Error(), "no such module: fts5") {
				return fmt.Errorf("db: migration %s: this binary was built without FTS5; build with -tags sqlite_fts5 (the Makefile does): %w", name, err)
			}
			return fmt.Errorf("db: migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	} else if n != 0 {
		return nil
	}
	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return err
	}
	if step := migrationSteps[name]; step != nil { // fts_scope_migrate.go
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, formatTime(db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// timeLayout keeps times sortable as text in SQLite.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatNullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func parseNullTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	return parseTime(s.String)
}

// MissingBuildOptions lists the SQLite compile-time options the portal is
// built for (see the Makefile) that this binary's SQLite lacks: FTS5 for
// search, and the query planner stability guarantee, without which SQLite
// parses many statements again on every run. An empty list is a good build.
func (db *DB) MissingBuildOptions(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `PRAGMA compile_options`)
	if err != nil {
		return nil, fmt.Errorf("db: read compile options: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var opt string
		if err := rows.Scan(&opt); err != nil {
			return nil, fmt.Errorf("db: read compile options: %w", err)
		}
		have[opt] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read compile options: %w", err)
	}
	var missing []string
	for _, opt := range []string{"ENABLE_FTS5", "ENABLE_QPSG"} {
		if !have[opt] {
			missing = append(missing, opt)
		}
	}
	return missing, nil
}
