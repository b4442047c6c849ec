//! The rack API password for installs: from the environment variable the rack names, or generated.

use rand::Rng;
use rand::distr::Alphanumeric;

pub const GENERATED_LENGTH: usize = 30;

/// 30 random letters and digits from the thread's CSPRNG (ChaCha, seeded from the OS), as Convox generates.
pub fn generate() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(GENERATED_LENGTH)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_are_30_alphanumerics_and_differ() {
        let first = super::generate();
        assert_eq!(first.len(), 30);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, super::generate());
    }
}
