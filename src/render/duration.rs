//! Every span of time a person reads is written by `duration`. It has three notations, each already read
//! by people and by scripts in outputs that do not change, so each keeps its exact form; which one a view
//! uses is said at the call.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notation {
    /// `45s`, `55m`, `6m05s`, `2h00m`: whole seconds, hours past an hour (budgets, cancels, stalls).
    Span,
    /// `300ms`, `45s`, `4m02s`, `75m00s`: how long a rack's work took, in minutes however long.
    Elapsed,
    /// `30m`, `1h 30m`, `2m 5s`: humantime's words (bakes, drift detection, `--timeout`'s most).
    Words,
}

pub fn duration(duration: Duration, notation: Notation) -> String {
    let seconds = duration.as_secs();
    match notation {
        Notation::Span => {
            let (hours, minutes, rest) = (seconds / 3_600, seconds % 3_600 / 60, seconds % 60);
            match (hours, minutes, rest) {
                (0, 0, rest) => format!("{rest}s"),
                (0, minutes, 0) => format!("{minutes}m"),
                (0, minutes, rest) => format!("{minutes}m{rest:02}s"),
                (hours, minutes, _) => format!("{hours}h{minutes:02}m"),
            }
        }
        Notation::Elapsed if seconds >= 60 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        Notation::Elapsed if seconds >= 1 => format!("{seconds}s"),
        Notation::Elapsed => format!("{}ms", duration.as_millis()),
        Notation::Words => humantime::format_duration(duration).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(seconds: u64, notation: Notation) -> String {
        duration(Duration::from_secs(seconds), notation)
    }

    #[test]
    fn spans_read_as_people_write_them() {
        assert_eq!(secs(45, Notation::Span), "45s");
        assert_eq!(secs(55 * 60, Notation::Span), "55m");
        assert_eq!(secs(6 * 60 + 5, Notation::Span), "6m05s");
        assert_eq!(secs(2 * 3_600, Notation::Span), "2h00m");
        assert_eq!(secs(5 * 3_600 + 5 * 60 + 7, Notation::Span), "5h05m");
    }

    #[test]
    fn elapsed_times_count_minutes_and_milliseconds_under_a_second() {
        assert_eq!(
            duration(Duration::from_millis(300), Notation::Elapsed),
            "300ms"
        );
        assert_eq!(secs(45, Notation::Elapsed), "45s");
        assert_eq!(secs(60, Notation::Elapsed), "1m00s");
        assert_eq!(secs(75 * 60, Notation::Elapsed), "75m00s");
    }

    #[test]
    fn words_are_humantimes() {
        assert_eq!(secs(30 * 60, Notation::Words), "30m");
        assert_eq!(secs(90 * 60, Notation::Words), "1h 30m");
        assert_eq!(secs(125, Notation::Words), "2m 5s");
    }
}
