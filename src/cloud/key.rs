//! Where a stack is: its account, its region and its name. The key every live read of a stack is filed
//! under, so no two modules spell it as a tuple of their own.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StackKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl StackKey {
    pub fn new(
        account: impl Into<String>,
        region: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }

    pub fn region_key(&self) -> RegionKey {
        RegionKey::new(&self.account, &self.region)
    }
}

impl fmt::Display for StackKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in account {} ({})",
            self.name, self.account, self.region
        )
    }
}

/// An account's CloudFormation in one region: what one DescribeStacks sweep reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegionKey {
    pub account: String,
    pub region: String,
}

impl RegionKey {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
        }
    }

    pub fn stack(&self, name: impl Into<String>) -> StackKey {
        StackKey::new(&self.account, &self.region, name)
    }
}
