//! A rack's template: `template_url` (Convox's release URL by default) with its version, or a local
//! `template` file, which must stay inside the directory of racks.toml and is read once however many racks
//! share it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::model::{RackEntry, Sp};
use super::{DEFAULT_TEMPLATE_URL, MAX_TEMPLATE_BODY_BYTES, Template, read_regular_file};
use crate::diag::Diagnostic;

pub(super) fn resolve_template(
    entry: &RackEntry,
    version: Option<&str>,
    base_dir: &Path,
    templates: &mut TemplateFiles,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Template> {
    match (&entry.template, &entry.template_url) {
        (Some(file), Some(url)) => {
            diagnostics.push(
                Diagnostic::error(
                    "`template` and `template_url` exclude each other",
                    file.span.clone(),
                )
                .with_related(url.span.clone(), "`template_url` set here")
                .with_hint("keep one: a local file or a URL"),
            );
            None
        }
        (Some(file), None) => templates.read(file, base_dir, diagnostics),
        (None, url) => {
            let pattern = url
                .as_ref()
                .map_or(DEFAULT_TEMPLATE_URL, |u| u.value.as_str());
            if let Some(url) = url
                && !(pattern.starts_with("https://") || pattern.starts_with("http://"))
            {
                diagnostics.push(
                    Diagnostic::error(
                        format!("`template_url` must be an http(s) URL, not \"{pattern}\""),
                        url.span.clone(),
                    )
                    .with_hint("for a local file use `template = \"path/to/rack.json\"`"),
                );
                return None;
            }
            Some(Template::Url {
                url: pattern.replace("{version}", version?),
                pattern: pattern.to_string(),
            })
        }
    }
}

/// Where a `template` path may point: a regular file inside the directory of racks.toml. A pull-request
/// plan prints a local template's diff, so a path out of the repository (`/etc/passwd`,
/// `../../.aws/credentials`, or a symlink to one) could print a runner's secrets into a comment.
fn template_path(base_dir: &Path, written: &str) -> Result<PathBuf, String> {
    let relative = Path::new(written);
    if relative.is_absolute() {
        return Err(format!(
            "template \"{written}\" is an absolute path; it must be inside the directory of racks.toml"
        ));
    }
    if relative
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "template \"{written}\" leaves the directory of racks.toml (`..`)"
        ));
    }
    let path = base_dir.join(relative);
    let base = if base_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base_dir
    };
    if let (Ok(real), Ok(real_base)) = (path.canonicalize(), base.canonicalize())
        && !real.starts_with(&real_base)
    {
        return Err(format!(
            "template \"{written}\" is a link out of the directory of racks.toml"
        ));
    }
    Ok(path)
}

/// Local templates read once each, however many racks share them: each body, or why it cannot be used and
/// what to do about it.
#[derive(Default)]
pub(super) struct TemplateFiles {
    read: HashMap<PathBuf, Result<String, (String, &'static str)>>,
}

const RELATIVE_TO_RACKS_TOML: &str = "`template` is relative to the directory of racks.toml";

impl TemplateFiles {
    pub(super) fn read(
        &mut self,
        file: &Sp<String>,
        base_dir: &Path,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Template> {
        let path = match template_path(base_dir, &file.value) {
            Ok(path) => path,
            Err(message) => {
                diagnostics.push(Diagnostic::error(message, file.span.clone()).with_hint(
                    "`template` is a file beside racks.toml or below it; host other templates and use `template_url`",
                ));
                return None;
            }
        };
        let outcome = self
            .read
            .entry(path.clone())
            .or_insert_with(|| match read_regular_file(&path, MAX_TEMPLATE_BODY_BYTES) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err((
                    format!("template file \"{}\" not found", file.value),
                    RELATIVE_TO_RACKS_TOML,
                )),
                Err(error) if error.kind() == std::io::ErrorKind::FileTooLarge => Err((
                    format!(
                        "template file \"{}\" is more than {MAX_TEMPLATE_BODY_BYTES} bytes; CloudFormation takes at most {MAX_TEMPLATE_BODY_BYTES} bytes inline",
                        file.value,
                    ),
                    "host it (e.g. in S3) and use `template_url` instead",
                )),
                Err(error) => Err((
                    format!("cannot read template file \"{}\": {error}", file.value),
                    RELATIVE_TO_RACKS_TOML,
                )),
                Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                    (
                        format!("template file \"{}\" is not UTF-8 text", file.value),
                        RELATIVE_TO_RACKS_TOML,
                    )
                }),
            });
        match outcome {
            Ok(body) => Some(Template::File {
                path,
                body: body.clone(),
            }),
            Err((message, hint)) => {
                diagnostics
                    .push(Diagnostic::error(message.clone(), file.span.clone()).with_hint(*hint));
                None
            }
        }
    }
}
