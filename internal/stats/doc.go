// Package stats aggregates request timings into the tables every report shows.
//
// The hot path is Shard.Record: each simulated user writes into one of a few
// shards, each with its own mutex that only its users and the once-a-second
// drain ever take, so there is no global lock and no channel send per request.
// Stats.Tick swaps every shard's table for an empty spare (hot/cold swap),
// merges the drained deltas into the cumulative statistics off the hot path,
// and returns that second's history rows. Snapshot copies the cumulative
// state into an immutable Snapshot for rendering.
package stats
