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
//
// A test ends on the master with Stop (workers stop their users and
// confirm), AwaitFinalReports (a Locust worker sends the rest of its
// statistics with its next report, up to 3 s after confirming), then,
// once everything is merged and written, Quit and Close. On a worker,
// WorkerOptions.OnRegistered runs once the master gave the worker its
// index, before any order is carried out. A worker carries out spawns off
// its message loop, as Locust's spawning greenlet (worker_spawn.go): a
// newer spawn, a stop, a quit or the worker's own end interrupts a count
// change in progress, and only the newest spawn is confirmed.
package cluster
