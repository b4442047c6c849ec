//! How much work one impact analysis may do. Sharing makes the shapes known to blow up linear, but a
//! template is written by whoever can update a stack: whatever it holds, the analysis stops after a fixed
//! amount of work, and what it did not finish "may be replaced (too complex to analyse)", never "safe".

use std::cell::Cell;

/// The work one analysis may do, in units of about one value built, one template node evaluated, one pair
/// of values compared or 64 bytes of text copied. Convox's own template (222 KB, 148 resources) takes
/// between 10,000 and 20,000 units, whatever the change (measured: `impact::tests`); one of CloudFormation's
/// largest (1 MB) would take five times that. At most this many values are alive at once, each well under
/// 100 bytes: the analysis stays under 200 MB. The costliest units (300,000-item lists, each item
/// fingerprinted) take about 500 ns: half a second to spend it all (`over_the_budget` in benches/impact.rs).
pub const WORK_BUDGET: u64 = 1_000_000;

/// Units of work left, spent by both sides of an analysis and its comparisons.
#[derive(Debug)]
pub struct Budget {
    left: Cell<u64>,
    exhausted: Cell<bool>,
}

impl Budget {
    pub fn new(units: u64) -> Self {
        Self {
            left: Cell::new(units),
            exhausted: Cell::new(false),
        }
    }

    /// For evaluations outside an analysis (a single value, in tests): no limit but memory's.
    #[cfg(test)]
    pub fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Spends `units`; false once the budget is spent, and from then on.
    pub fn charge(&self, units: usize) -> bool {
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        match self.left.get().checked_sub(units) {
            Some(left) if !self.exhausted.get() => {
                self.left.set(left);
                true
            }
            _ => {
                self.exhausted.set(true);
                false
            }
        }
    }

    pub fn is_exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_once_spent_stays_spent() {
        let budget = Budget::new(10);
        assert!(budget.charge(4));
        assert!(budget.charge(6));
        assert!(!budget.is_exhausted());
        assert!(!budget.charge(1));
        assert!(budget.is_exhausted());
        assert!(!budget.charge(0), "nothing is free after the end");
    }
}
