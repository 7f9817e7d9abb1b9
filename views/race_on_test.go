//go:build race

package views

// raceEnabled: the race detector slows rendering several times; the
// markdown cost test then checks allocations only.
const raceEnabled = true
