//! Handlebars templates: built in, overridable file by file from `templates/<kind>/`.
//!
//! Two registries, both strict: one without escaping for plain-text posts, one with HTML
//! escaping for HTML outputs (Telegram, email, feeds). Which one a template belongs to is
//! in its name: `*.txt.hbs` or `*.html.hbs`. Which files a kind has follows from its
//! shape ([`crate::platform::Shape::templates`]).

use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use crate::platform::{Kind, for_each_kind, shape_templates};
use handlebars::Handlebars;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// `(file, source)` of each template of the kind whose folder is `$dir`.
macro_rules! bundled {
    ($dir:literal $($file:literal)*) => {
        &[$(($file, include_str!(concat!("../../templates/", $dir, "/", $file)))),*]
    };
}

/// The built-in templates: for every kind, the files its shape renders, compiled in from
/// `templates/<kind>/`.
macro_rules! built_in {
    ($($kind:ident $dir:literal $shape:ident)*) => {
        const BUILT_IN: &[(Kind, &[(&str, &str)])] =
            &[$((Kind::$kind, shape_templates!($shape, bundled!($dir)))),*];
    };
}
for_each_kind!(built_in);

/// (kind, file name, built-in source) of every built-in template.
fn built_in() -> impl Iterator<Item = (Kind, &'static str, &'static str)> {
    BUILT_IN.iter().flat_map(|&(kind, files)| {
        files
            .iter()
            .map(move |&(file, source)| (kind, file, source))
    })
}

/// The compiled templates of one instance.
pub struct Templates {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
    /// Where each template came from, for error messages: template name → shown path.
    origins: Vec<(String, PathBuf)>,
}

/// A template failed to render; located in the template file.
#[derive(Debug, Clone)]
pub struct TemplateProblem(pub Diagnostic);

impl Templates {
    /// Compiles the built-in templates and the repository's overrides. Problems with
    /// overrides are reported and the built-in template is kept in their place.
    pub fn load(root: &Path, dir: &Path) -> (Templates, Diagnostics) {
        let mut diags = Diagnostics::new();
        let mut t = Templates {
            plain: registry(false),
            html: registry(true),
            origins: Vec::new(),
        };
        for (kind, file, source) in built_in() {
            let name = template_name(kind, file);
            let shown = dir.join(kind.name()).join(file);
            let mut origin = PathBuf::from(format!("(built-in) {}", shown.display()));
            let override_path = root.join(&shown);
            let mut chosen = source.to_owned();
            // Anything at that path is read as the template: a named pipe or a device is
            // an error (the reader refuses it at once), never silently the built-in one.
            if std::fs::symlink_metadata(&override_path).is_ok() {
                let read = crate::limits::read_limited(
                    &override_path,
                    crate::limits::TEMPLATE_BYTES,
                    "template",
                )
                .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other));
                match read {
                    Ok(text) => {
                        chosen = text.replace("\r\n", "\n");
                        origin = shown.clone();
                    }
                    Err(e) => diags.push(Diagnostic::error(
                        &shown,
                        None,
                        format!("cannot read the template: {e}"),
                    )),
                }
            }
            if let Err(e) = t
                .registry_for(file)
                .register_template_string(&name, &chosen)
            {
                diags.push(Diagnostic::error(
                    &origin,
                    e.pos().map(|(line, col)| Pos::new(line, col)),
                    format!("template error: {}", e.reason()),
                ));
                // Keep the built-in so the rest of the checks can run.
                let _ = t.registry_for(file).register_template_string(&name, source);
            }
            t.origins.push((name, origin));
        }
        unused_overrides(root, dir, &mut diags);
        (t, diags)
    }

    fn registry_for(&mut self, file: &str) -> &mut Handlebars<'static> {
        if file.ends_with(".html.hbs") {
            &mut self.html
        } else {
            &mut self.plain
        }
    }

    /// Renders `file` of `kind` with `data`.
    pub fn render<T: Serialize>(
        &self,
        kind: Kind,
        file: &str,
        data: &T,
    ) -> Result<String, TemplateProblem> {
        let name = template_name(kind, file);
        let registry = if file.ends_with(".html.hbs") {
            &self.html
        } else {
            &self.plain
        };
        registry.render(&name, data).map_err(|e| {
            let origin = self
                .origins
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(|| PathBuf::from(&name), |(_, p)| p.clone());
            let pos = e.line_no.map(|l| Pos::new(l, e.column_no.unwrap_or(1)));
            TemplateProblem(Diagnostic::error(
                &origin,
                pos,
                format!("template error: {}", friendly(e.reason())),
            ))
        })
    }
}

fn template_name(kind: Kind, file: &str) -> String {
    format!("{}/{}", kind.name(), file)
}

fn registry(html: bool) -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    h.set_prevent_indent(true);
    if !html {
        h.register_escape_fn(handlebars::no_escape);
    }
    h
}

/// Strict mode's own message says what failed, not how to fix it.
fn friendly(reason: &handlebars::RenderErrorReason) -> String {
    match reason {
        handlebars::RenderErrorReason::MissingVariable(Some(name)) => format!(
            "unknown name `{name}`; see templates/README.md for the names templates can use"
        ),
        other => other.to_string(),
    }
}

/// Files in `templates/` that replace nothing are probably misnamed.
fn unused_overrides(root: &Path, dir: &Path, diags: &mut Diagnostics) {
    let Ok(kinds) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    for kind_dir in kinds.flatten() {
        let kind = kind_dir.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(kind_dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let file = file.file_name().to_string_lossy().into_owned();
            if !file.ends_with(".hbs") {
                continue;
            }
            let known = built_in().any(|(k, f, _)| k.name() == kind && f == file);
            if !known {
                let expected: Vec<&str> = built_in()
                    .filter(|(k, _, _)| k.name() == kind)
                    .map(|(_, f, _)| f)
                    .collect();
                let hint = if expected.is_empty() {
                    format!("`{kind}` is not a channel kind")
                } else {
                    format!("Herald reads {}", expected.join(", "))
                };
                diags.push(Diagnostic::warning(
                    dir.join(&kind).join(&file),
                    None,
                    format!("this template is never used: {hint}"),
                ));
            }
        }
    }
}
