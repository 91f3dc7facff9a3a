//! The Teams app package: `teams/manifest.json` filled in for one bot and host, zipped with its
//! two icons at the root (what Teams' "Upload a custom app" and the admin center take).

use super::settings::is_guid;
use std::io::Write;
use std::path::Path;

const MANIFEST: &str = include_str!("../../teams/manifest.json");
const COLOR_ICON: &[u8] = include_bytes!("../../teams/color.png");
const OUTLINE_ICON: &[u8] = include_bytes!("../../teams/outline.png");

/// The manifest for the bot `app_id` (its Entra app id, also the Teams app id) served at
/// `host` (the public host name of `serve`, e.g. `partnerbot.example.com`).
pub fn manifest(app_id: &str, host: &str) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(
        is_guid(app_id),
        "--app-id: “{app_id}” is not the bot's Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)"
    );
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && host.contains('.');
    anyhow::ensure!(
        valid_host,
        "--host: “{host}” is not a host name like partnerbot.example.com (no scheme, port or path)"
    );
    let text = MANIFEST
        .replace("{{APP_ID}}", &app_id.to_ascii_lowercase())
        .replace("{{HOST}}", &host.to_ascii_lowercase())
        .replace("{{VERSION}}", env!("CARGO_PKG_VERSION"));
    Ok(serde_json::from_str(&text)?)
}

/// Writes the package zip to `out`: `manifest.json`, `color.png`, `outline.png`.
pub fn write_package(app_id: &str, host: &str, out: &Path) -> anyhow::Result<()> {
    let manifest = serde_json::to_vec_pretty(&manifest(app_id, host)?)?;
    let file = std::fs::File::create(out)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("manifest.json", manifest.as_slice()),
        ("color.png", COLOR_ICON),
        ("outline.png", OUTLINE_ICON),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
    }
    zip.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "6F1C2B7E-8A4D-4C1E-9F3A-2B5D7E9C1A20";

    #[test]
    fn the_package_holds_the_filled_manifest_and_correctly_sized_icons() {
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("app.zip");
        write_package(APP, "bot.example.com", &out).expect("package");
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).expect("zip")).expect("read");
        let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
        names.sort();
        assert_eq!(names, ["color.png", "manifest.json", "outline.png"]);
        let manifest: serde_json::Value =
            serde_json::from_reader(zip.by_name("manifest.json").expect("manifest")).expect("json");
        assert_eq!(manifest["id"], APP.to_ascii_lowercase());
        assert_eq!(manifest["bots"][0]["botId"], APP.to_ascii_lowercase());
        assert_eq!(manifest["validDomains"][0], "bot.example.com");
        assert!(!manifest.to_string().contains("{{"), "{manifest}");
        for (name, size) in [("color.png", 192), ("outline.png", 32)] {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).expect("icon"), &mut bytes)
                .expect("bytes");
            let icon = image::load_from_memory(&bytes).expect("png").to_rgba8();
            assert_eq!(icon.dimensions(), (size, size), "{name}");
        }
        // The outline icon is white on transparency, as Teams requires.
        let icon = image::load_from_memory(OUTLINE_ICON)
            .expect("png")
            .to_rgba8();
        assert!(icon
            .pixels()
            .all(|p| p[3] == 0 || (p[0], p[1], p[2]) == (255, 255, 255)));
        assert!(icon.pixels().any(|p| p[3] == 0));
    }

    #[test]
    fn a_bad_app_id_or_host_is_named() {
        let e = manifest("not-a-guid", "bot.example.com").expect_err("app id");
        assert!(e.to_string().starts_with("--app-id:"), "{e}");
        for host in [
            "https://bot.example.com",
            "bot.example.com:443",
            "localhost",
            "",
        ] {
            let e = manifest(APP, host).expect_err("host");
            assert!(e.to_string().starts_with("--host:"), "{host}: {e}");
        }
    }
}
