//! Rollouts in waves: through the binary against moto's CloudWatch and CloudFormation (`moto`), and on
//! the strict fake's paused clock (`fake`).

pub(crate) mod fake;
pub(crate) mod moto;
