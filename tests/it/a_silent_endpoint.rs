//! An AWS endpoint that accepts connections and never answers: rackfile gives up within its 30-second
//! operation timeout with one line, instead of hanging. This waits those 30 s for real (the timeout is the
//! SDK's, not rackfile's clock), so the module's name puts it first in libtest's alphabetical order: its
//! wait overlaps the rest of the suite instead of trailing it.

use std::time::{Duration, Instant};

use crate::common::{finish_within, rackfile_against, silent_endpoint};

#[test]
fn status_fails_within_30_seconds_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (port, _) = silent_endpoint();
    let mut status = rackfile_against(dir.path(), port);
    status.args(["status"]);
    let started = Instant::now();
    let output = finish_within(status, Duration::from_secs(60));
    let elapsed = started.elapsed();
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(elapsed < Duration::from_secs(40), "took {elapsed:?}");
    assert_eq!(output.stderr.lines().count(), 2, "{}", output.stderr);
}
