//! The executor: carries out a Plan through the `Cloud` traits and reports through a `Reporter`. It makes no
//! decisions: installs and updates are sent exactly as planned, racks run concurrently up to a limit, and
//! each rack is followed to a final status. A rack that was busy when planned is waited for and then handed
//! back to the planner (`Replanner`), never planned here.
//!
//! Every effect is a function over one `context::Context` (clients, orgs, reporter, timings, cancellation):
//! `drive` runs the racks and hands each planned action to its effect; every effect opens the same way
//! (`changed_since_planned`); one file per effect (`install`, `update`, `delete`, `recover`;
//! `uninstall_prep`, what Convox does before an uninstall's first DeleteStack); `follow` polls a stack to a
//! final status, naming stalled resources (`stall`); `cancel` stops an update at its timeout or on a second
//! Ctrl-C and follows its rollback (`cancel_started_elsewhere`: one rackfile did not start, for `rackfile
//! cancel`); `outcome` says what became of each rack, as data. `rollout` runs the plan's waves one after
//! another, `bake` waits after a wave watching its alarms. Progress goes out as data (`reporter`); the
//! views that word it are in `render::apply`.

mod bake;
mod cancel;
mod cancel_started_elsewhere;
mod changed_since_planned;
mod context;
mod delete;
mod drive;
pub mod events;
mod follow;
mod install;
mod outcome;
pub mod password;
mod recheck;
mod recover;
mod release_record;
pub mod reporter;
mod request_token;
mod rollout;
pub mod stall;
mod uninstall_prep;
mod update;

pub use bake::{ALARM_POLL, AlarmUnread};
pub use cancel::SECOND_INTERRUPT_WINDOW;
pub use cancel_started_elsewhere::{CancelSent, follow_cancelled, running_for, send_cancel};
pub use context::{Cancel, Context, EnvLookup, OnTimeout, Replanner, TimeLimit, Timings};
pub use drive::execute;
pub use outcome::{
    AfterCreate, BlockReason, CancelStop, Counts, Failure, NotAsPlanned, NotRecorded, PrepStop,
    RackKept, RackOutcome, RackResult, RecordWarning, RecordWarnings, ReplanAfter, ReplanError,
    Reread, Retained, RootCause, StopReason, UninstallStop, Unrecorded, UpdateCall, run_outcome,
};
pub use password::{InstalledPassword, PasswordError, PasswordLedger};
pub use reporter::UninstallStep;
pub use rollout::{RolloutOutcome, RolloutStop, StopCause, roll_out};
