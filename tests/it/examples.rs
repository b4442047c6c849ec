//! Every racks.toml under examples/ is valid.

use crate::common::{rackfile, repo_root, run};

#[test]
fn every_example_validates() {
    let examples = repo_root().join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let output = run(rackfile(&examples).arg("validate").arg("-f").arg(&path));
            assert_eq!(output.code, 0, "{}: {}", path.display(), output.stderr);
            assert!(output.stdout.contains("is valid"), "{}", output.stdout);
            checked += 1;
        }
    }
    assert!(checked > 0, "no examples found");
}

#[test]
fn the_example_file_points_editors_at_the_schema() {
    let text = std::fs::read_to_string(repo_root().join("examples/racks.toml")).unwrap();
    assert!(text.starts_with("#:schema ../schema/racks.schema.json\n"));
}
