//! `role_arn`, the service role CloudFormation uses, against moto (`moto`) and against the strict fake
//! (`fake`).

mod fake;
mod moto;
