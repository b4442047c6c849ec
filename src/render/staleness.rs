//! Why a saved plan, or the stack a plan was made from, no longer holds, in words: `apply FILE`'s stale
//! plan refusal, and an apply that found the stack changed since the plan before its first write.

use crate::plan::{RackDifference, StackDifference, Stale, WavesDifference};

/// One reason a saved plan is stale, unescaped.
pub fn stale_words(stale: &Stale) -> String {
    match stale {
        Stale::RackCount { saved, now } => {
            format!("the plan has {saved} racks; racks.toml gives {now} for the same targets")
        }
        Stale::Rack { rack, difference } => format!("{rack}: {}", rack_words(difference)),
        Stale::Waves(WavesDifference::Count { saved, now }) => {
            format!("the plan has {saved} waves; racks.toml gives {now} now")
        }
        Stale::Waves(WavesDifference::Field { wave, path }) => format!(
            "wave {wave}: the saved plan's `{path}` is not what racks.toml and the live stacks give now"
        ),
        Stale::ReleaseList { url, then, now } => {
            let latest = |seen: &Option<String>| seen.as_deref().unwrap_or("none").to_string();
            // The list can change without a new latest release (a required one added between two older
            // ones): "then X, now X" would read as no change.
            let what = if then == now {
                format!("its latest published release is still {}", latest(now))
            } else {
                format!(
                    "latest published release then {}, now {}",
                    latest(then),
                    latest(now)
                )
            };
            format!("Convox's release list {url} changed since the plan was made ({what})")
        }
    }
}

fn rack_words(difference: &RackDifference) -> String {
    match difference {
        RackDifference::Account { saved, now } => {
            format!("the credentials now belong to account {now}, the plan was made for {saved}")
        }
        RackDifference::Stack(change) => {
            format!("{} since the plan was made", stack_difference_words(change))
        }
        RackDifference::Field { path } => {
            format!("the saved plan's `{path}` is not what racks.toml and the live stack give now")
        }
        RackDifference::Unnamed => "the saved plan differs from the plan made now".into(),
    }
}

/// How a stack moved between the plan and now: `its status changed from A to B`.
pub fn stack_difference_words(difference: &StackDifference) -> String {
    match difference {
        StackDifference::Created => "a stack of that name was created".into(),
        StackDifference::Deleted => "the stack was deleted".into(),
        StackDifference::Replaced => "the stack was replaced (its StackId changed)".into(),
        StackDifference::Status { then, now } => {
            format!("its status changed from {then} to {now}")
        }
        StackDifference::Updated { at } => format!("it was updated at {at}"),
        StackDifference::Parameters => "its parameters changed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::StackStatus;

    #[test]
    fn each_stack_difference_says_how_the_stack_moved() {
        for (difference, said) in [
            (StackDifference::Created, "a stack of that name was created"),
            (StackDifference::Deleted, "the stack was deleted"),
            (
                StackDifference::Replaced,
                "the stack was replaced (its StackId changed)",
            ),
            (
                StackDifference::Status {
                    then: StackStatus::parse("UPDATE_COMPLETE"),
                    now: StackStatus::parse("UPDATE_ROLLBACK_COMPLETE"),
                },
                "its status changed from UPDATE_COMPLETE to UPDATE_ROLLBACK_COMPLETE",
            ),
            (
                StackDifference::Updated {
                    at: "2024-01-01T00:00:00Z".into(),
                },
                "it was updated at 2024-01-01T00:00:00Z",
            ),
            (StackDifference::Parameters, "its parameters changed"),
        ] {
            assert_eq!(stack_difference_words(&difference), said);
        }
    }

    #[test]
    fn each_stale_reason_names_the_rack_or_the_wave_and_what_differs() {
        let rack = |difference| Stale::Rack {
            rack: "acme/web".into(),
            difference,
        };
        for (stale, said) in [
            (
                Stale::RackCount { saved: 2, now: 1 },
                "the plan has 2 racks; racks.toml gives 1 for the same targets",
            ),
            (
                rack(RackDifference::Account {
                    saved: "111".into(),
                    now: "222".into(),
                }),
                "acme/web: the credentials now belong to account 222, the plan was made for 111",
            ),
            (
                rack(RackDifference::Stack(StackDifference::Deleted)),
                "acme/web: the stack was deleted since the plan was made",
            ),
            (
                rack(RackDifference::Field {
                    path: "parameters.Ami".into(),
                }),
                "acme/web: the saved plan's `parameters.Ami` is not what racks.toml and the live stack give now",
            ),
            (
                rack(RackDifference::Unnamed),
                "acme/web: the saved plan differs from the plan made now",
            ),
            (
                Stale::Waves(WavesDifference::Count { saved: 1, now: 2 }),
                "the plan has 1 waves; racks.toml gives 2 now",
            ),
            (
                Stale::Waves(WavesDifference::Field {
                    wave: 2,
                    path: "racks.0".into(),
                }),
                "wave 2: the saved plan's `racks.0` is not what racks.toml and the live stacks give now",
            ),
            (
                Stale::ReleaseList {
                    url: "https://releases".into(),
                    then: Some("1".into()),
                    now: Some("1".into()),
                },
                "Convox's release list https://releases changed since the plan was made (its latest published release is still 1)",
            ),
            (
                Stale::ReleaseList {
                    url: "https://releases".into(),
                    then: None,
                    now: Some("2".into()),
                },
                "Convox's release list https://releases changed since the plan was made (latest published release then none, now 2)",
            ),
        ] {
            assert_eq!(stale_words(&stale), said);
        }
    }
}
