//! An AWS endpoint that accepts connections and never answers: rackfile gives up within its 30-second
//! operation timeout with one line, instead of hanging. This waits those 30 s for real (the timeout is the
//! SDK's, not rackfile's clock), so the module's name puts it first in libtest's alphabetical order: its
//! wait overlaps the rest of the suite instead of trailing it.

use std::time::{Duration, Instant};

use crate::common::{finish_within, rackfile};

#[test]
fn status_fails_within_30_seconds_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("racks.toml"),
        "[defaults]\norg = \"personal\"\nregion = \"us-east-1\"\nversion = \"1\"\n[org.personal]\n[[rack]]\nname = \"example\"\n",
    )
    .unwrap();
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    let mut status = rackfile(dir.path());
    status
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", "AKIATEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["status"]);
    let started = Instant::now();
    let output = finish_within(status, Duration::from_secs(60));
    let elapsed = started.elapsed();
    assert_eq!(output.code, 1, "{}", output.stderr);
    assert!(elapsed < Duration::from_secs(40), "took {elapsed:?}");
    assert_eq!(output.stderr.lines().count(), 2, "{}", output.stderr);
}
