//! Time while applying: cancelling at `--timeout` and on Ctrl-C against moto (`moto`); stalls, timeouts,
//! cancels and their rollbacks on the strict fake's paused clock (`fake`).

mod fake;
mod moto;
