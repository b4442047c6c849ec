//! How a command that did not fail outright ended, and the exit code each ending maps to (README: exit
//! codes). Commands return an `Outcome`; only `main` turns it, or an `Error`'s kind, into a number.

/// The ending of a command that ran to its end (or was stopped), as opposed to an `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done, or there was nothing to do.
    Success,
    /// `plan --detailed-exitcode` found changes.
    Changes,
    /// Some of the work failed, and what failed was reported: an apply with a failed rack, an apply with
    /// nothing to do but blocked racks, a failing doctor check, a summary stdout refused.
    Failed,
    /// `apply --auto-approve=in-place` held racks for a person (and nothing failed); `plan
    /// --detailed-exitcode=in-place` found racks it would hold.
    Held,
    /// Ctrl-C or SIGTERM: new work stopped, and what AWS is still changing was reported.
    Interrupted,
}

/// What a shell reports for a process ended by SIGINT (128 + 2).
pub const EXIT_INTERRUPTED: i32 = 130;

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Changes => 2,
            Outcome::Held => 3,
            Outcome::Interrupted => EXIT_INTERRUPTED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ending_has_the_documented_exit_code() {
        assert_eq!(
            [
                Outcome::Success,
                Outcome::Failed,
                Outcome::Changes,
                Outcome::Held,
                Outcome::Interrupted
            ]
            .map(Outcome::exit_code),
            [0, 1, 2, 3, 130]
        );
    }
}
