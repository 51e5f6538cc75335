//! Maintainer scripts rendered from the handlebars templates in `scripts/` (compiled into the
//! binary), with the user's own hooks inserted where each format runs that lifecycle event.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use super::{Package, Resolver};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::manifest::{Event, Fields};

/// A user hook: the file it came from and its body without the shebang line.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Hook {
    source: String,
    body: String,
}

pub(super) type Hooks = BTreeMap<Event, Hook>;

pub(super) fn read_hooks(r: &mut Resolver, fields: &Fields) -> Hooks {
    let mut hooks = Hooks::new();
    let Some(scripts) = &fields.scripts else { return hooks };
    for (event, path) in scripts.hooks() {
        let full = r.manifest.root.join(path.get_ref());
        match std::fs::read_to_string(&full) {
            Ok(text) => {
                let body = match text.strip_prefix("#!") {
                    Some(rest) => rest.split_once('\n').map(|(_, b)| b).unwrap_or(""),
                    None => &text,
                };
                hooks.insert(event, Hook { source: path.get_ref().clone(), body: body.trim_end().to_string() });
            }
            Err(e) => r.push(
                path.span(),
                format!("cannot read hook script `{}`: {e}", path.get_ref()),
                "unreadable",
                "fix the path (relative to the project root)",
            ),
        }
    }
    hooks
}

/// Each native script of a format, its template, and the events it runs.
fn native_scripts(format: Format) -> &'static [(&'static str, &'static str, &'static [Event])] {
    match format {
        Format::Deb => &[
            ("preinst", include_str!("../../scripts/deb/preinst.hbs"), &[Event::PreInstall, Event::PreUpgrade]),
            ("postinst", include_str!("../../scripts/deb/postinst.hbs"), &[Event::PostInstall, Event::PostUpgrade]),
            ("prerm", include_str!("../../scripts/deb/prerm.hbs"), &[Event::PreRemove]),
            ("postrm", include_str!("../../scripts/deb/postrm.hbs"), &[Event::PostRemove, Event::Purge]),
        ],
    }
}

#[derive(Serialize)]
struct TemplateData<'a> {
    name: &'a str,
    hooks: BTreeMap<&'static str, Option<&'a Hook>>,
}

fn event_key(event: Event) -> &'static str {
    match event {
        Event::PreInstall => "pre_install",
        Event::PostInstall => "post_install",
        Event::PreUpgrade => "pre_upgrade",
        Event::PostUpgrade => "post_upgrade",
        Event::PreRemove => "pre_remove",
        Event::PostRemove => "post_remove",
        Event::Purge => "purge",
    }
}

const ALL_EVENTS: [Event; 7] = [
    Event::PreInstall,
    Event::PostInstall,
    Event::PreUpgrade,
    Event::PostUpgrade,
    Event::PreRemove,
    Event::PostRemove,
    Event::Purge,
];

/// Render the scripts `package` needs; a native script with nothing to do is left out.
pub(super) fn render(package: &Package, hooks: &Hooks) -> Result<BTreeMap<String, String>> {
    let mut engine = Handlebars::new();
    engine.set_strict_mode(true);
    engine.register_escape_fn(handlebars::no_escape);
    let data =
        TemplateData { name: &package.name, hooks: ALL_EVENTS.iter().map(|e| (event_key(*e), hooks.get(e))).collect() };
    let mut out = BTreeMap::new();
    for (name, template, events) in native_scripts(package.format) {
        if !events.iter().any(|e| hooks.contains_key(e)) {
            continue;
        }
        let text = engine.render_template(template, &data).map_err(|e| {
            Error::invalid(
                format!("cannot render the {name} template: {e}"),
                "this is a bug in distpack; please report it with the manifest",
            )
        })?;
        out.insert(name.to_string(), text);
    }
    Ok(out)
}
