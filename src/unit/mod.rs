//! systemd unit files: the INI dialect systemd reads (systemd.syntax(7)) and a model of the keys
//! distpack acts on — users, directories, Exec lines, [Install] — with the line of every value so
//! checks can point at it.

use std::path::Path;

/// The `syntax_errors` reason for a line that is not UTF-8.
pub const NOT_UTF8: &str = "the line is not valid UTF-8";

/// A parsed unit file. Values keep their line numbers (1-based).
#[derive(Debug, Clone)]
pub struct UnitFile {
    /// The unit's name, e.g. `healthd.service` or `getty@.service`.
    pub name: String,
    pub text: String,
    pub sections: Vec<Section>,
    /// Lines systemd would ignore with a warning: (line, reason).
    pub syntax_errors: Vec<(usize, String)>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Service,
    Socket,
    Timer,
    Path,
    Mount,
    Automount,
    Target,
    Slice,
    Swap,
}

impl UnitKind {
    pub fn from_name(name: &str) -> Option<UnitKind> {
        Some(match name.rsplit_once('.')?.1 {
            "service" => UnitKind::Service,
            "socket" => UnitKind::Socket,
            "timer" => UnitKind::Timer,
            "path" => UnitKind::Path,
            "mount" => UnitKind::Mount,
            "automount" => UnitKind::Automount,
            "target" => UnitKind::Target,
            "slice" => UnitKind::Slice,
            "swap" => UnitKind::Swap,
            _ => return None,
        })
    }
}

/// One `Exec*=` command: its key, the prefixes (`-@+!:`), the executable and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecLine {
    pub key: String,
    pub prefixes: String,
    pub path: String,
    pub args: Vec<String>,
    pub line: usize,
}

