package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The traced drivers wrap the portal's own: every statement text a
// connection prepares, executes or queries is handed to traceSink.
const (
	tracedWriter = "sqlite3_disclose_writer_traced"
	tracedReader = "sqlite3_disclose_reader_traced"
)

var (
	traceMu   sync.Mutex
	traceSink func(query string)
)

func init() {
	sql.Register(tracedWriter, traceDriver{&sqlite3.SQLiteDriver{ConnectHook: writerConnect}})
	sql.Register(tracedReader, traceDriver{&sqlite3.SQLiteDriver{}})
}

// TraceStatementsForTest makes the databases opened until restore record
// every SQL text they run into sink (called from one goroutine at a time).
func TraceStatementsForTest(sink func(query string)) (restore func()) {
	traceMu.Lock()
	traceSink = sink
	traceMu.Unlock()
	old := openDrivers
	openDrivers.writer, openDrivers.reader = tracedWriter, tracedReader
	return func() {
		openDrivers = old
		traceMu.Lock()
		traceSink = nil
		traceMu.Unlock()
	}
}

func trace(query string) {
	traceMu.Lock()
	defer traceMu.Unlock()
	if traceSink != nil {
		traceSink(query)
	}
}

type traceDriver struct{ d *sqlite3.SQLiteDriver }

func (t traceDriver) Open(name string) (driver.Conn, error) {
	c, err := t.d.Open(name)
	if err != nil {
		return nil, err
	}
	return traceConn{c.(*sqlite3.SQLiteConn)}, nil
}

// traceConn is the sqlite3 connection with its statement entry points
// recorded; everything else is the embedded connection's.
type traceConn struct{ *sqlite3.SQLiteConn }

func (c traceConn) Prepare(query string) (driver.Stmt, error) {
	trace(query)
	return c.SQLiteConn.Prepare(query)
}

func (c traceConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	trace(query)
	return c.SQLiteConn.PrepareContext(ctx, query)
}

func (c traceConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	trace(query)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c traceConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	trace(query)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}
