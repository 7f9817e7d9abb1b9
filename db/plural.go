package db

import "strconv"

// count writes n with its noun, singular for one: "1 file", "2 files". The
// messages people read say "Attach at most 1 file", never "1 files".
func count[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}