impl UnitFile {
    pub fn parse(name: &str, text: &str) -> UnitFile {
        let mut unit = UnitFile {
            name: name.to_string(),
            text: text.to_string(),
            sections: Vec::new(),
            syntax_errors: Vec::new(),
        };
        // systemd skips a UTF-8 byte order mark at the start of the file (conf-parser.c).
        let lines: Vec<&str> = text.strip_prefix('\u{feff}').unwrap_or(text).lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line_no = i + 1;
            let mut line = lines[i].trim().to_string();
            i += 1;
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            // `read` turns bytes that are not UTF-8 into U+FFFD; systemd ignores such a line
            // ("Line is not UTF-8 valid, ignoring").
            if line.contains('\u{fffd}') {
                unit.syntax_errors.push((line_no, NOT_UTF8.to_string()));
                continue;
            }
            // A trailing backslash joins the next line with a space; comment lines in between are skipped.
            while line.ends_with('\\') && i < lines.len() {
                line.pop();
                let next = lines[i].trim();
                i += 1;
                if next.starts_with('#') || next.starts_with(';') {
                    line.push('\\');
                    continue;
                }
                line.push(' ');
                line.push_str(next);
            }
            if let Some(rest) = line.strip_prefix('[') {
                match rest.strip_suffix(']') {
                    Some(section) => {
                        unit.sections.push(Section { name: section.to_string(), line: line_no, entries: Vec::new() })
                    }
                    None => unit.syntax_errors.push((line_no, format!("`{line}` is not a valid section header"))),
                }
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                unit.syntax_errors
                    .push((line_no, format!("`{line}` is neither `Key=value`, a [Section] nor a comment")));
                continue;
            };
            match unit.sections.last_mut() {
                Some(section) => section.entries.push(Entry {
                    key: key.trim().to_string(),
                    value: value.trim().to_string(),
                    line: line_no,
                }),
                None => unit.syntax_errors.push((line_no, format!("`{}` comes before any [Section]", key.trim()))),
            }
        }
        unit
    }

    /// Read a unit file. Bytes that are not UTF-8 do not make the file unreadable: as in systemd,
    /// only the lines holding them are ignored (reported in `syntax_errors`).
    pub fn read(path: &Path, name: &str) -> std::io::Result<UnitFile> {
        Ok(UnitFile::parse(name, &String::from_utf8_lossy(&std::fs::read(path)?)))
    }

    pub fn kind(&self) -> Option<UnitKind> {
        UnitKind::from_name(&self.name)
    }

    /// `foo@.service`: a template, only useful through instances.
    pub fn is_template(&self) -> bool {
        self.name.split_once('@').is_some_and(|(_, rest)| rest.starts_with('.'))
    }

    /// The name without its suffix (`healthd` for `healthd.service`).
    pub fn stem(&self) -> &str {
        self.name.rsplit_once('.').map(|(s, _)| s).unwrap_or(&self.name)
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s.name == section)
    }

    fn entries<'a>(&'a self, section: &str, key: &str) -> impl Iterator<Item = &'a Entry> + 'a {
        let (section, key) = (section.to_string(), key.to_string());
        self.sections
            .iter()
            .filter(move |s| s.name == section)
            .flat_map(|s| s.entries.iter())
            .filter(move |e| e.key == key)
    }

    /// Every assignment of a key, in order: (value, line).
    pub fn entries_of(&self, section: &str, key: &str) -> Vec<(String, usize)> {
        self.entries(section, key).map(|e| (e.value.clone(), e.line)).collect()
    }

    /// The effective value of a single-valued key: the last assignment wins.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        self.entries(section, key).last()
    }

    /// A list-valued key: every assignment adds its words, an empty assignment resets the list.
    pub fn list(&self, section: &str, key: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for e in self.entries(section, key) {
            if e.value.is_empty() {
                out.clear();
            }
            out.extend(e.value.split_whitespace().map(|w| (w.to_string(), e.line)));
        }
        out
    }

    /// A boolean key as systemd reads it (`yes`/`true`/`on`/`1`).
    pub fn bool(&self, section: &str, key: &str) -> Option<(bool, usize)> {
        self.get(section, key)
            .map(|e| (matches!(e.value.to_ascii_lowercase().as_str(), "1" | "yes" | "true" | "on"), e.line))
    }

    pub fn is_true(&self, section: &str, key: &str) -> bool {
        self.bool(section, key).is_some_and(|(b, _)| b)
    }

    /// Every `Exec*=` line of the [Service] section, with reset semantics per key.
    pub fn exec_lines(&self) -> Vec<ExecLine> {
        const KEYS: [&str; 6] =
            ["ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"];
        let mut out = Vec::new();
        for key in KEYS {
            let mut lines = Vec::new();
            for e in self.entries("Service", key) {
                if e.value.is_empty() {
                    lines.clear();
                    continue;
                }
                let prefixes: String = e.value.chars().take_while(|c| "-@+!:|".contains(*c)).collect();
                let mut words = e.value[prefixes.len()..].split_whitespace().map(str::to_string);
                let path = words.next().unwrap_or_default();
                // systemd unquotes the executable like any other word: `"/usr/bin/x"` is /usr/bin/x.
                let path = ['"', '\'']
                    .iter()
                    .find_map(|q| path.strip_prefix(*q).and_then(|p| p.strip_suffix(*q)))
                    .map(str::to_string)
                    .unwrap_or(path);
                lines.push(ExecLine { key: key.to_string(), prefixes, path, args: words.collect(), line: e.line });
            }
            out.extend(lines);
        }
        out
    }

    /// `User=` unless `DynamicUser=yes` makes systemd allocate the user itself.
    pub fn static_user(&self) -> Option<&Entry> {
        if self.is_true("Service", "DynamicUser") {
            None
        } else {
            self.get("Service", "User").filter(|e| !e.value.is_empty())
        }
    }

    pub fn static_group(&self) -> Option<&Entry> {
        if self.is_true("Service", "DynamicUser") {
            None
        } else {
            self.get("Service", "Group").filter(|e| !e.value.is_empty())
        }
    }

    /// Whether `systemctl enable` has anything to do: an [Install] section with WantedBy=,
    /// RequiredBy=, Also= or Alias=.
    pub fn is_installable(&self) -> bool {
        ["WantedBy", "RequiredBy", "UpheldBy", "Also", "Alias"].iter().any(|k| !self.list("Install", k).is_empty())
    }

    /// The unit this socket/timer/path activates: `Unit=` or the same stem with `.service`.
    pub fn activates(&self) -> Option<String> {
        let section = match self.kind()? {
            UnitKind::Socket => "Socket",
            UnitKind::Timer => "Timer",
            UnitKind::Path => "Path",
            _ => return None,
        };
        Some(match self.get(section, "Unit") {
            Some(e) => e.value.clone(),
            // A socket with Accept=yes activates the template `stem@.service`.
            None if section == "Socket" && self.is_true("Socket", "Accept") => format!("{}@.service", self.stem()),
            None => format!("{}.service", self.stem()),
        })
    }

    /// What purge removes: the State/Cache/Logs directories systemd created for the service, and
    /// for `DynamicUser=yes` their real location under `private/` (the plain path is a symlink).
    /// Only values systemd itself accepts count (see [`exec_directory`]); anything else is not
    /// provably the service's own, so it is kept.
    pub fn persistent_directories(&self) -> Vec<String> {
        let dynamic = self.is_true("Service", "DynamicUser");
        let mut out = Vec::new();
        for (key, root) in
            [("StateDirectory", "/var/lib"), ("CacheDirectory", "/var/cache"), ("LogsDirectory", "/var/log")]
        {
            for (value, _) in self.list("Service", key) {
                let Some(dir) = self.exec_directory(&value) else { continue };
                out.push(format!("{root}/{dir}"));
                if dynamic {
                    out.push(format!("{root}/private/{dir}"));
                }
            }
        }
        out
    }

    /// One `StateDirectory=`-style word as systemd reads it (systemd.exec(5)): the part before
    /// `:`, with the unit-name specifiers a non-template unit can resolve expanded, relative,
    /// normalized, no `.` or `..`, not below `private/`. `None` for a value systemd refuses or
    /// that distpack cannot resolve without the running system.
    pub fn exec_directory(&self, value: &str) -> Option<String> {
        let raw = value.split(':').next().unwrap_or(value);
        let mut dir = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                dir.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => dir.push('%'),
                Some('n') if !self.is_template() => dir.push_str(&self.name),
                Some('N' | 'p') if !self.is_template() => dir.push_str(self.stem()),
                _ => return None,
            }
        }
        let normal = !dir.is_empty()
            && !dir.starts_with('/')
            && !dir.ends_with('/')
            && dir.split('/').all(|c| !matches!(c, "" | "." | ".."))
            && dir.split('/').next() != Some("private")
            && dir.chars().all(|c| c.is_ascii_graphic() && !"'\"\\`$".contains(c));
        normal.then_some(dir)
    }

    /// Directories systemd creates for the service under /var/lib, /var/cache, /var/log, /run, /etc.
    pub fn managed_directories(&self) -> Vec<String> {
        let roots = [
            ("StateDirectory", "/var/lib"),
            ("CacheDirectory", "/var/cache"),
            ("LogsDirectory", "/var/log"),
            ("RuntimeDirectory", "/run"),
            ("ConfigurationDirectory", "/etc"),
        ];
        let mut out = Vec::new();
        for (key, root) in roots {
            for (dir, _) in self.list("Service", key) {
                let dir = dir.split(':').next().unwrap_or(&dir).to_string();
                out.push(format!("{root}/{dir}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: &str = "\
# comment
[Unit]
Description=Demo \\
  service
; another comment

[Service]
Type=notify
ExecStartPre=-/usr/bin/mkdir -p /var/lib/demo
ExecStart=/usr/bin/first
ExecStart=
ExecStart=@/usr/bin/demo --flag value
User=demo
DynamicUser=no
StateDirectory=demo demo/sub
ReadWritePaths=/a
ReadWritePaths=
ReadWritePaths=/b /c

[Install]
WantedBy=multi-user.target
";

    #[test]
    fn parses_sections_continuations_and_resets() {
        let u = UnitFile::parse("demo.service", UNIT);
        assert!(u.syntax_errors.is_empty(), "{:?}", u.syntax_errors);
        assert_eq!(u.get("Unit", "Description").unwrap().value, "Demo  service");
        assert_eq!(u.get("Service", "Type").unwrap().line, 8);
        let exec = u.exec_lines();
        assert_eq!(exec.len(), 2);
        assert_eq!(exec[0].key, "ExecStartPre");
        assert_eq!(exec[0].prefixes, "-");
        assert_eq!(exec[1].path, "/usr/bin/demo");
        assert_eq!(exec[1].prefixes, "@");
        assert_eq!(exec[1].args, ["--flag", "value"]);
        assert_eq!(
            u.list("Service", "ReadWritePaths").iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            ["/b", "/c"]
        );
        assert_eq!(u.static_user().unwrap().value, "demo");
        assert_eq!(u.managed_directories(), ["/var/lib/demo", "/var/lib/demo/sub"]);
        assert!(u.is_installable());
        assert!(!u.is_template());
    }

    #[test]
    fn exec_directories_are_read_as_systemd_reads_them() {
        let u = UnitFile::parse("kv.service", "");
        assert_eq!(u.exec_directory("kv").as_deref(), Some("kv"));
        assert_eq!(u.exec_directory("kv/db:kv-link").as_deref(), Some("kv/db"));
        assert_eq!(u.exec_directory("%N").as_deref(), Some("kv"));
        for refused in ["", ".", "/var/lib", "a/../b", "a//b", "a/", "private/x", "%i", "it's", "a b"] {
            assert_eq!(u.exec_directory(refused), None, "{refused:?}");
        }
        let template = UnitFile::parse("kv@.service", "");
        assert_eq!(template.exec_directory("%N"), None);
        let dynamic = UnitFile::parse("kv.service", "[Service]\nDynamicUser=yes\nStateDirectory=kv /var/lib\n");
        assert_eq!(dynamic.persistent_directories(), ["/var/lib/kv", "/var/lib/private/kv"]);
    }

    #[test]
    fn dynamic_user_has_no_static_user() {
        let u = UnitFile::parse("a.service", "[Service]\nUser=a\nDynamicUser=yes\n");
        assert!(u.static_user().is_none());
    }

    #[test]
    fn templates_and_activation() {
        assert!(UnitFile::parse("getty@.service", "").is_template());
        assert!(!UnitFile::parse("getty@tty1.service", "").is_template());
        let timer = UnitFile::parse("backup.timer", "[Timer]\nOnCalendar=daily\n");
        assert_eq!(timer.activates().as_deref(), Some("backup.service"));
        let socket = UnitFile::parse("echo.socket", "[Socket]\nListenStream=7\nAccept=yes\n");
        assert_eq!(socket.activates().as_deref(), Some("echo@.service"));
    }

    #[test]
    fn reports_lines_systemd_would_ignore() {
        let u = UnitFile::parse("x.service", "Key=before\n[Service]\nnonsense\n");
        assert_eq!(u.syntax_errors.len(), 2);
        assert_eq!(u.syntax_errors[1].0, 3);
    }
}
