//! Asking a person before anything is changed, as apply and cancel do: only `yes` goes on (Terraform's
//! rule); without a terminal on stdin the command refuses instead of hanging; Ctrl-C at the prompt ends it.

use crate::apply::Cancel;
use crate::error::Error;

use super::console::Console;

/// What a command asks before it changes anything, and what it says when it may not go on.
pub struct Question {
    pub command: &'static str,
    pub question: &'static str,
    /// What a refusal ends with: nothing was done.
    pub nothing_done: &'static str,
    /// What was refused, when the answer is not `yes`.
    pub refused: &'static str,
    /// How to go on without a terminal.
    pub without_terminal: &'static str,
}

/// Asks `question` on the terminal; only `yes` goes on. Without a terminal on stdin it refuses instead of
/// hanging; Ctrl-C at the prompt ends it at once.
pub async fn ask(
    console: &mut Console,
    mut cancel: Cancel,
    question: &Question,
) -> Result<(), Error> {
    if !console.interactive {
        return Err(Error::Usage {
            message: format!(
                "{} needs a confirmation, and stdin is not a terminal; {}",
                question.command, question.nothing_done
            ),
            hint: Some(question.without_terminal.into()),
        });
    }
    console.print(&format!(
        "\n{}\n  Only 'yes' will be accepted to approve.\n",
        question.question
    ));
    {
        let mut out = console.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = write!(out, "  Enter a value: ");
        let _ = out.flush();
    }
    // The answer is read on a thread of its own, so that Ctrl-C (which the runtime receives) ends the
    // prompt at once instead of after the next Enter.
    let mut read_answer = std::mem::replace(&mut console.read_answer, Box::new(|| None));
    let reading = tokio::task::spawn_blocking(move || {
        let answer = read_answer();
        (answer, read_answer)
    });
    let answer = tokio::select! {
        read = reading => match read {
            Ok((answer, read_answer)) => {
                console.read_answer = read_answer;
                answer
            }
            Err(_) => None,
        },
        _ = cancel.wait_for(|presses| *presses > 0) => {
            console.print("");
            return Err(Error::Interrupted(format!(
                "{} interrupted at the prompt; {}",
                question.command, question.nothing_done
            )));
        }
    };
    refuse_unless_yes(&answer.unwrap_or_default(), question)
}

/// Only `yes` approves, as Terraform has it; stack_master and Convox take `y`, so a `y` (or a `yes` in
/// capitals) is told what to type instead of cancelling without a word.
fn refuse_unless_yes(answer: &str, question: &Question) -> Result<(), Error> {
    let answer = answer.trim();
    if answer == "yes" {
        return Ok(());
    }
    let almost = answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes");
    Err(Error::Usage {
        message: format!("{}; {}", question.refused, question.nothing_done),
        hint: almost.then(|| {
            format!(
                "only `yes` approves (you typed `{answer}`): type yes to {}",
                question.command
            )
        }),
    })
}
