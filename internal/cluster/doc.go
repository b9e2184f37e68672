// Package cluster is herd's distributed mode: a master that dispatches users
// to workers and merges their statistics, and a worker that runs the users
// its master asks for, both speaking Locust's master/worker protocol
// (internal/wire over internal/transport), so herd and Locust nodes mix.
//
// Between herd nodes the stats reports carry an extension (exact
// histograms, error traces, user-class weights) that Locust ignores, so
// distributed percentiles equal single-process ones. The spawn messages to
// herd workers carry one too (open.go): an open-model run's rate and each
// worker's exact share of it.
package cluster
