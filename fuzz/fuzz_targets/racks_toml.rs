//! The racks.toml loader and validator on arbitrary input: it must report problems, never panic, hang or
//! run out of memory. Bytes that are not UTF-8 go through the same check `rackfile validate` makes first.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A directory of its own, so relative `template` paths resolve to nothing the fuzzer can reach.
    let path = Path::new("/nonexistent/racks.toml");
    match rackfile::config::parse(path, text.to_string(), String::new()) {
        Ok(config) => {
            for rack in &config.racks {
                let _ = rack.managed_parameters();
                let _ = rack.managed_tags();
            }
        }
        Err(error) => {
            let _ = error.render();
        }
    }
});
