//go:build race

package handlers_test

// raceEnabled: the race detector multiplies memory; the upload memory test
// then compares the live heap instead of the resident size.
const raceEnabled = true
