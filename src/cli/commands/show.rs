//! `rackfile show PLANFILE`: a saved plan printed again, exactly as `plan --out` printed it, from the file
//! alone. A pipeline plans once, renders the pull-request comment from the file (`--format markdown`) and
//! applies the same file later; showing it needs no credentials and makes no AWS call. Whether the plan
//! still holds is `apply PLANFILE`'s question, not this one's.

pub use crate::cli::options::ShowOptions;
use crate::error::Error;
use crate::outcome::Outcome;

pub fn run(options: &ShowOptions) -> Result<Outcome, Error> {
    let plan = super::saved_plan::load(&options.plan_file)?;
    super::plan::print(&plan, options.format)?;
    Ok(Outcome::Success)
}
