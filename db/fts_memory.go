package db

// memFTS placeholder, filled in by the in-memory index.
type memFTS struct{}
