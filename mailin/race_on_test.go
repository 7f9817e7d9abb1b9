//go:build race

package mailin

// raceEnabled: the race detector multiplies memory and slows compression;
// the memory test then asserts the live heap and builds smaller bombs.
const raceEnabled = true
