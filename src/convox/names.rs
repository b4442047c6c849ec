//! The rack parameters rackfile itself reads or sets by name, spelled as Convox's rack template spells them.

/// The rack's release: the template URL follows it, and an upgrade passes the releases between two of them.
pub const VERSION: &str = "Version";

/// The rack's password is a secret whatever its template says: Convox's templates released before 2016-08
/// do not mark Password NoEcho, so AWS shows its value and nothing in the template says to hide it.
pub const PASSWORD: &str = "Password";

pub const INSTANCE_TYPE: &str = "InstanceType";
pub const INSTANCE_COUNT: &str = "InstanceCount";

/// Yes: the rack's instances are in private subnets behind NAT gateways.
pub const PRIVATE: &str = "Private";

/// While it is Yes, Convox's autoscaler owns the instance counts.
pub const AUTOSCALE: &str = "Autoscale";

/// How many instances a rolling update replaces at once: what an instance change costs depends on it.
pub const INSTANCE_UPDATE_BATCH_SIZE: &str = "InstanceUpdateBatchSize";
